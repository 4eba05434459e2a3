"""Keeping concurrent hash-fixing builds off each other's output paths.

A fixed-output derivation's output path depends only on its name, its hash and its hashing
mode. While a hash is being measured it is the fake (all-zero) hash, so every fake `source`
fetcher of every unit has ONE output path (`/nix/store/<same>-source`). Two Nix processes (or two
derivations of one `nix-store --realise`) building such derivations at once fight over that
path's lock, and the loser does not wait for the lock: it retries after Nix's
`build-poll-interval` (5 s), which made `--jobs 2` slower than `--jobs 1`. So hash-fixing builds
of one run take `BuildLocks` on the output paths they will write: builds of distinct outputs
run in parallel, builds of the same fake output one after the other. A build whose fake
dependency is not known in advance (a package built to measure a FOD with no attribute path)
holds the whole registry.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path

# Derive([("out","/nix/store/...-name","r:sha256","<hex>"),...],...  (ATerm, as Nix writes it)
_OUTPUTS = re.compile(r'Derive\(\[((?:\("[^"]*","[^"]*","[^"]*","[^"]*"\),?)*)\]')
_OUTPUT = re.compile(r'\("[^"]*","([^"]*)","[^"]*","[^"]*"\)')


def drv_outputs(drv: str) -> tuple[str, ...] | None:
    """The output paths a store derivation declares, read from its .drv file (None if unreadable)."""
    try:
        with Path(drv).open(encoding="utf-8", errors="replace") as f:
            head = f.read(4096)
    except OSError:
        return None
    m = _OUTPUTS.match(head)
    if m is None:
        return None
    paths = tuple(_OUTPUT.findall(m.group(1)))
    return paths if paths and all(p.startswith("/nix/store/") for p in paths) else None


def batches(drvs: Sequence[str], outputs: dict[str, tuple[str, ...]]) -> list[list[str]]:
    """`drvs` split into consecutive groups in which no two derivations share an output path."""
    out: list[list[str]] = []
    taken: list[set[str]] = []
    for drv in drvs:
        mine = set(outputs.get(drv, ()))
        for group, used in zip(out, taken, strict=True):
            if not mine & used:
                group.append(drv)
                used |= mine
                break
        else:
            out.append([drv])
            taken.append(set(mine))
    return out


class BuildLocks:
    """Output-path locks shared by the units of one run (threads of one process)."""

    def __init__(self) -> None:
        self._cond = threading.Condition()
        self._held: set[str] = set()
        self._exclusive = False
        self._waiting_exclusive = 0

    @contextmanager
    def outputs(self, paths: Sequence[str]) -> Iterator[None]:
        """Hold `paths` (none held by another build) while the block runs."""
        wanted = set(paths)
        with self._cond:
            self._cond.wait_for(
                lambda: (
                    not self._exclusive and not self._waiting_exclusive and not wanted & self._held
                )
            )
            self._held |= wanted
        try:
            yield
        finally:
            with self._cond:
                self._held -= wanted
                self._cond.notify_all()

    @contextmanager
    def everything(self) -> Iterator[None]:
        """Hold every output path: for a build whose fake outputs are not known in advance."""
        with self._cond:
            self._waiting_exclusive += 1
            try:
                self._cond.wait_for(lambda: not self._exclusive and not self._held)
            finally:
                self._waiting_exclusive -= 1
            self._exclusive = True
        try:
            yield
        finally:
            with self._cond:
                self._exclusive = False
                self._cond.notify_all()
