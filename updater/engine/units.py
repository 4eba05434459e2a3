"""Units of work: the pins that must move together, and the packages they feed.

A scan groups pins by upstream source. One source can feed independent pins (two files pinning
two different revs of one monorepo; a floating nightly next to a pinned release), so a group is
split into strands: pins are joined when they feed a common package, when one is a copy of the
other (same literal, must move together) or when one follows the other (`rev = "v${version}"`).
A strand is one unit: updated in one worktree, one commit, one branch.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from updater.errors import UsageError
from updater.nixfile.model import Location, Pin, ScanResult


@dataclass(frozen=True)
class Unit:
    """One strand of a source group."""

    id: str  # the group id, plus `#<first package>` when the group has several strands
    group: str
    packages: tuple[str, ...]
    pins: tuple[Pin, ...]
    repo_name: str | None = None  # the upstream repository's name, for branch names
    # Updated by the package's own passthru.updateScript (engine/updatescript.py): no pins,
    # one package, nothing to check upstream; the script itself finds what is new.
    script: bool = False

    @property
    def label(self) -> str:
        """A short human name: the package; for several, their common name prefix (`knot` for
        knot-appview, knot-spindle, ...) or else the upstream repository's name."""
        if len(self.packages) == 1:
            return self.packages[0]
        parts = [p.split("-") for p in self.packages]
        common: list[str] = []
        for words in zip(*parts, strict=False):
            if len(set(words)) != 1:
                break
            common.append(words[0])
        if common and len(common) < min(len(p) for p in parts):
            return "-".join(common)
        return self.repo_name or self.id

    def scan(self, whole: ScanResult) -> ScanResult:
        """A scan holding only this unit's pins (what tracking plans one decision from)."""
        return ScanResult(repo=whole.repo, pins=self.pins, packages=whole.packages)


def _key(loc: Location) -> tuple[str, int, int]:
    return (loc.file, loc.start, loc.end)


class _Joiner:
    def __init__(self, n: int) -> None:
        self.parent = list(range(n))

    def find(self, i: int) -> int:
        while self.parent[i] != i:
            self.parent[i] = self.parent[self.parent[i]]
            i = self.parent[i]
        return i

    def join(self, a: int, b: int) -> None:
        ra, rb = self.find(a), self.find(b)
        if ra != rb:
            self.parent[max(ra, rb)] = min(ra, rb)


def _strands(pins: Sequence[Pin]) -> list[list[Pin]]:
    joiner = _Joiner(len(pins))
    at = {_key(p.location): i for i, p in enumerate(pins)}
    by_package: dict[str, int] = {}
    first_in_file: dict[str, int] = {}
    for i, pin in enumerate(pins):
        first_in_file.setdefault(pin.file, i)
    for i, pin in enumerate(pins):
        for name in pin.packages:
            if name in by_package:
                joiner.join(i, by_package[name])
            else:
                by_package[name] = i
        for loc in (*pin.copies, *pin.depends_on):
            j = at.get(_key(loc))
            if j is not None:
                joiner.join(i, j)
        if not pin.packages:
            # A pin no exported package is known to use stays with its file's other pins.
            joiner.join(i, first_in_file[pin.file])
    out: dict[int, list[Pin]] = {}
    for i, pin in enumerate(pins):
        out.setdefault(joiner.find(i), []).append(pin)
    return list(out.values())


def units_of(scan: ScanResult) -> tuple[Unit, ...]:
    """Every unit of the repository, in scan order."""
    units: list[Unit] = []
    for group in scan.groups():
        strands = _strands(group.pins)
        for pins in strands:
            packages = tuple(sorted({n for p in pins for n in p.packages}))
            uid = group.id
            if len(strands) > 1:
                uid = f"{group.id}#{packages[0] if packages else pins[0].location}"
            units.append(Unit(uid, group.id, packages, tuple(pins), group.repo))
    return tuple(units)


SCRIPT_PREFIX = "updateScript:"


def script_unit(package: str) -> Unit:
    """The unit of a package its own updateScript updates (its id is its own source group)."""
    uid = f"{SCRIPT_PREFIX}{package}"
    return Unit(uid, uid, (package,), (), script=True)


def known_names(units: Iterable[Unit], scan: ScanResult | None = None) -> set[str]:
    """Every name `select` accepts: packages (attribute paths), aliases, unit and group ids."""
    names = {n for u in units for n in (*u.packages, u.id, u.group)}
    names |= {a for u in units for p in u.pins for a in p.aliases}
    if scan is not None:
        names |= {r.name for r in scan.packages} | {a for r in scan.packages for a in r.aliases}
    return names


def closest_names(name: str, known: Iterable[str]) -> list[str]:
    """Names that look like `name`: same last component, containing it, or close in spelling."""
    known = sorted(set(known))
    tail = name.rsplit(".", 1)[-1]
    exact_tail = [k for k in known if k.rsplit(".", 1)[-1] == tail or k.endswith(f"-{tail}")]
    close = difflib.get_close_matches(name, known, n=3, cutoff=0.6)
    containing = [k for k in known if len(name) >= 3 and name in k]
    seen: dict[str, None] = {}
    for k in (*exact_tail, *close, *containing):
        seen.setdefault(k, None)
    return list(seen)[:3]


def select(
    units: Iterable[Unit], names: Sequence[str], scan: ScanResult | None = None
) -> tuple[Unit, ...]:
    """The units feeding the named packages (or named by unit/group id); all when none named.

    A name is any attribute path `scan` lists (`foo`, `python3Packages.foo`, `org-foo`), an
    alias of one, or a unit or group id. A known package without pins selects nothing; an
    unknown name is a UsageError naming the closest known names.
    """
    units = tuple(units)
    if not names:
        return units
    wanted = set(names)

    def feeds(unit: Unit) -> bool:
        aliases = {a for p in unit.pins for a in p.aliases}
        return bool(wanted & (set(unit.packages) | aliases | {unit.id, unit.group}))

    chosen = tuple(u for u in units if feeds(u))
    known = known_names(units, scan)
    unknown = sorted(wanted - known)
    if unknown:
        hints = []
        for name in unknown:
            closest = closest_names(name, (k for k in known if "/" not in k and ":" not in k))
            hint = f" (did you mean {', '.join(closest)}?)" if closest else ""
            hints.append(f"{name}{hint}")
        raise UsageError(f"unknown package(s): {'; '.join(hints)} (`updater scan` lists them)")
    return chosen
