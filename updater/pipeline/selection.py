"""What a run covers: the units of a fresh scan, for the named packages and this shard.

`run --package`, `run --all --shard i/n`, `serve --shard i/n` and `POST /run {package}` all pick
their units here, so they agree on what a unit is (engine/units.py) and on who owns it (a shard
owns whole source groups, shard.py).

A package the bot cannot update natively (no unit feeds it, or none of its units can be
checked upstream: no known source, a floating reference, no version to compare) but whose file
sets a `passthru.updateScript` other than nix-update-script gets a script unit: the engine runs
that script (engine/updatescript.py). So does one whose `[packages.X] update_script = "prefer"`,
and its own units then leave the run. A package skipped in the configuration gets none.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from updater.config import Config
from updater.context import AppContext
from updater.engine.tracking import Tracked, tracked_of
from updater.engine.units import Unit, script_unit, select, units_of
from updater.errors import ConfigError
from updater.nixfile.cache import scan_cached
from updater.nixfile.literals import has_own_update_script
from updater.nixfile.model import ScanResult
from updater.pipeline.shard import Shard, packages_by_group


@dataclass(frozen=True)
class Selection:
    """The units of a run in scan order, each with what tracking knows of it."""

    scan: ScanResult
    units: tuple[Unit, ...]
    tracked: tuple[Tracked, ...] = field(default=())
    # Packages updated by their own updateScript (engine/units.script_unit), in scan order.
    scripted: tuple[Unit, ...] = field(default=())

    @property
    def packages(self) -> tuple[str, ...]:
        """Every package (or, for a unit without one, its group) the run covers, sorted."""
        names = {n for t in self.tracked for n in (t.packages or (t.group,))}
        return tuple(sorted(names | {u.packages[0] for u in self.scripted}))


def select_units(
    ctx: AppContext, packages: Sequence[str] = (), shard: Shard | None = None
) -> Selection:
    """The units feeding `packages` (every unit when none are named) that `shard` owns.

    UsageError names a package no unit feeds; a known package of another shard selects nothing.
    """
    settings = ctx.config.repository
    scan = scan_cached(ctx.repo, settings.pkgs_dir, settings.exclude)
    every = units_of(scan)
    every_script = script_units(scan, every, ctx.config)
    # A unit feeding only packages whose own script is preferred is the script's to run.
    scripted = {u.packages[0] for u in every_script}
    every = tuple(u for u in every if not u.packages or not set(u.packages) <= scripted)
    wanted = select(every, packages, scan)
    scripts = every_script
    if packages:
        named = set(packages)
        aliases = {r.name: set(r.aliases) for r in scan.packages}
        scripts = tuple(
            u for u in scripts if named & ({u.packages[0]} | aliases.get(u.packages[0], set()))
        )
    if shard is not None and not shard.is_whole:
        # Ownership is decided over the whole repository: a package fed by several sources
        # ties their groups to one shard.
        owned = shard.owned_groups(packages_by_group((*every, *every_script)))
        wanted = tuple(u for u in wanted if u.group in owned)
        scripts = tuple(u for u in scripts if u.group in owned)
    tracked = tuple(tracked_of(u, scan, ctx.config) for u in wanted)
    return Selection(scan, wanted, tracked, scripts)


def script_units(scan: ScanResult, every: Sequence[Unit], config: Config) -> tuple[Unit, ...]:
    """A script unit for each package that has its own updateScript and that no unit of `every`
    can update natively; none for a package the configuration skips."""
    if not scan.repo:
        return ()
    root = Path(scan.repo)
    feeding: dict[str, list[Unit]] = {}
    for unit in every:
        for name in unit.packages:
            feeding.setdefault(name, []).append(unit)
    out: list[Unit] = []
    seen: set[str] = set()
    for ref in scan.packages:
        if ref.name in seen or _skipped(config, ref.name):
            continue
        seen.add(ref.name)
        preferred = _prefers_script(config, ref.name)
        if not has_own_update_script(root, ref.file):
            if preferred:
                raise ConfigError(
                    f'[packages.{ref.name}] update_script = "prefer": {ref.file} sets no '
                    "passthru.updateScript of its own (nix-update-script's flags are policy)"
                )
            continue
        if preferred:
            _refuse_shared(ref.name, feeding.get(ref.name, []), config)
            out.append(script_unit(ref.name))
            continue
        problems = [tracked_of(u, scan, config).problem for u in feeding.get(ref.name, [])]
        if any(p is None or p.startswith("skipped") for p in problems):
            continue  # the bot follows its upstream itself, or was told to leave it alone
        out.append(script_unit(ref.name))
    return tuple(out)


def _prefers_script(config: Config, name: str) -> bool:
    pkg = config.packages.get(name)
    return pkg is not None and pkg.update_script == "prefer"


def _refuse_shared(name: str, units: Sequence[Unit], config: Config) -> None:
    """A package whose script is preferred must not share a unit with one whose is not: the
    unit would move the shared pins under the script's feet."""
    for unit in units:
        others = sorted(p for p in unit.packages if p != name and not _prefers_script(config, p))
        if others:
            raise ConfigError(
                f'[packages.{name}] update_script = "prefer": {name} shares its source '
                f"{unit.group} with {', '.join(others[:3])}, which the bot updates itself "
                "(prefer the script for all of them, or for none)"
            )


def _skipped(config: Config, name: str) -> bool:
    pkg = config.packages.get(name)
    return pkg is not None and pkg.skip
