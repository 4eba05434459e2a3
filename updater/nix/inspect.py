"""Evaluating attributes: drvPath, the declared hashes and URLs of fetchers, dependency FODs.

All Nix code lives in `inspect.nix` next to this module (and `inspect_many.nix`, which
describes many attributes in one evaluation, so a step of the refresh costs one evaluation, not
one per package); arguments reach it only through `--argstr` (the attribute paths as JSON
lists), so no Nix source is ever assembled from strings.
"""

from __future__ import annotations

import json
import shutil
from collections.abc import Sequence
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, TypeAdapter, ValidationError
from pydantic.alias_generators import to_camel

from updater.errors import NixError
from updater.nix.runner import FLAKE_FEATURES, EvalMode, Installable, NixRunner

INSPECT_NIX = "inspect.nix"


class _Record(BaseModel):
    # inspect.nix speaks Nix's camelCase; Python reads snake_case.
    model_config = ConfigDict(frozen=True, extra="forbid", alias_generator=to_camel)


class FetchInfo(_Record):
    """What a fixed-output derivation declares (None where the attribute is absent)."""

    name: str | None
    drv_path: str | None
    output_hash: str | None
    output_hash_algo: str | None
    output_hash_mode: str | None
    urls: list[str] | None
    rev: str | None
    fetch_submodules: bool | None


class DepInfo(_Record):
    """A dependency fixed-output derivation under its sub-attribute name."""

    attr: str
    info: FetchInfo


class AttrInfo(_Record):
    """inspect.nix's record for one attribute."""

    found: bool
    system: str
    type: str | None
    derivation: FetchInfo | None  # what the attribute itself declares, if a derivation
    pname: str | None
    version: str | None
    # src, goModules, npmDeps, cargoDeps, pnpmDeps, ... that exist, in refresh order.
    deps: list[DepInfo]

    def dep(self, attr: str) -> FetchInfo | None:
        return next((d.info for d in self.deps if d.attr == attr), None)


def split_attr_path(attr: str) -> list[str]:
    """`a.b."c.d"` -> ["a", "b", "c.d"], as Nix's -A reads it."""
    names: list[str] = []
    current = ""
    quoted = False
    for char in attr:
        if char == '"':
            quoted = not quoted
        elif char == "." and not quoted:
            names.append(current)
            current = ""
        else:
            current += char
    names.append(current)
    if quoted or any(not n for n in names):
        raise NixError(f"invalid attribute path {attr!r}")
    return names


def inspect_nix_path() -> Path:
    return Path(str(resources.files("updater.nix").joinpath(INSPECT_NIX)))


_RECORDS = TypeAdapter(list[AttrInfo | None])


def _inspect_many_path() -> Path:
    return Path(str(resources.files("updater.nix").joinpath("inspect_many.nix")))


def inspect_package_file(runner: NixRunner, file: Path) -> AttrInfo | None:
    """The record of the package defined by `file`, called with `<nixpkgs>`'s callPackage for
    the runner's system; None when it does not evaluate."""
    return inspect_many(runner, file, ["package"], "file")["package"]


def inspect_many(
    runner: NixRunner, repo: Path, attrs: Sequence[str], mode: EvalMode | Literal["file"]
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
        mode if isinstance(mode, str) and not isinstance(mode, EvalMode) else mode.value,
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


def inspect_attr(runner: NixRunner, installable: Installable) -> AttrInfo:
    """Evaluate `installable` and describe it; raises NixError when evaluation fails."""
    names = split_attr_path(installable.attr)
    flake = installable.mode is EvalMode.FLAKE
    repo = f"path:{installable.repo.resolve()}" if flake else str(installable.repo.resolve())
    args = [
        *(FLAKE_FEATURES if flake else ()),
        "--eval",
        "--strict",
        "--json",
        str(inspect_nix_path()),
        "--argstr",
        "repo",
        repo,
        "--argstr",
        "attrPath",
        json.dumps(names),
        "--argstr",
        "mode",
        installable.mode.value,
    ]
    if runner.options.system:
        args += ["--argstr", "system", runner.options.system]
    result = runner.check("nix-instantiate", args, f"cannot evaluate {installable}")
    try:
        info = AttrInfo.model_validate_json(result.stdout)
    except ValidationError as exc:
        raise NixError(f"unexpected record from inspect.nix for {installable}: {exc}") from None
    return info


def drv_paths(runner: NixRunner, installables: list[Installable]) -> list[str]:
    """The .drv paths of several attributes of one repository, in one evaluation."""
    if not installables:
        return []
    first = installables[0]
    if first.mode is EvalMode.FLAKE:
        # `nix eval` takes one installable; flakes are cached so repeated calls stay cheap.
        paths = []
        for inst in installables:
            result = runner.check(
                "nix",
                [*FLAKE_FEATURES, "eval", "--raw", f"{inst.flake_ref}.drvPath"],
                f"cannot evaluate {inst}",
            )
            paths.append(result.stdout.strip())
    else:
        attrs = [a for inst in installables for a in ("-A", inst.attr)]
        argstrs = [a for k, v in first.argstr for a in ("--argstr", k, v)]
        result = runner.check(
            "nix-instantiate",
            [str(first.repo), *argstrs, *attrs],
            f"cannot evaluate {', '.join(i.attr for i in installables)} in {first.repo}",
        )
        paths = [line.strip() for line in result.stdout.splitlines() if line.strip()]
    if len(paths) != len(installables) or not all(p.endswith(".drv") for p in paths):
        raise NixError(f"unexpected drvPath output for {first}: {paths!r}")
    return paths


def drv_path(runner: NixRunner, installable: Installable) -> str:
    """The .drv path of one attribute (instantiated into the store)."""
    return drv_paths(runner, [installable])[0]


def output_paths(runner: NixRunner, drv: str) -> tuple[str, ...]:
    """The output paths a derivation will produce (from the .drv in the store)."""
    result = runner.check("nix-store", ["--query", "--outputs", drv], f"cannot query {drv}")
    return tuple(line.strip() for line in result.stdout.splitlines() if line.strip())


# The sub-attributes whose output hashes `evaluate_packages` reads, as package_hashes.nix does.
PACKAGE_HASH_ATTRS = ("src", "goModules", "npmDeps", "cargoDeps", "pnpmDeps")


@dataclass(frozen=True)
class EvaluatedPackage:
    name: str
    ok: bool
    position: str | None = None  # "file:line" as Nix reports it (absolute path)
    version: str | None = None
    hashes: tuple[tuple[str, str], ...] = ()  # (attribute, outputHash)


def evaluate_packages(
    repo: Path,
    attrs: Sequence[str] | None = None,
    *,
    runner: NixRunner | None = None,
    timeout: float = 300.0,
) -> dict[str, EvaluatedPackage]:
    """Evaluate the repository's `default.nix` attributes (all, or `attrs`): which output hashes
    each one's src, goModules, npmDeps, cargoDeps, pnpmDeps have, its position and version.
    Attributes that fail to evaluate come back with ok=False; NixError when the repository
    does not evaluate at all or Nix cannot start."""
    runner = runner or NixRunner()
    nix_file = Path(str(resources.files("updater.nix").joinpath("package_hashes.nix")))
    args = [
        "--eval",
        "--strict",
        "--json",
        str(nix_file),
        "--argstr",
        "repo",
        str(repo.resolve()),
        "--argstr",
        "attrsJson",
        json.dumps(list(attrs)) if attrs is not None else "",
    ]
    try:
        done = runner.run("nix-instantiate", args, timeout=timeout, settings=False)
    except NixError as exc:
        if "timed out" in str(exc):
            raise NixError(
                f"{repo}: evaluating the packages took more than {timeout:.0f} s"
            ) from None
        raise
    if not done.ok:
        tail = done.stderr[-2000:]
        first = next((line for line in tail.splitlines() if "error" in line), "evaluation failed")
        raise NixError(f"{repo}/default.nix: {first.strip()}", log_tail=tail)
    data = json.loads(done.stdout)
    found: dict[str, EvaluatedPackage] = {}
    for name, info in data.items():
        if not info.get("ok"):
            found[name] = EvaluatedPackage(name, False)
            continue
        hashes = tuple(
            (attr, info[attr]) for attr in PACKAGE_HASH_ATTRS if isinstance(info.get(attr), str)
        )
        found[name] = EvaluatedPackage(
            name,
            True,
            position=info.get("position") if isinstance(info.get("position"), str) else None,
            version=info.get("version") if isinstance(info.get("version"), str) else None,
            hashes=hashes,
        )
    return found


def check_parse(path: Path, timeout: float = 30.0, runner: NixRunner | None = None) -> bool:
    """True when Nix itself parses the file (`nix-instantiate --parse`): the judge of what
    tree-sitter-nix cannot read (it rejects some valid Nix, such as a trailing comma in formals).
    """
    if shutil.which("nix-instantiate") is None:
        raise NixError("nix-instantiate is not on PATH")
    try:
        done = (runner or NixRunner()).run(
            "nix-instantiate", ["--parse", str(path)], timeout=timeout, settings=False
        )
    except NixError:  # out of time: not proven to parse
        return False
    return done.ok
