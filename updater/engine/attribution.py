"""Package attribution by Nix evaluation, for repositories that evaluate.

The static attribution (nixfile/packages.py) reads aggregators; this completes it with what Nix
says (nix/inspect.py's `evaluate_packages`): which exported attribute really uses which
fixed-output hash. Pure: the evaluation is the caller's.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from pathlib import Path

from updater import nixhash
from updater.errors import UnsafeValueError
from updater.nix.inspect import EvaluatedPackage
from updater.nixfile.model import PinKind, ScanResult

# evaluated attribute -> the kind of pin its output hash is written under
_HASH_ATTRS = {
    "src": (PinKind.HASH,),
    "goModules": (PinKind.VENDOR_HASH,),
    "npmDeps": (PinKind.NPM_DEPS_HASH,),
    "cargoDeps": (PinKind.CARGO_HASH,),
    "pnpmDeps": (PinKind.PNPM_DEPS_HASH,),
}


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
    extra = _packages_of_hash_pins(result, evaluated)
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


def _packages_of_hash_pins(
    result: ScanResult, evaluated: Mapping[str, EvaluatedPackage]
) -> dict[int, set[str]]:
    """Index of a hash pin in `result.pins` -> the packages Nix says use its hash (and the
    static scan did not already place)."""
    by_digest = _packages_by_hash(evaluated)
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
    return extra


def _packages_by_hash(
    evaluated: Mapping[str, EvaluatedPackage],
) -> dict[tuple[PinKind, bytes], set[str]]:
    """(pin kind, digest) -> the evaluated packages whose output hash it is."""
    by_digest: dict[tuple[PinKind, bytes], set[str]] = {}
    for package in evaluated.values():
        for attr, value in package.hashes:
            digest = _digest(value)
            if digest is None:
                continue
            for kind in _HASH_ATTRS[attr]:
                by_digest.setdefault((kind, digest), set()).add(package.name)
    return by_digest
