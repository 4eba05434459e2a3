"""Hash-fixing builds: build a derivation whose hash is fake and read the hash Nix got.

`fix_hash` builds one attribute; `fix_drvs` realises already-instantiated derivations directly
(`nix-store --realise`): no second evaluation, several fixed-output derivations in one call.

A got-hash is only trusted when the mismatch names the derivation we targeted (its drvPath,
instantiated beforehand from the same attribute). A mismatch in any other fixed-output
derivation is an error unless the caller explicitly allows a dependency's (the way to measure a
hand-written FOD that has no attribute path: build its consumer). Any other failure, and a
build that succeeds although its hash is fake, is an error carrying the tail of Nix's log.
"""

from __future__ import annotations

import json
from collections.abc import Collection, Sequence
from contextlib import nullcontext
from dataclasses import dataclass

from updater.errors import NixError
from updater.logs import get_logger
from updater.nix.buildlocks import BuildLocks, batches, drv_outputs
from updater.nix.inspect import drv_path, output_paths
from updater.nix.mismatch import Mismatch, parse_mismatches
from updater.nix.runner import EvalMode, Installable, NixResult, NixRunner
from updater.nixhash import NixHash

__all__ = ["Fixed", "FixedHash", "build", "drv_path", "fix_drvs", "fix_hash"]

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


@dataclass(frozen=True)
class Fixed:
    drv: str
    got: NixHash
    seconds: float


def _concerning(mismatches: list[Mismatch], drv: str, runner: NixRunner) -> Mismatch | None:
    for m in mismatches:
        if m.drv_path is not None and m.concerns(drv):
            return m
    if any(m.drv_path is None for m in mismatches):
        outputs = output_paths(runner, drv)
        for m in mismatches:
            if m.drv_path is None and m.concerns(drv, outputs):
                return m
    return None


def fix_drvs(
    runner: NixRunner,
    drvs: Sequence[str],
    locks: BuildLocks | None = None,
    markers: Collection[NixHash] = (),
) -> dict[str, Fixed]:
    """Realise fixed-output derivations whose hash is fake; return each one's got-hash.

    Derivations that would write the same output path (two fake `source` fetchers) are
    realised one after the other, and with `locks` no other unit's build writes that path
    meanwhile (see buildlocks.py: Nix would otherwise wait its 5 s poll interval).
    `markers` are hashes accepted as fake besides the all-zero ones (each one names the literal
    it was written into; no output has them, so they are as fake as zeros).
    Raises NixError (with Nix's log tail) if any of them fails for another reason, succeeds
    although its hash is fake, or if a mismatch names a derivation we did not target.
    """
    wanted = list(dict.fromkeys(drvs))
    if not wanted:
        return {}
    for drv in wanted:
        if not drv.startswith("/nix/store/") or not drv.endswith(".drv"):
            raise NixError(f"not a store derivation: {drv!r}")
    outputs: dict[str, tuple[str, ...]] = {}
    for drv in wanted:
        outputs[drv] = drv_outputs(drv) or output_paths(runner, drv)
    out: dict[str, Fixed] = {}
    for batch in batches(wanted, outputs):
        held = [p for drv in batch for p in outputs[drv]]
        with locks.outputs(held) if locks is not None else nullcontext():
            result = runner.run("nix-store", ["--realise", "--keep-going", *batch])
        out |= _fixed(runner, batch, result, frozenset(markers))
    return out


def _fixed(
    runner: NixRunner, wanted: list[str], result: NixResult, markers: frozenset[NixHash]
) -> dict[str, Fixed]:
    """Each targeted derivation's got-hash from one realise's mismatches."""
    mismatches = parse_mismatches(result.stderr)
    out: dict[str, Fixed] = {}
    for drv in wanted:
        m = _concerning(mismatches, drv, runner)
        if m is None:
            if result.ok:
                raise NixError(
                    f"{drv} built although its hash is fake: it is not the fixed-output "
                    "derivation of this hash",
                    result.tail(),
                )
            other = next((x for x in mismatches if not any(x.concerns(d) for d in wanted)), None)
            if other is not None:
                raise NixError(
                    f"hash mismatch in {other.drv_path or other.output_path}, not in the "
                    f"targeted {drv} (specified {other.specified.sri}, got {other.got.sri})",
                    result.tail(),
                )
            last = next(
                (ln.strip() for ln in reversed(result.stderr.splitlines()) if "error:" in ln),
                f"exit code {result.returncode}",
            )
            raise NixError(f"building {drv} failed: {last[:300]}", result.tail())
        if not m.specified.is_fake and m.specified not in markers:
            raise NixError(f"{drv}: expected a fake hash there, Nix saw {m.specified.sri}")
        out[drv] = Fixed(drv, m.got, result.duration / len(wanted))
        _log.debug("hash fixed", drv=drv, got=m.got.sri)
    return out
