"""From a unit and its target to an UpdatePlan: every literal edit and every hash to refresh.

Nothing here runs Nix or writes a file. The plan says exactly which spans change to what
(rev/tag/version/url), which hash pins are set to the fake hash and recomputed (in the order of
hashes.REFRESHERS), and which per-platform entries are left as they are because this machine
cannot build for their system (reported, never silently stale).

A pin derived from another (`rev = "v${version}"`, a URL interpolating the version) is not
edited: the pin it follows is, and the plan checks the derived value lands on the target.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass

from updater.config import Config
from updater.engine.hashes import Refresher, order_of, refresher_of
from updater.engine.target import Target
from updater.engine.units import Unit
from updater.nixfile.model import Location, Pin, PinKind, ScanResult
from updater.upstream.model import COMMIT_RE


class PlanRefused(Exception):
    """The unit is not updated, for a reason that is no failure (skip, floating, downgrade)."""


@dataclass(frozen=True)
class PinEdit:
    """Set a rev/tag/version/url pin to `new`."""

    pin: Pin
    new: str

    @property
    def old(self) -> str:
        return self.pin.value


@dataclass(frozen=True)
class HashRefresh:
    """A hash pin to set to the fake hash and recompute by building what `refresher` says."""

    pin: Pin
    refresher: Refresher
    packages: tuple[str, ...]


@dataclass(frozen=True)
class NotRefreshed:
    pin: Pin
    reason: str


@dataclass(frozen=True)
class UpdatePlan:
    unit: Unit
    target: Target
    edits: tuple[PinEdit, ...]
    refreshes: tuple[HashRefresh, ...]  # in refresh order
    not_refreshed: tuple[NotRefreshed, ...]
    old_label: str  # what the message says the packages move from
    new_label: str  # ... and to

    @property
    def moved_locations(self) -> frozenset[Location]:
        return frozenset(
            [e.pin.location for e in self.edits] + [r.pin.location for r in self.refreshes]
        )


def _pin_at(scan: ScanResult, loc: Location) -> Pin | None:
    for pin in scan.pins:
        if (pin.file, pin.start, pin.end) == (loc.file, loc.start, loc.end):
            return pin
    return None


def _substituted(old_resolved: str, old_version: str, new_version: str) -> str | None:
    if not old_version or old_resolved.count(old_version) != 1:
        return None
    return old_resolved.replace(old_version, new_version)


def _opted_out(unit: Unit, config: Config) -> str | None:
    for name in (*unit.packages, unit.group, unit.id):
        pkg = config.packages.get(name)
        if pkg is not None and pkg.skip:
            return f"opted out in the configuration (packages.{name}.skip)"
    for pin in unit.pins:
        for d in pin.directives:
            if d.name == "skip":
                return f"opted out by '# updater: skip' at {d.file}:{d.line}"
    return None


def plan_update(
    scan: ScanResult,
    unit: Unit,
    target: Target,
    config: Config,
    systems: Collection[str],
) -> UpdatePlan:
    """The plan moving `unit` (pins as found by `scan`) to `target`.

    `systems` are the systems whose per-platform hashes can be computed here (the current one,
    plus those config.nix.systems names for remote builders). Raises PlanRefused.
    """
    reason = _opted_out(unit, config)
    if reason is not None:
        raise PlanRefused(reason)
    floating = [p for p in unit.pins if p.floating]
    if floating:
        raise PlanRefused(
            f"floating reference at {floating[0].location} ({floating[0].value[:60]}): "
            "pin it to a commit or release to have it updated"
        )
    versions = [p for p in unit.pins if p.kind is PinKind.VERSION]
    old_version = versions[0].value if versions else None
    edits: dict[Location, PinEdit] = {}

    def edit(pin: Pin, new: str) -> None:
        if pin.value != new:
            edits[pin.location] = PinEdit(pin, new)

    for pin in unit.pins:
        where = str(pin.location)
        if pin.kind is PinKind.VERSION:
            if pin.literal:
                edit(pin, target.version)
        elif pin.kind in (PinKind.REV, PinKind.TAG) and pin.literal:
            if pin.kind is PinKind.REV and COMMIT_RE.match(pin.value):
                if target.commit is None:
                    raise PlanRefused(
                        f"{where}: a commit pin, but the commit of {target.label} is unknown"
                    )
                edit(pin, target.commit)
            else:
                if target.tag is None:
                    raise PlanRefused(f"{where}: pins a tag, but the target is a branch commit")
                edit(pin, target.tag)
        elif pin.kind in (PinKind.REV, PinKind.TAG):
            followed = [_pin_at(scan, loc) for loc in pin.depends_on]
            if not pin.depends_on or any(
                p is None or p.kind is not PinKind.VERSION or not p.literal for p in followed
            ):
                raise PlanRefused(f"{where}: {pin.attr} is computed ({pin.value}); cannot move it")
            if target.tag is None:
                raise PlanRefused(
                    f'{where}: {pin.attr} = "{pin.value}" follows the version; '
                    "it cannot name a branch commit"
                )
            for p in followed:
                assert p is not None
                edit(p, target.version)
                new = _substituted(pin.resolved or "", p.value, target.version)
                if new != target.tag:
                    raise PlanRefused(
                        f'{where}: {pin.attr} = "{pin.value}" would read {new!r}, '
                        f"but the release tag is {target.tag!r} (set a tag_prefix or tag_regex)"
                    )
        elif pin.kind is PinKind.URL:
            if pin.literal:
                new_url = _substituted(pin.value, old_version or "", target.version)
                if new_url is None:
                    raise PlanRefused(
                        f"{where}: cannot tell where the version is in the URL {pin.value[:80]}"
                    )
                edit(pin, new_url)
            else:
                followed = [_pin_at(scan, loc) for loc in pin.depends_on]
                if not followed or any(
                    p is None or p.kind is not PinKind.VERSION for p in followed
                ):
                    raise PlanRefused(f"{where}: the URL is computed; cannot move it")
                for p in followed:
                    assert p is not None
                    edit(p, target.version)
    if not edits:
        raise PlanRefused(f"already at {target.label}: nothing to change")

    refreshes: list[HashRefresh] = []
    not_refreshed: list[NotRefreshed] = []
    for pin in sorted((p for p in unit.pins if p.kind.is_hash), key=order_of):
        if pin.system is not None and pin.system not in systems:
            not_refreshed.append(
                NotRefreshed(
                    pin,
                    f"{pin.system}: no builder for this system here (configure nix.builders "
                    "and nix.systems to refresh it)",
                )
            )
            continue
        refreshes.append(HashRefresh(pin, refresher_of(pin), pin.packages or unit.packages))

    version_moves = old_version is not None and old_version != target.version
    if version_moves:
        old_label, new_label = str(old_version), target.version
    else:
        revs = [p for p in unit.pins if p.kind in (PinKind.REV, PinKind.TAG)]
        old_label = (revs[0].resolved or revs[0].value)[:12] if revs else (old_version or "?")
        new_label = target.label
    return UpdatePlan(
        unit=unit,
        target=target,
        edits=tuple(sorted(edits.values(), key=lambda e: e.pin.location)),
        refreshes=tuple(refreshes),
        not_refreshed=tuple(not_refreshed),
        old_label=old_label,
        new_label=new_label,
    )
