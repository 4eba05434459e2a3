"""What a run covers: the units of a fresh scan, for the named packages and this shard.

`run --package`, `run --all --shard i/n`, `serve --shard i/n` and `POST /run {package}` all pick
their units here, so they agree on what a unit is (engine/units.py) and on who owns it (a shard
owns whole source groups, shard.py).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from updater.context import AppContext
from updater.engine.tracking import Tracked, tracked_of
from updater.engine.units import Unit, select, units_of
from updater.nixfile.cache import scan_cached
from updater.nixfile.model import ScanResult
from updater.pipeline.shard import Shard, packages_by_group


@dataclass(frozen=True)
class Selection:
    """The units of a run in scan order, each with what tracking knows of it."""

    scan: ScanResult
    units: tuple[Unit, ...]
    tracked: tuple[Tracked, ...] = field(default=())

    @property
    def packages(self) -> tuple[str, ...]:
        """Every package (or, for a unit without one, its group) the run covers, sorted."""
        return tuple(sorted({n for t in self.tracked for n in (t.packages or (t.group,))}))


def select_units(
    ctx: AppContext, packages: Sequence[str] = (), shard: Shard | None = None
) -> Selection:
    """The units feeding `packages` (every unit when none are named) that `shard` owns.

    UsageError names a package no unit feeds; a known package of another shard selects nothing.
    """
    settings = ctx.config.repository
    scan = scan_cached(ctx.repo, settings.pkgs_dir, settings.exclude)
    every = units_of(scan)
    wanted = select(every, packages, scan)
    if shard is not None and not shard.is_whole:
        # Ownership is decided over the whole repository: a package fed by several sources
        # ties their groups to one shard.
        owned = shard.owned_groups(packages_by_group(every))
        wanted = tuple(u for u in wanted if u.group in owned)
    tracked = tuple(tracked_of(u, scan, ctx.config) for u in wanted)
    return Selection(scan, wanted, tracked)
