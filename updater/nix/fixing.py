"""Hash-fixing builds: build a derivation whose hash is fake and read the hash Nix got.

A got-hash is only trusted when the mismatch names the derivation we targeted (its drvPath,
instantiated beforehand from the same attribute). A mismatch in any other fixed-output
derivation is an error unless the caller explicitly allows a dependency's (the way to measure a
hand-written FOD that has no attribute path: build its consumer). Any other failure, and a
build that succeeds although its hash is fake, is an error carrying the tail of Nix's log.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass

from updater.errors import NixError
from updater.logs import get_logger
from updater.nix.evaluate import drv_path, output_paths
from updater.nix.mismatch import Mismatch, parse_mismatches
from updater.nix.runner import EvalMode, Installable, NixResult, NixRunner
from updater.nixhash import NixHash

__all__ = ["FixedHash", "build", "drv_path", "fix_hash"]

_log = get_logger("updater.nix.fixing")


@dataclass(frozen=True)
class FixedHash:
    """The hash Nix computed for a fixed-output derivation."""

    installable: Installable
    drv_path: str  # the derivation the hash belongs to
    specified: NixHash
    got: NixHash
    # True when the hash is a dependency's, accepted with allow_dependency=True.
    from_dependency: bool = False
    seconds: float = 0.0

    @property
    def sri(self) -> str:
        return self.got.sri


def _describe(m: Mismatch) -> str:
    where = m.drv_path or m.output_path
    return f"{where} (specified {m.specified.sri}, got {m.got.sri})"


def _failure(result: NixResult, what: str) -> NixError:
    last = next(
        (line.strip() for line in reversed(result.stderr.splitlines()) if "error:" in line),
        f"exit code {result.returncode}",
    )
    return NixError(f"{what} failed: {last[:300]}", result.tail())


def fix_hash(
    runner: NixRunner,
    installable: Installable,
    *,
    allow_dependency: bool = False,
    expected_drv: str | None = None,
) -> FixedHash:
    """Build `installable` expecting a hash mismatch in its own derivation; return Nix's got-hash.

    `expected_drv` skips the instantiation when the caller already knows the drvPath.
    With `allow_dependency`, a mismatch in exactly one other derivation whose specified hash
    is a fake (all-zero) hash is accepted and flagged `from_dependency`.
    """
    target = expected_drv or drv_path(runner, installable)
    _log.debug("hash-fixing build", target=str(installable), drv=target)
    result = runner.build([installable])
    if result.ok:
        raise NixError(
            f"{installable} built successfully, so its hash was not fake or the derivation "
            f"is not fixed-output: nothing to fix ({target})",
            result.tail(),
        )
    mismatches = parse_mismatches(result.stderr)
    outputs: tuple[str, ...] = ()
    if any(m.drv_path is None for m in mismatches):
        outputs = output_paths(runner, target)  # older Nix names outputs, not the .drv
    for m in mismatches:
        if m.concerns(target, outputs):
            return FixedHash(installable, target, m.specified, m.got, seconds=result.duration)
    if allow_dependency:
        fakes = {(m.drv_path or m.output_path): m for m in mismatches if m.specified.is_fake}
        if len(fakes) == 1:
            (path, m), *_ = fakes.items()
            return FixedHash(
                installable, path or target, m.specified, m.got, True, seconds=result.duration
            )
        if len(fakes) > 1:
            raise NixError(
                f"building {installable}: several fake hashes mismatched, cannot tell which is "
                f"wanted: {', '.join(_describe(m) for m in fakes.values())}",
                result.tail(),
            )
    if mismatches:
        raise NixError(
            f"building {installable}: hash mismatch in another derivation than {target}: "
            f"{_describe(mismatches[0])}",
            result.tail(),
        )
    raise _failure(result, f"hash-fixing build of {installable}")


def build(runner: NixRunner, installables: Sequence[Installable]) -> tuple[str, ...]:
    """Build several attributes in one Nix call; return their output paths.

    Raises NixError naming a mismatching derivation if a hash is wrong, else with Nix's log tail.
    """
    if not installables:
        return ()
    result = runner.build(list(installables), keep_going=True)
    names = ", ".join(i.attr for i in installables)
    if not result.ok:
        mismatches = parse_mismatches(result.stderr)
        if mismatches:
            raise NixError(
                f"building {names}: wrong hash in {_describe(mismatches[0])}", result.tail()
            )
        raise _failure(result, f"building {names}")
    if installables[0].mode is EvalMode.FLAKE:
        try:
            records = json.loads(result.stdout)
            return tuple(p for r in records for p in r["outputs"].values())
        except (ValueError, KeyError, TypeError, AttributeError):
            raise NixError(f"building {names}: unexpected output {result.stdout[:200]!r}") from None
    return tuple(line.strip() for line in result.stdout.splitlines() if line.strip())
