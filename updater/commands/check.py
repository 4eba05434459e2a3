"""`updater check`: which packages have a newer upstream version, as a table or as JSON.

Exit 0 when the check ran (outdated or not), 1 when some source failed (the others still
finish and are reported), 2 for usage errors.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

import click
from rich.console import Console

from updater.commands.display import Display, check_summary, check_table
from updater.commands.output import OutputFormat, format_option, write_records
from updater.context import AppContext

if TYPE_CHECKING:
    from updater.config import Config
    from updater.engine.tracking import Checked, Tracked
    from updater.nixfile.model import ScanResult
    from updater.pipeline.check import CheckRound

# The heavy modules (SQLAlchemy, Alembic, httpx, tree-sitter) are imported inside the command,
# so `updater --help` and the other subcommands do not pay for them.


def run_check(ctx: AppContext, tracked: Sequence[Tracked], display: Display | None) -> CheckRound:
    """The pipeline's check round (answers cached in the store), its results saved there."""
    from updater.pipeline.check import check_units
    from updater.state.store import StateStore

    if display is not None:
        display.start_phase("checking upstreams", sum(1 for t in tracked if t.problem is None))

    def advance(n: int) -> None:
        if display is not None:
            display.advance(n)

    with StateStore.open(ctx.state_url) as store:
        round_ = check_units(ctx, tracked, store=store, on_done=advance)
        now = datetime.now(UTC)
        store.save_check_results([r for c in round_.results for r in c.records(now)])
    return round_


def _age(when: datetime | None, now: datetime) -> str:
    if when is None:
        return ""
    seconds = max(0, int((now - when).total_seconds()))
    for unit, size in (("d", 86400), ("h", 3600), ("m", 60)):
        if seconds >= size:
            return f"{seconds // size}{unit}"
    return f"{seconds}s"


def rows(results: Sequence[Checked]) -> list[dict[str, Any]]:
    now = datetime.now(UTC)
    out: list[dict[str, Any]] = []
    for c in results:
        t, d = c.tracked, c.decision
        for name in t.packages or (t.group,):
            # A commit pin whose version literal stays: the new commit is what is latest, as
            # `run` names it (Decision.shown).
            latest = (
                d.shown if d is not None and d.latest else (t.current if d is not None else None)
            )
            date = d.date if d is not None else None
            out.append(
                {
                    "package": name,
                    "current": t.current,
                    "latest": latest,
                    "outdated": bool(d and d.outdated),
                    "rev": d.rev if d is not None else None,
                    "current_rev": t.current_rev,
                    "newest": d.newest if d is not None else None,
                    "age": _age(date, now) or None,
                    "released_at": date.isoformat() if date else None,
                    # when the pinned version (or commit) was made, when the upstream says
                    "current_date": c.current_date.isoformat() if c.current_date else None,
                    "source": t.source.id if t.source else None,
                    "mode": t.policy.mode,
                    "skipped": [
                        {"tag": s.tag, "version": s.version, "reason": s.reason}
                        for s in (d.skipped if d else ())
                    ],
                    "error": c.error,
                    "problem": t.problem,
                }
            )
    return sorted(out, key=lambda r: str(r["package"]))


def _count_unrefreshable(data: list[dict[str, Any]], scan: ScanResult, ctx: AppContext) -> None:
    """Each row's per-platform hashes no builder here can refresh (an update leaves them and
    says so in its PR): counted here, so they are never stale unmentioned."""
    from updater.engine.plan import unrefreshable
    from updater.engine.settings import current_system

    systems = {current_system(), *ctx.config.nix.systems}
    for r in data:
        left = unrefreshable([p for p in scan.pins if r["package"] in p.packages], systems)
        r["platforms_not_refreshed"] = sorted({p.system or "" for p in left})
        if left:
            r["problem"] = "; ".join(
                filter(
                    None,
                    [
                        r["problem"],
                        f"{len(left)} per-platform hash(es) no builder here can refresh: "
                        + ", ".join(r["platforms_not_refreshed"]),
                    ],
                )
            )


def _with_declined(ctx: AppContext) -> Config:
    """The configuration with the versions declined on the forge (PRs closed unmerged, as the
    last run or the service recorded them) ignored, as `run` ignores them: check must not call
    a package outdated for a version its maintainer already said no to."""
    from updater.delivery.sync import ignoring_declined
    from updater.state.delivery import declined_records
    from updater.state.store import StateStore

    with StateStore.open(ctx.state_url) as store:
        return ignoring_declined(ctx.config, declined_records(store))


SCRIPT_NOTE = "updated by its own passthru.updateScript: `updater run` runs it"


def _add_scripted(data: list[dict[str, Any]], scripted: Sequence[str]) -> None:
    """A row for each package only its own updateScript moves: nothing upstream says whether
    the script will find something newer, so it is named, not checked."""
    by_name = {r["package"]: r for r in data}
    for name in scripted:
        row = by_name.get(name)
        if row is None:
            row = {
                "package": name, "current": None, "latest": None, "outdated": False,
                "rev": None, "current_rev": None, "newest": None, "age": None,
                "released_at": None, "current_date": None, "source": None, "mode": "script",
                "skipped": [],
                "error": None, "problem": None,
            }  # fmt: skip
            data.append(row)
        row["mode"] = "script"
        row["problem"] = "; ".join(filter(None, [row["problem"], SCRIPT_NOTE]))
    data.sort(key=lambda r: str(r["package"]))


@click.command("check")
@click.option(
    "--package",
    "-p",
    "packages",
    multiple=True,
    metavar="NAME",
    help="Check only this package (repeatable).",
)
@format_option
@click.pass_obj
def command(ctx: AppContext, packages: tuple[str, ...], output_format: OutputFormat) -> None:
    """Poll every upstream and show which packages have a newer version."""
    from updater.engine.tracking import failed, tracked_units
    from updater.engine.units import units_of
    from updater.nixfile.cache import scan_cached
    from updater.pipeline.configured import check_configured_packages
    from updater.pipeline.report import refusals
    from updater.pipeline.selection import script_units

    repository = ctx.config.repository
    scan = scan_cached(ctx.repo, repository.pkgs_dir, repository.exclude)
    check_configured_packages(scan, ctx.config, ctx.config_path)
    # An unknown --package is refused by tracked_units, as `run` refuses it (did-you-mean).
    # One decision per unit, exactly as `updater run` plans them: a source group whose pins
    # move independently (a floating nightly beside a pinned release, two files pinning two
    # versions of one repository) is several units, each outdated, current or floating on its
    # own; the requests to one source are still sent once.
    tracked = tracked_units(scan, _with_declined(ctx), packages)
    started = time.monotonic()
    err = Console(stderr=True)
    display = Display(err, "check")
    with display.shown():
        round_ = run_check(ctx, tracked, display)
    data = rows(round_.results)
    _count_unrefreshable(data, scan, ctx)
    every = units_of(scan)
    scripted = [u.packages[0] for u in script_units(scan, every, ctx.config)]
    if packages:
        scripted = [n for n in scripted if n in packages]
    _add_scripted(data, scripted)
    if output_format == "table":
        # A unit that failed for a shared cause (a host down, a token refused) is not a row:
        # the cause is said once below, with how many it kept from being checked.
        shown = [r for r in data if not any(c.concerns(r["error"]) for c in round_.causes)]
        if shown or not round_.causes:
            table, below = check_table(shown)
            out = Console()
            out.print(table)
            for line in below:
                out.print(line, markup=False, highlight=False)
    else:
        write_records(data, output_format)
    for cause in round_.causes:
        hit = sum(1 for r in data if cause.concerns(r["error"]))
        click.echo(f"updater: error: {cause.line()} ({hit} not checked)", err=True)
    refused = refusals(round_.results)
    for r in refused:
        err.print(r.line(), markup=False, highlight=False, soft_wrap=True)
    display.finish(check_summary(data, time.monotonic() - started))
    if failed(round_.results) or refused:
        raise click.exceptions.Exit(1)
