"""Package attribution by Nix evaluation, for repositories that evaluate.

The static attribution (packages.py) reads aggregators; this asks Nix which exported attribute
really uses which fixed-output hash: `nix-instantiate --eval --json` over every attribute's
`src`, `goModules`, `npmDeps`, `cargoDeps`, `pnpmDeps` output hashes and `meta.position`. The
repository path and the attribute names are passed as arguments (`--argstr`), never spliced
into the expression. Attributes that fail to evaluate are reported as such, not fatal.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from pathlib import Path

from updater import nixhash
from updater.errors import NixError, UnsafeValueError
from updater.nixfile.model import PinKind, ScanResult

_EXPRESSION = """
{ repo, attrsJson }:
let
  set = import repo { };
  wanted = if attrsJson == "" then builtins.attrNames set else builtins.fromJSON attrsJson;
  try = e: let r = builtins.tryEval (builtins.deepSeq e e); in if r.success then r.value else null;
  hashOf = p: name: try (if p ? ${name} && p.${name} ? outputHash then p.${name}.outputHash else null);
  info = name:
    let
      r = builtins.tryEval (set.${name});
      p = r.value;
    in
    if !r.success || !(builtins.isAttrs p) then { ok = false; } else {
      ok = true;
      position = try (p.meta.position or null);
      version = try (p.version or null);
      src = hashOf p "src";
      goModules = hashOf p "goModules";
      npmDeps = hashOf p "npmDeps";
      cargoDeps = hashOf p "cargoDeps";
      pnpmDeps = hashOf p "pnpmDeps";
    };
in
builtins.listToAttrs (map (n: { name = n; value = info n; }) wanted)
"""

# evaluated attribute -> the kind of pin its output hash is written under
_HASH_ATTRS = {
    "src": (PinKind.HASH,),
    "goModules": (PinKind.VENDOR_HASH,),
    "npmDeps": (PinKind.NPM_DEPS_HASH,),
    "cargoDeps": (PinKind.CARGO_HASH,),
    "pnpmDeps": (PinKind.PNPM_DEPS_HASH,),
}


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
    env: Mapping[str, str] | None = None,
    timeout: float = 300.0,
) -> dict[str, EvaluatedPackage]:
    """Evaluate the repository's `default.nix` attributes; NixError when Nix cannot start."""
    exe = shutil.which("nix-instantiate")
    if exe is None:
        raise NixError("nix-instantiate is not on PATH")
    argv = [
        exe,
        "--eval",
        "--strict",
        "--json",
        "--argstr",
        "repo",
        str(repo.resolve()),
        "--argstr",
        "attrsJson",
        json.dumps(list(attrs)) if attrs is not None else "",
        "-E",
        _EXPRESSION,
    ]
    try:
        done = subprocess.run(
            argv,
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
            env=dict(env) if env is not None else dict(os.environ),
        )
    except subprocess.TimeoutExpired:
        raise NixError(f"{repo}: evaluating the packages took more than {timeout:.0f} s") from None
    if done.returncode != 0:
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
            (attr, info[attr]) for attr in _HASH_ATTRS if isinstance(info.get(attr), str)
        )
        found[name] = EvaluatedPackage(
            name,
            True,
            position=info.get("position") if isinstance(info.get("position"), str) else None,
            version=info.get("version") if isinstance(info.get("version"), str) else None,
            hashes=hashes,
        )
    return found


def _digest(text: str) -> bytes | None:
    try:
        return nixhash.parse(text).digest
    except UnsafeValueError:
        return None


def _position_file(position: str | None, repo: Path) -> str | None:
    if not position:
        return None
    path = Path(position.rsplit(":", 1)[0])
    try:
        return path.resolve().relative_to(repo).as_posix()
    except ValueError:
        return None


def attribute_by_evaluation(
    result: ScanResult, evaluated: Mapping[str, EvaluatedPackage]
) -> ScanResult:
    """`result` with each hash pin's packages completed from what Nix evaluated.

    Names the static scan knows as aliases or joins stay in `aliases`.

    A package whose `src` (or `goModules`, `npmDeps`, ...) output hash equals a pin's hash uses
    that pin; it then also uses the other pins of the same group in the same fetcher (rev, tag).
    """
    by_digest: dict[tuple[PinKind, bytes], set[str]] = {}
    for package in evaluated.values():
        for attr, value in package.hashes:
            digest = _digest(value)
            if digest is None:
                continue
            for kind in _HASH_ATTRS[attr]:
                by_digest.setdefault((kind, digest), set()).add(package.name)
    matching: dict[tuple[PinKind, bytes], list[int]] = {}
    for index, pin in enumerate(result.pins):
        if pin.kind.is_hash and pin.literal:
            digest = _digest(pin.value)
            if digest is not None:
                matching.setdefault((pin.kind, digest), []).append(index)
    repo = Path(result.repo).resolve()
    extra: dict[int, set[str]] = {}
    for key, names in by_digest.items():
        candidates = matching.get(key, [])
        for name in names:
            # copies of one literal: a package already placed statically stays where it is;
            # otherwise the copy in the file Nix names as the package's position gets it
            if any(name in result.pins[i].packages for i in candidates):
                continue
            chosen = [
                i
                for i in candidates
                if _position_file(evaluated[name].position, repo) == result.pins[i].file
            ] or candidates
            for i in chosen:
                extra.setdefault(i, set()).add(name)
    if not extra:
        return result
    # the fetcher's other pins (rev, tag, src) feed the same packages as its hash
    by_group_file: dict[tuple[str, str], set[str]] = {}
    for index, names in extra.items():
        pin = result.pins[index]
        if pin.kind is PinKind.HASH:
            by_group_file.setdefault((pin.group, pin.file), set()).update(names)
    known_aliases = {a for pin in result.pins for a in pin.aliases} | {
        a for ref in result.packages for a in ref.aliases
    }
    pins = []
    for index, pin in enumerate(result.pins):
        names = set(extra.get(index, ()))
        if pin.kind in (PinKind.SRC, PinKind.REV, PinKind.TAG):
            names |= by_group_file.get((pin.group, pin.file), set())
        primary = {n for n in names if n not in known_aliases} - set(pin.packages)
        aliases = (names & known_aliases) - set(pin.aliases)
        if primary or aliases:
            pin = replace(
                pin,
                packages=tuple(sorted(set(pin.packages) | primary)),
                aliases=tuple(sorted(set(pin.aliases) | aliases)),
            )
        pins.append(pin)
    return replace(result, pins=tuple(pins))
