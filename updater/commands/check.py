"""`updater check`: which packages have a newer upstream version, as a table or as JSON.

Exit 0 when the check ran (outdated or not), 1 when some source failed (the others still
finish and are reported), 2 for usage errors.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

import click
from rich.console import Console
from rich.progress import Progress
from rich.table import Table

from updater.commands.output import OutputFormat, format_option, write_records
from updater.context import AppContext
from updater.errors import UsageError

if TYPE_CHECKING:
    from updater.engine.tracking import Checked, Tracked
    from updater.pipeline.check import CheckRound

# The heavy modules (SQLAlchemy, Alembic, httpx, tree-sitter) are imported inside the command,
# so `updater --help` and the other subcommands do not pay for them.


def run_check(ctx: AppContext, tracked: Sequence[Tracked], progress: Progress | None) -> CheckRound:
    """The pipeline's check round (answers cached in the store), its results saved there."""
    from updater.pipeline.check import check_units
    from updater.state.store import StateStore

    task = None
    if progress is not None:
        task = progress.add_task(
            "checking upstreams", total=sum(1 for t in tracked if t.problem is None)
        )

    def advance(n: int) -> None:
        if progress is not None and task is not None:
            progress.advance(task, n)

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


def _table(data: list[dict[str, Any]]) -> Table:
    table = Table(title="updater check")
    for col in ("package", "current", "latest", "age", "source", "skipped / problem"):
        table.add_column(col, overflow="fold")
    for r in data:
        latest = r["latest"] or ""
        if r["outdated"]:
            rev = r["rev"] or ""
            latest = f"[bold green]{latest}[/]" + (
                f" ({rev[:12]})" if rev and rev != latest else ""
            )
        notes = [f"{s['version']}: {s['reason']}" for s in r["skipped"]]
        if r["error"]:
            notes.append(f"[red]error: {r['error']}[/]")
        if r["problem"]:
            notes.append(f"[yellow]{r['problem']}[/]")
        table.add_row(
            r["package"],
            r["current"] or "",
            latest,
            r["age"] or "",
            r["source"] or "",
            "\n".join(notes),
        )
    return table


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
    from updater.nixfile.repository import scan_repository
    from updater.pipeline.configured import check_configured_packages

    scan = scan_repository(ctx.repo, ctx.config.repository.pkgs_dir)
    check_configured_packages(scan, ctx.config, ctx.config_path)
    known = {p for g in scan.groups() for p in g.packages} | {g.id for g in scan.groups()}
    unknown = [p for p in packages if p not in known]
    if unknown:
        import difflib

        close = difflib.get_close_matches(unknown[0], sorted(known), n=3, cutoff=0.5)
        hint = f"; did you mean {', '.join(close)}?" if close else ""
        raise UsageError(
            f"unknown package(s): {', '.join(unknown)} (not found under {ctx.repo}){hint} "
            "(`updater scan` lists them)"
        )
    # One decision per unit, exactly as `updater run` plans them: a source group whose pins
    # move independently (a floating nightly beside a pinned release, two files pinning two
    # versions of one repository) is several units, each outdated, current or floating on its
    # own; the requests to one source are still sent once.
    tracked = tracked_units(scan, ctx.config, packages)
    console = Console(stderr=True)
    if console.is_terminal and output_format == "table":
        with Progress(console=console, transient=True) as progress:
            round_ = run_check(ctx, tracked, progress)
    else:
        round_ = run_check(ctx, tracked, None)
    data = rows(round_.results)
    if output_format == "table":
        # A unit that failed for a shared cause (a host down, a token refused) is not a row:
        # the cause is said once below, with how many it kept from being checked.
        shown = [r for r in data if not any(c.concerns(r["error"]) for c in round_.causes)]
        if shown or not round_.causes:
            Console().print(_table(shown))
    else:
        write_records(data, output_format)
    for cause in round_.causes:
        hit = sum(1 for r in data if cause.concerns(r["error"]))
        click.echo(f"updater: error: {cause.line()} ({hit} not checked)", err=True)
    if failed(round_.results):
        raise click.exceptions.Exit(1)
