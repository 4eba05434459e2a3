"""Verify an applied plan: the files say what the plan said, nothing else moved, Nix agrees.

- Re-scan: every edited pin holds its new value and every refreshed hash its got-hash.
- Nothing else changed: putting the old text back into the moved pins' spans gives back each
  file byte for byte, and no file outside the plan changed.
- Re-evaluate every package of the unit (one nix-instantiate, started first and running while
  the files are checked and committed); with `--build`, build them.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, replace
from pathlib import Path

from updater import nixhash
from updater.engine.apply import Applied, relocate
from updater.engine.fodsweep import suspects
from updater.engine.lockcopy import digest
from updater.engine.plan import UpdatePlan
from updater.engine.settings import EngineSettings
from updater.errors import NixError, VerificationError
from updater.gitops.command import run_git
from updater.nix.closure import Proof, StaleHash, closure_of, prove
from updater.nix.fixing import build
from updater.nix.inspect import drv_paths
from updater.nix.runner import Installable
from updater.nixfile.model import Pin, ScanResult
from updater.nixfile.repository import scan_repository
from updater.nixhash import HashAlgo


@dataclass(frozen=True)
class Verified:
    evaluated: bool
    built: bool
    note: str = ""
    # Fixed-output derivations that changed and that this unit had not built: each realised
    # (rebuilt with --check when its output was present) and found to hold its hash.
    proved: tuple[Proof, ...] = ()


def _changed_files(root: Path) -> list[str]:
    out = run_git(["status", "--porcelain", "--untracked-files=all", "--no-renames"], root).stdout
    return sorted(line[3:] for line in out.splitlines() if line.strip())


def _moved_spans(
    root: Path, plan: UpdatePlan, applied: Applied, after: ScanResult
) -> dict[str, list[tuple[int, int, str, bool]]]:
    """file -> (start, end, old text, was a literal) of each moved pin in the new file; each
    one checked to hold its new value."""
    spans: dict[str, list[tuple[int, int, str, bool]]] = {}

    def moved(pin: Pin) -> Pin:
        line = applied.lines.get(pin.location, pin.line)
        return relocate(after, replace(pin, location=replace(pin.location, line=line)))

    for e in plan.edits:
        pin = moved(e.pin)
        if pin.value != e.new:
            raise VerificationError(f"{pin.location}: reads {pin.value!r}, expected {e.new!r}")
        spans.setdefault(pin.file, []).append((pin.start, pin.end, e.pin.raw, e.pin.literal))
    found = {f.original.location: f for f in applied.found}
    for change in applied.hashes:
        if change.location in applied.added:
            continue  # inside an added entry: put back as a whole below
        if change.location in found:
            original, pin = found[change.location].original, found[change.location].final
            if (root / pin.file).read_bytes()[pin.start : pin.end].decode() != pin.value:
                raise VerificationError(f"{pin.location}: the refreshed literal moved")
        else:
            refresh = next(r for r in plan.refreshes if r.pin.location == change.location)
            original, pin = refresh.pin, moved(refresh.pin)
        algo = original.algo or HashAlgo.SHA256
        if nixhash.parse(pin.value, algo).sri != change.new:
            raise VerificationError(f"{pin.location}: reads {pin.value!r}, expected {change.new}")
        spans.setdefault(pin.file, []).append((pin.start, pin.end, original.raw, original.literal))
    for r in applied.restructured:
        spans.setdefault(r.file, []).append((r.start, r.end, r.original, True))
    return spans


def check_files(
    root: Path, plan: UpdatePlan, applied: Applied, before: dict[str, bytes], after: ScanResult
) -> None:
    """The values are the plan's, and nothing but the plan's pins changed."""
    spans = _moved_spans(root, plan, applied, after)
    locks = {lock.file: lock for lock in applied.locks}
    for rel, old in before.items():
        if rel in locks:
            # A lock file copy holds what was copied from the new source, byte for byte.
            if digest((root / rel).read_bytes()) != locks[rel].sha256:
                raise VerificationError(f"{rel}: not the lock file copied from the new source")
            continue
        rebuilt = bytearray((root / rel).read_bytes())
        for start, end, raw, literal in sorted(spans.get(rel, []), reverse=True):
            if literal:
                rebuilt[start:end] = raw.encode()
            else:
                # An expression pin (`lib.fakeHash`) was replaced by a quoted string.
                rebuilt[start - 1 : end + 1] = raw.encode()
        if bytes(rebuilt) != old:
            raise VerificationError(f"{rel}: changed outside the planned pins")


def prove_fods(
    plan: UpdatePlan, applied: Applied, settings: EngineSettings, drvs: list[str]
) -> tuple[Proof, ...]:
    """Every fixed-output derivation of the packages that changed and that this unit did not
    build is realised; one that does not give its declared hash fails the update (its hash is
    no literal the bot could find in the package's files, or it would have been refreshed)."""
    closure = closure_of(settings.runner, drvs)
    todo = suspects(closure, applied.base, applied.produced)
    if not todo:
        return ()
    settings.on_step(plan.unit.id, f"proving {len(todo)} changed fixed-output derivation(s)")
    try:
        return prove(settings.runner, todo, settings.build_locks)
    except StaleHash as exc:
        raise VerificationError(
            f"{', '.join(plan.unit.packages)}: {exc} (no hash literal of "
            f"{', '.join(plan.files) or 'the unit'} holds it, so it was not refreshed)"
        ) from None


@contextmanager
def verification(
    root: Path,
    plan: UpdatePlan,
    applied: Applied,
    before: dict[str, bytes],
    settings: EngineSettings,
) -> Iterator[Callable[[], Verified]]:
    """Check the files, with Nix already evaluating the packages; yields the way to its verdict.

    The evaluation runs while Python re-scans and compares the files and while the block runs
    (the commit in the scratch worktree): a unit waits for the slower of the two, not for both.
    Nothing may be kept (no branch) before the yielded function has returned.
    """
    settings.on_step(plan.unit.id, "verifying")
    installables = [Installable(root, p, settings.mode) for p in plan.attributes]
    with ThreadPoolExecutor(max_workers=1) as pool:
        evaluating = pool.submit(drv_paths, settings.runner, installables) if installables else None
        after = scan_repository(root, settings.pkgs_dir)
        check_files(root, plan, applied, before, after)
        touched = set(before)
        stray = [f for f in _changed_files(root) if f not in touched]
        if stray:
            raise VerificationError(f"files outside the plan changed: {', '.join(stray[:5])}")

        def verdict() -> Verified:
            if evaluating is None:
                return Verified(False, False, "no exported package to evaluate")
            try:
                drvs = evaluating.result()
            except NixError as exc:
                if applied.prefetches:
                    # Nothing evaluated before either: the source hash came from a prefetch.
                    return Verified(False, False, f"not evaluable: {exc}")
                raise
            proved = prove_fods(plan, applied, settings, drvs)
            if settings.build:
                settings.on_step(plan.unit.id, "building")
                build(settings.runner, installables)
                return Verified(True, True, proved=proved)
            return Verified(True, False, proved=proved)

        yield verdict


def verify(
    root: Path,
    plan: UpdatePlan,
    applied: Applied,
    before: dict[str, bytes],
    settings: EngineSettings,
) -> Verified:
    """`verification` with nothing to do meanwhile."""
    with verification(root, plan, applied, before, settings) as verdict:
        return verdict()
