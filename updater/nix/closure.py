"""The fixed-output derivations a package needs, and proving that each one still holds.

A package's closure is read from the store derivations themselves (`nix show-derivation -r`),
not from attribute names: every fixed-output derivation Nix would build for the package is
found, whichever builder made it (a fetcher the bot never heard of, a vendor staging
derivation, a per-git-dependency fetch of importCargoLock, a hand-written `outputHash`).

`prove` realises fixed-output derivations one output path at a time (Nix 2.8 can deadlock when
one call builds several derivations of one missing output path). A FOD whose output is already
in the store is rebuilt with `--check`: its output path depends only on its name and declared
hash, so a stale hash (the URL moved, the hash did not) would otherwise be "built" by finding
the old output, after no build at all.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

from pydantic import BaseModel, ConfigDict, ValidationError

from updater.errors import NixError, UnsafeValueError
from updater.nix.buildlocks import BuildLocks
from updater.nix.mismatch import parse_mismatches
from updater.nix.runner import FLAKE_FEATURES, NixRunner
from updater.nixhash import HashAlgo, NixHash

_STORE = "/nix/store/"


class _Output(BaseModel):
    model_config = ConfigDict(frozen=True, extra="ignore", populate_by_name=True)
    path: str | None = None
    hash_algo: str | None = None
    hash: str | None = None

    @classmethod
    def of(cls, raw: object) -> _Output:
        if not isinstance(raw, dict):
            raise ValueError("an output is not an object")
        return cls(path=raw.get("path"), hash_algo=raw.get("hashAlgo"), hash=raw.get("hash"))


@dataclass(frozen=True)
class Fod:
    """One fixed-output derivation of a closure."""

    drv: str
    name: str
    output: str
    hash: NixHash
    recursive: bool
    inputs: tuple[str, ...]  # the derivations it is built from (direct inputs)

    @property
    def identity(self) -> tuple[str, bool, str]:
        """What its output path is made of: Nix names a FOD's output by these alone."""
        return self.name, self.recursive, self.hash.sri


@dataclass(frozen=True)
class Closure:
    """Every derivation the given ones need, and the fixed-output ones among them."""

    drvs: frozenset[str]
    fods: Mapping[str, Fod]
    inputs: Mapping[str, tuple[str, ...]]  # every derivation's direct input derivations

    def fod_inputs(self, drv: str) -> frozenset[str]:
        """The fixed-output derivations `drv` is built from, directly or not."""
        seen: set[str] = set()
        todo = list(self.inputs.get(drv, ()))
        while todo:
            d = todo.pop()
            if d not in seen:
                seen.add(d)
                todo.extend(self.inputs.get(d, ()))
        return frozenset(d for d in seen if d in self.fods)


def _algo(hash_algo: str) -> tuple[HashAlgo, bool]:
    recursive = hash_algo.startswith("r:")
    name = hash_algo[2:] if recursive else hash_algo
    try:
        return HashAlgo(name), recursive
    except ValueError:
        raise NixError(f"unknown output hash algorithm {hash_algo!r}") from None


def _fod(drv: str, record: Mapping[str, object]) -> Fod | None:
    outputs = record.get("outputs")
    if not isinstance(outputs, dict) or set(outputs) != {"out"}:
        return None
    out = _Output.of(outputs["out"])
    if not out.hash or not out.hash_algo or not out.path:
        return None
    algo, recursive = _algo(out.hash_algo)
    try:
        digest = bytes.fromhex(out.hash)
        declared = NixHash(algo, digest)
    except (ValueError, UnsafeValueError):
        raise NixError(f"{drv}: unreadable output hash {out.hash[:80]!r}") from None
    env = record.get("env")
    name = env.get("name") if isinstance(env, dict) else None
    return Fod(
        drv=drv,
        name=name if isinstance(name, str) else out.path.split("-", 1)[-1],
        output=out.path,
        hash=declared,
        recursive=recursive,
        inputs=_input_drvs(record),
    )


def _input_drvs(record: Mapping[str, object]) -> tuple[str, ...]:
    inputs = record.get("inputDrvs")
    return tuple(sorted(inputs)) if isinstance(inputs, dict) else ()


def closure_of(runner: NixRunner, drvs: Sequence[str]) -> Closure:
    """The closure of store derivations `drvs` (one `nix show-derivation -r`)."""
    wanted = sorted(set(drvs))
    for drv in wanted:
        if not drv.startswith(_STORE) or not drv.endswith(".drv"):
            raise NixError(f"not a store derivation: {drv!r}")
    if not wanted:
        return Closure(frozenset(), {}, {})
    result = runner.check(
        "nix",
        [*FLAKE_FEATURES, "show-derivation", "--recursive", *wanted],
        "cannot read the derivations' closure",
    )
    try:
        data = json.loads(result.stdout)
    except ValueError:
        raise NixError("nix show-derivation printed no JSON") from None
    if not isinstance(data, dict):
        raise NixError("nix show-derivation printed no object")
    fods: dict[str, Fod] = {}
    inputs: dict[str, tuple[str, ...]] = {}
    try:
        for drv, record in data.items():
            if not isinstance(record, dict):
                raise NixError(f"{drv}: no derivation record")
            inputs[drv] = _input_drvs(record)
            fod = _fod(drv, record)
            if fod is not None:
                fods[drv] = fod
    except ValidationError as exc:
        raise NixError(f"unexpected derivation records: {exc}") from None
    return Closure(frozenset(data), fods, inputs)


def requisites(runner: NixRunner, drvs: Sequence[str]) -> frozenset[str]:
    """Every store derivation `drvs` need (theirs included): what a closure can be compared to."""
    if not drvs:
        return frozenset()
    result = runner.check(
        "nix-store", ["--query", "--requisites", *sorted(set(drvs))], "cannot query derivations"
    )
    return frozenset(
        line.strip() for line in result.stdout.splitlines() if line.strip().endswith(".drv")
    )


@dataclass(frozen=True)
class Proof:
    """How one fixed-output derivation was shown to hold its declared hash."""

    fod: Fod
    how: str  # "built" (its output was missing) or "rebuilt with --check"
    seconds: float


class StaleHash(NixError):
    """A fixed-output derivation does not produce the hash it declares."""

    def __init__(self, fod: Fod, got: NixHash | None, message: str, log_tail: str = "") -> None:
        super().__init__(message, log_tail)
        self.fod = fod
        self.got = got


def valid_paths(runner: NixRunner, paths: Iterable[str]) -> frozenset[str]:
    """Which of `paths` are valid in the store (one `nix-store --check-validity --print-invalid`)."""
    wanted = sorted(set(paths))
    if not wanted:
        return frozenset()
    result = runner.run("nix-store", ["--check-validity", "--print-invalid", *wanted])
    if not result.ok:
        raise NixError(f"cannot check store paths: {result.stderr.strip()[-200:]}")
    invalid = {line.strip() for line in result.stdout.splitlines() if line.strip()}
    return frozenset(p for p in wanted if p not in invalid)


def prove(
    runner: NixRunner, fods: Sequence[Fod], locks: BuildLocks | None = None
) -> tuple[Proof, ...]:
    """Realise each FOD (with `--check` when its output is present); raise StaleHash on the
    first one whose download does not give its declared hash."""
    present = valid_paths(runner, (f.output for f in fods))
    proofs: list[Proof] = []
    for fod in sorted(fods, key=lambda f: f.drv):
        check = fod.output in present
        args = ["--realise", *(["--check"] if check else []), fod.drv]
        if locks is not None:
            with locks.outputs([fod.output]):
                result = runner.run("nix-store", args)
        else:
            result = runner.run("nix-store", args)
        if not result.ok:
            mismatches = [m for m in parse_mismatches(result.stderr) if m.concerns(fod.drv)]
            got = mismatches[0].got if mismatches else None
            if got is not None:
                raise StaleHash(
                    fod,
                    got,
                    f"{fod.name}: declares {fod.hash.sri} but its download gives {got.sri} "
                    f"({fod.drv}): a stale fixed-output hash",
                    result.tail(),
                )
            last = next(
                (ln.strip() for ln in reversed(result.stderr.splitlines()) if "error:" in ln),
                f"exit code {result.returncode}",
            )
            raise StaleHash(fod, None, f"{fod.name}: cannot build {fod.drv}: {last[:300]}")
        proofs.append(Proof(fod, "rebuilt with --check" if check else "built", result.duration))
    return tuple(proofs)
