"""Every fixed-output derivation that depends on what changed, found by evaluation.

The planned refreshes cover the hashes the scan tied to the unit. Any other fixed-output
derivation of the unit's packages whose derivation changed (it is built from the moved source,
or its fetcher's URL follows the version) would otherwise keep its old hash: Nix finds the old
output under the old hash's path and "builds" it after no build at all. So after the planned
refreshes:

1. The packages' closure is compared with the one before any edit (`nix show-derivation -r`):
   a FOD whose derivation is new and whose output this unit did not just build is a suspect.
2. Which literal each suspect's `outputHash` comes from is found by marking: every hash literal
   of the packages' files whose value is a suspect's declared hash gets a distinct marker hash
   (a fake no output has), and one evaluation shows which derivation carries which marker.
   Literals no derivation carries get their value back.
   When the evaluation fails because the lock file's git dependencies and
   `cargoLock.outputHashes` disagree (importCargoLock names the entry), the entry is added
   with a fake hash or removed, and the evaluation tried again.
3. The marked derivations are hash-fixed in dependency order, each exactly once however many
   packages share it: a round realises those built from no other marked FOD, writes their
   got-hashes in each literal's own notation, and evaluates again.

Suspects whose hash is no literal of these files are left to verification, which rebuilds them
(and refuses the update when one does not hold its hash).
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Protocol

from updater import nixhash
from updater.errors import NixError, UnsafeValueError
from updater.nix.closure import Closure, Fod, closure_of, requisites
from updater.nix.fixing import Fixed
from updater.nix.inspect import drv_paths
from updater.nix.runner import Installable, NixRunner
from updater.nixfile.model import Location, Pin
from updater.nixhash import HashAlgo, NixHash

Identity = tuple[str, bool, str]  # Fod.identity: name, recursive, SRI

# Marker digests end in these bytes and a counter: far from any real digest, never all zero.
_MARK = b"updater-marker"
_MAX_ROUNDS = 16


def marker(index: int, algo: HashAlgo) -> NixHash:
    size = algo.digest_size
    tail = _MARK + index.to_bytes(4, "big")
    return NixHash(algo, bytes(size - len(tail)) + tail)


def baseline(runner: NixRunner, installables: Sequence[Installable]) -> frozenset[str]:
    """Every derivation the packages need before any edit; empty when they do not evaluate
    (then no FOD is known to be unchanged, and every one is proven)."""
    if not installables:
        return frozenset()
    try:
        return requisites(runner, drv_paths(runner, list(installables)))
    except NixError:
        return frozenset()


def identities(runner: NixRunner, built: Mapping[str, NixHash]) -> frozenset[Identity]:
    """What the outputs this unit built are named by: (fake drv -> got-hash) -> identities."""
    if not built:
        return frozenset()
    closure = closure_of(runner, sorted(built))
    out = set()
    for drv, got in built.items():
        fod = closure.fods.get(drv)
        if fod is not None:
            out.add((fod.name, fod.recursive, got.sri))
    return frozenset(out)


def suspects(closure: Closure, base: frozenset[str], produced: frozenset[Identity]) -> list[Fod]:
    """The closure's FODs that are new since the baseline and not built by this unit."""
    return sorted(
        (f for f in closure.fods.values() if f.drv not in base and f.identity not in produced),
        key=lambda f: f.drv,
    )


class Writer(Protocol):
    """What the sweep needs of the applier: write values and record what it computed."""

    @property
    def runner(self) -> NixRunner: ...

    def write(self, changes: Sequence[tuple[Pin, str]]) -> None: ...

    def record_fixed(self, pin: Pin, fod: Fod, fixed: Fixed) -> None: ...

    def fix(self, drvs: Sequence[str], markers: frozenset[NixHash]) -> dict[str, Fixed]: ...

    def on_step(self, name: str) -> None: ...

    def restructure(self, kind: str, key: str) -> bool: ...


# importCargoLock's words (nixpkgs) when Cargo.lock gained or dropped a git dependency
_MISSING = re.compile(r"No hash was found while vendoring the git dependency (\S+?)\. You can add")
_UNUSED = re.compile(
    r"A hash was specified for (\S+), but there is no corresponding git dependency"
)
_MAX_ENTRIES = 20


def _closure_adjusting_entries(
    writer: Writer, installables: Sequence[Installable]
) -> Closure | None:
    """The packages' closure; when their evaluation fails because Cargo.lock's git
    dependencies and cargoLock.outputHashes disagree, the entry is added (a fake hash, fixed
    next) or removed, and evaluation is tried again. None when it still does not evaluate."""
    runner = writer.runner
    for _ in range(_MAX_ENTRIES):
        try:
            return closure_of(runner, drv_paths(runner, list(installables)))
        except NixError as exc:
            text = f"{exc}\n{exc.log_tail}"
            missing, unused = _MISSING.search(text), _UNUSED.search(text)
            if unused is not None:
                done = writer.restructure("remove", unused.group(1))
            elif missing is not None:
                done = writer.restructure("add", missing.group(1))
            else:
                return None  # verification says why the packages do not evaluate
            if not done:
                return None
    return None


@dataclass(frozen=True)
class SweepResult:
    suspects: tuple[Fod, ...]  # what step 1 found
    fixed: tuple[Location, ...]  # the literals refreshed
    unlocated: tuple[Fod, ...]  # suspects with no literal here, left to verification


def _parsed(pin: Pin) -> NixHash | None:
    try:
        return nixhash.parse(pin.value, pin.algo or HashAlgo.SHA256)
    except (UnsafeValueError, ValueError):
        return None


def sweep(
    writer: Writer,
    installables: Sequence[Installable],
    base: frozenset[str],
    produced: frozenset[Identity],
    candidates: Sequence[Pin],
) -> SweepResult:
    """Find and hash-fix the FODs the planned refreshes missed (see the module docstring)."""
    if not installables:
        return SweepResult((), (), ())
    closure = _closure_adjusting_entries(writer, installables)
    if closure is None:
        return SweepResult((), (), ())
    found = suspects(closure, base, produced)
    if not found:
        return SweepResult((), (), ())
    wanted = {f.hash for f in found}
    marked: dict[NixHash, Pin] = {}
    for pin in candidates:
        value = _parsed(pin)
        if value is not None and value in wanted:
            marked[marker(len(marked), value.algo)] = pin
    located = {_parsed(p) for p in marked.values()}
    unlocated = tuple(f for f in found if f.hash not in located)
    if not marked:
        return SweepResult(tuple(found), (), unlocated)
    writer.on_step(f"marking {len(marked)} hash literal(s) found by evaluation")
    writer.write([(pin, m.sri) for m, pin in marked.items()])
    fixed = _fix_rounds(writer, installables, marked)
    return SweepResult(tuple(found), fixed, unlocated)


def _fix_rounds(
    writer: Writer, installables: Sequence[Installable], marked: dict[NixHash, Pin]
) -> tuple[Location, ...]:
    """Hash-fix the marked literals' FODs, dependencies first."""
    runner = writer.runner
    markers = frozenset(marked)
    done: list[Location] = []
    for _ in range(_MAX_ROUNDS):
        if not marked:
            return tuple(done)
        closure = closure_of(runner, drv_paths(runner, list(installables)))
        carried = {f.drv: f for f in closure.fods.values() if f.hash in marked}
        unused = [m for m in marked if m not in {f.hash for f in carried.values()}]
        if unused:
            # Same value, but no derivation of these packages takes its hash from it.
            writer.write([(marked[m], marked[m].value) for m in unused])
            for m in unused:
                del marked[m]
        ready = sorted(d for d in carried if not closure.fod_inputs(d) & carried.keys())
        if not ready:
            if carried:
                raise NixError("marked fixed-output derivations depend on each other in a cycle")
            continue
        writer.on_step(f"building {len(ready)} fixed-output derivation(s) found by evaluation")
        got = writer.fix(ready, markers)
        changes = []
        for drv in ready:
            fod = carried[drv]
            pin = marked.pop(fod.hash)
            writer.record_fixed(pin, fod, got[drv])
            changes.append((pin, got[drv].got.sri))
            done.append(pin.location)
        writer.write(changes)
    raise NixError(f"fixed-output derivations still unfixed after {_MAX_ROUNDS} rounds")
