"""From a unit and its target to an UpdatePlan: every literal edit and every hash to refresh.

Nothing here runs Nix or writes a file. The plan says exactly which spans change to what
(rev/tag/version/url), which hash pins are set to the fake hash and recomputed (in the order of
hashes.REFRESHERS), and which per-platform entries are left as they are because this machine
cannot build for their system (reported, never silently stale).

A pin derived from another (`rev = "v${version}"`, a URL interpolating the version) is not
edited: the pin it follows is, and the plan checks the derived value lands on the target.
"""

from __future__ import annotations

import re
from collections.abc import Collection
from dataclasses import dataclass
from pathlib import Path

from updater.config import Config
from updater.engine.hashes import Refresher, order_of, refresher_of
from updater.engine.target import Target
from updater.engine.units import Unit
from updater.nixfile.literals import lock_copies, nix_update_args
from updater.nixfile.model import Location, Pin, PinKind, ScanResult
from updater.upstream.model import COMMIT_RE
from updater.version.nixupdate import parse_nix_update_args

# A sub-package's attribute name (`--subpackage NAME`): plain identifiers, dot-separated.
_ATTR = re.compile(r"[A-Za-z_][A-Za-z0-9_'-]*(\.[A-Za-z_][A-Za-z0-9_'-]*)*")

# Fetchers whose output is the download itself (fetchzip: unpacked): the same on every system.
URL_FETCHERS = frozenset({"fetchurl", "fetchzip", "fetchTarball", "fetchtarball"})


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
    # Another system's entry of a source fetched by URL: its hash is the download's, whoever
    # fetches it, so it is computed here by fetching the URL that system's evaluation names.
    by_url: bool = False


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
    # The files defining the unit's packages: a fixed-output hash found by evaluation (one the
    # scan did not tie to the unit) is refreshed in them too.
    package_files: tuple[str, ...] = ()
    # `<package>.<name>` for each `--subpackage NAME` of a package's nix-update-script: its
    # fixed-output derivations move with the package (nix-update's meaning of the flag).
    subpackages: tuple[str, ...] = ()
    # Lock files the packages keep a copy of in the repository (`cargoLock.lockFile =
    # ./Cargo.lock`): copied from the new source when it has the same file (engine/lockcopy.py).
    lock_copies: tuple[str, ...] = ()

    @property
    def attributes(self) -> tuple[str, ...]:
        """What Nix evaluates, sweeps and verifies: the packages and their sub-packages."""
        return (*self.unit.packages, *self.subpackages)

    @property
    def files(self) -> tuple[str, ...]:
        """Every file the update may change."""
        return tuple(
            sorted(
                {e.pin.file for e in self.edits}
                | {r.pin.file for r in self.refreshes}
                | set(self.package_files)
                | set(self.lock_copies)
            )
        )

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
    _refuse_unmovable(unit, config)
    versions = [p for p in unit.pins if p.kind is PinKind.VERSION]
    old_version = versions[0].value if versions else None
    edits = _Edits(scan, target, old_version)
    for pin in unit.pins:
        edits.move(pin)
    if not edits.by_location:
        raise PlanRefused(f"already at {target.label}: nothing to change")
    refreshes, not_refreshed = _refreshes(unit, systems)
    old_label, new_label = _labels(unit, old_version, target)
    files = tuple(sorted({ref.file for ref in scan.packages if ref.name in unit.packages}))
    return UpdatePlan(
        unit=unit,
        target=target,
        edits=tuple(sorted(edits.by_location.values(), key=lambda e: e.pin.location)),
        refreshes=tuple(refreshes),
        not_refreshed=tuple(not_refreshed),
        old_label=old_label,
        new_label=new_label,
        package_files=files,
        subpackages=_subpackages(scan, unit),
        lock_copies=_lock_copies(scan, files),
    )


def _lock_copies(scan: ScanResult, files: tuple[str, ...]) -> tuple[str, ...]:
    if not scan.repo:
        return ()
    root = Path(scan.repo)
    return tuple(dict.fromkeys(lock for rel in files for lock in lock_copies(root, rel)))


def _subpackages(scan: ScanResult, unit: Unit) -> tuple[str, ...]:
    if not scan.repo:
        return ()
    root = Path(scan.repo)
    out: dict[str, None] = {}
    for ref in scan.packages:
        if ref.name not in unit.packages:
            continue
        args = nix_update_args(root, ref.file)
        if args is None:
            continue
        for name in parse_nix_update_args(args).subpackages:
            if _ATTR.fullmatch(name):
                out.setdefault(f"{ref.name}.{name}", None)
    return tuple(out)


def _refuse_unmovable(unit: Unit, config: Config) -> None:
    reason = _opted_out(unit, config)
    if reason is not None:
        raise PlanRefused(reason)
    floating = [p for p in unit.pins if p.floating]
    if floating:
        raise PlanRefused(
            f"floating reference at {floating[0].location} ({floating[0].value[:60]}): "
            "pin it to a commit or release to have it updated"
        )


class _Edits:
    """The literal edits moving a unit's pins to the target, one per span."""

    def __init__(self, scan: ScanResult, target: Target, old_version: str | None) -> None:
        self.scan = scan
        self.target = target
        self.old_version = old_version
        self.by_location: dict[Location, PinEdit] = {}

    def set(self, pin: Pin, new: str) -> None:
        if pin.value != new:
            self.by_location[pin.location] = PinEdit(pin, new)

    def move(self, pin: Pin) -> None:
        if pin.kind is PinKind.VERSION:
            if pin.literal:
                self.set(pin, self.target.version)
        elif pin.kind in (PinKind.REV, PinKind.TAG):
            if pin.literal:
                self._rev_or_tag(pin)
            else:
                self._derived_rev(pin)
        elif pin.kind is PinKind.URL:
            if pin.literal:
                self._url(pin)
            else:
                self._derived_url(pin)

    def _followed(self, pin: Pin) -> list[Pin | None]:
        return [_pin_at(self.scan, loc) for loc in pin.depends_on]

    def _rev_or_tag(self, pin: Pin) -> None:
        target, where = self.target, pin.location
        if pin.kind is PinKind.REV and COMMIT_RE.match(pin.value):
            if target.commit is None:
                raise PlanRefused(
                    f"{where}: a commit pin, but the commit of {target.label} is unknown"
                )
            self.set(pin, target.commit)
            return
        if target.tag is None:
            raise PlanRefused(f"{where}: pins a tag, but the target is a branch commit")
        self.set(pin, target.tag)

    def _derived_rev(self, pin: Pin) -> None:
        """`rev = "v${version}"`: the version it follows moves, and must give the tag."""
        target, where = self.target, pin.location
        followed = self._followed(pin)
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
            self.set(p, target.version)
            new = _substituted(pin.resolved or "", p.value, target.version)
            if new != target.tag:
                raise PlanRefused(
                    f'{where}: {pin.attr} = "{pin.value}" would read {new!r}, '
                    f"but the release tag is {target.tag!r} (set a tag_prefix or tag_regex)"
                )

    def _url(self, pin: Pin) -> None:
        new_url = _substituted(pin.value, self.old_version or "", self.target.version)
        if new_url is None:
            raise PlanRefused(
                f"{pin.location}: cannot tell where the version is in the URL {pin.value[:80]}"
            )
        self.set(pin, new_url)

    def _derived_url(self, pin: Pin) -> None:
        followed = self._followed(pin)
        if not followed or any(p is None or p.kind is not PinKind.VERSION for p in followed):
            raise PlanRefused(f"{pin.location}: the URL is computed; cannot move it")
        for p in followed:
            assert p is not None
            self.set(p, self.target.version)


def fetched_by_url(pin: Pin) -> bool:
    """A source hash whose value is the download's, whichever system fetches it."""
    return pin.kind is PinKind.HASH and (pin.fetcher or "").rsplit(".", 1)[-1] in URL_FETCHERS


def unrefreshable(pins: Collection[Pin], systems: Collection[str]) -> tuple[Pin, ...]:
    """Per-platform hash pins this machine can compute for no system: their derivation's
    output depends on the system that builds it, and no builder here builds for it."""
    return tuple(
        p
        for p in pins
        if p.kind.is_hash
        and p.system is not None
        and p.system not in systems
        and not fetched_by_url(p)
    )


def _refreshes(
    unit: Unit, systems: Collection[str]
) -> tuple[list[HashRefresh], list[NotRefreshed]]:
    """Every hash pin of the unit to recompute, in refresh order; per-platform entries of
    systems this machine cannot build are left as they are (and reported)."""
    refreshes: list[HashRefresh] = []
    not_refreshed: list[NotRefreshed] = []
    for pin in sorted((p for p in unit.pins if p.kind.is_hash), key=order_of):
        if pin.system is not None and pin.system not in systems and fetched_by_url(pin):
            refreshes.append(
                HashRefresh(pin, refresher_of(pin), pin.packages or unit.packages, by_url=True)
            )
            continue
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
    return refreshes, not_refreshed


def _labels(unit: Unit, old_version: str | None, target: Target) -> tuple[str, str]:
    """What the message says the packages move from and to: versions, or revs when the
    version does not move (a placeholder)."""
    if old_version is not None and old_version != target.version:
        return str(old_version), target.version
    revs = [p for p in unit.pins if p.kind in (PinKind.REV, PinKind.TAG)]
    old = (revs[0].resolved or revs[0].value)[:12] if revs else (old_version or "?")
    return old, target.label
