"""Evaluating many package attributes at once, and the batched hash-fixing build.

One `nix-instantiate` describes every package of a unit (updater/nix/inspect.nix's record for
each, through inspect_many.nix), so a step of the refresh costs one evaluation, not one per
package. The hash-fixing build then realises the already-instantiated derivations directly
(`nix-store --realise`): no second evaluation, several fixed-output derivations in one call.
Every got-hash is accepted only from the mismatch that names the derivation we targeted.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from contextlib import nullcontext
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

from pydantic import TypeAdapter, ValidationError

from updater.engine.buildlocks import BuildLocks, batches, drv_outputs
from updater.errors import NixError
from updater.logs import get_logger
from updater.nix.evaluate import AttrInfo, inspect_nix_path, output_paths, split_attr_path
from updater.nix.mismatch import Mismatch, parse_mismatches
from updater.nix.runner import FLAKE_FEATURES, EvalMode, NixResult, NixRunner
from updater.nixhash import NixHash

_log = get_logger("updater.engine.evaluation")
_RECORDS = TypeAdapter(list[AttrInfo | None])


def _inspect_many_path() -> Path:
    return Path(str(resources.files("updater.engine").joinpath("inspect_many.nix")))


def inspect_many(
    runner: NixRunner, repo: Path, attrs: Sequence[str], mode: EvalMode
) -> dict[str, AttrInfo | None]:
    """attr -> its record, or None when that attribute does not evaluate (one evaluation)."""
    if not attrs:
        return {}
    flake = mode is EvalMode.FLAKE
    paths = [split_attr_path(a) for a in attrs]
    args = [
        *(FLAKE_FEATURES if flake else ()),
        "--eval",
        # Forcing drvPath must write the .drv files: they are realised next, with no second
        # evaluation. (Without it, --eval only computes the paths.)
        "--read-write-mode",
        "--strict",
        "--json",
        str(_inspect_many_path()),
        "--argstr",
        "inspect",
        str(inspect_nix_path()),
        "--argstr",
        "repo",
        f"path:{repo.resolve()}" if flake else str(repo.resolve()),
        "--argstr",
        "attrPaths",
        json.dumps(paths),
        "--argstr",
        "mode",
        mode.value,
    ]
    if runner.options.system:
        args += ["--argstr", "system", runner.options.system]
    result = runner.check("nix-instantiate", args, f"cannot evaluate {repo}")
    try:
        records = _RECORDS.validate_json(result.stdout)
    except ValidationError as exc:
        raise NixError(f"unexpected records from inspect_many.nix: {exc}") from None
    if len(records) != len(attrs):
        raise NixError(f"inspect_many.nix gave {len(records)} records for {len(attrs)} attributes")
    return {
        a: (r if r is not None and r.found else None) for a, r in zip(attrs, records, strict=True)
    }


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
    runner: NixRunner, drvs: Sequence[str], locks: BuildLocks | None = None
) -> dict[str, Fixed]:
    """Realise fixed-output derivations whose hash is fake; return each one's got-hash.

    Derivations that would write the same output path (two fake `source` fetchers) are
    realised one after the other, and with `locks` no other unit's build writes that path
    meanwhile (see buildlocks.py: Nix would otherwise wait its 5 s poll interval).
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
        out |= _fixed(runner, batch, result)
    return out


def _fixed(runner: NixRunner, wanted: list[str], result: NixResult) -> dict[str, Fixed]:
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
        if not m.specified.is_fake:
            raise NixError(f"{drv}: expected a fake hash there, Nix saw {m.specified.sri}")
        out[drv] = Fixed(drv, m.got, result.duration / len(wanted))
        _log.debug("hash fixed", drv=drv, got=m.got.sri)
    return out
