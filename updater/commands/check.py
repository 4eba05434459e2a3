"""`updater check`: which packages have a newer upstream version, as a table or as JSON.

Exit 0 when the check ran (outdated or not), 1 when some source failed (the others still
finish and are reported), 2 for usage errors.
"""

from __future__ import annotations

import json
import sys
import time
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

import click
from rich.console import Console

from updater.commands.display import Display, check_summary, check_table
from updater.context import AppContext
from updater.errors import UsageError

if TYPE_CHECKING:
    from updater.engine.tracking import Checked, Tracked

# The heavy modules (SQLAlchemy, Alembic, httpx, tree-sitter) are imported inside the command,
# so `updater --help` and the other subcommands do not pay for them.


def run_check(
    ctx: AppContext, tracked: Sequence[Tracked], display: Display | None
) -> list[Checked]:
    """The pipeline's check round (answers cached in the store), its results saved there."""
    from updater.pipeline.check import check_units
    from updater.state.store import StateStore

    if display is not None:
        display.start_phase("checking upstreams", sum(1 for t in tracked if t.problem is None))

    def advance(n: int) -> None:
        if display is not None:
            display.advance(n)

    with StateStore.open(ctx.state_url) as store:
        results = check_units(ctx, tracked, store=store, on_done=advance).results
        now = datetime.now(UTC)
        store.save_check_results([r for c in results for r in c.records(now)])
    return list(results)


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
            latest = (
                d.latest if d is not None and d.latest else (t.current if d is not None else None)
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


@click.command("check")
@click.option(
    "--package",
    "-p",
    "packages",
    multiple=True,
    metavar="NAME",
    help="Check only this package (repeatable).",
)
@click.option("--json", "as_json", is_flag=True, help="Print a JSON array instead of a table.")
@click.pass_obj
def command(ctx: AppContext, packages: tuple[str, ...], as_json: bool) -> None:
    """Poll every upstream and show which packages have a newer version."""
    from updater.engine.tracking import failed, tracked_units
    from updater.nixfile.repository import scan_repository

    scan = scan_repository(ctx.repo, ctx.config.repository.pkgs_dir)
    known = {p for g in scan.groups() for p in g.packages} | {g.id for g in scan.groups()}
    unknown = [p for p in packages if p not in known]
    if unknown:
        raise UsageError(f"unknown package(s): {', '.join(unknown)} (not found under {ctx.repo})")
    # One decision per unit, exactly as `updater run` plans them: a source group whose pins
    # move independently (a floating nightly beside a pinned release, two files pinning two
    # versions of one repository) is several units, each outdated, current or floating on its
    # own; the requests to one source are still sent once.
    tracked = tracked_units(scan, ctx.config, packages)
    started = time.monotonic()
    err = Console(stderr=True)
    display = Display(err, "check")
    with display.shown():
        results = run_check(ctx, tracked, display)
    data = rows(results)
    if as_json:
        sys.stdout.write(json.dumps(data, indent=2) + "\n")
    else:
        table, below = check_table(data)
        out = Console()
        out.print(table)
        for line in below:
            out.print(line, markup=False, highlight=False)
    display.finish(check_summary(data, time.monotonic() - started))
    if failed(results):
        raise click.exceptions.Exit(1)
