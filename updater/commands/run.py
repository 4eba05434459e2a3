"""`updater run`: update packages to their newest acceptable version, proven by Nix.

Each unit (a source and every package and pin following it) is updated in a scratch worktree
and committed on branch `updater/<package or group>`; then, when pull requests are enabled and
the repository on the forge is known, delivery pushes the branch and opens or updates its PR
(versions of PRs closed unmerged are never proposed again). `--dry-run` prints the diff and
what it would do on the forge, and writes nothing anywhere. Exit 1 if any unit failed (or could
not be delivered) or an upstream's tag was refused (each is named), 2 for usage errors.
"""

from __future__ import annotations

import sys
import time
from collections import Counter
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import click
from rich.console import Console
from rich.table import Table

from updater.commands.display import Display, Summary
from updater.commands.output import OutputFormat, format_option, write_records
from updater.context import AppContext
from updater.errors import UsageError

# `[repository] github` or GITHUB_REPOSITORY names the forge's repository (docs/OPERATING.md).
NO_FORGE = "updater: no forge configured: branches only, no pull requests"

if TYPE_CHECKING:
    from updater.delivery.report import DeliveryReport
    from updater.engine.result import UpdateResult
    from updater.engine.tracking import Checked
    from updater.pipeline.report import PipelineReport
    from updater.pipeline.run import PipelineEvents, PipelineRequest
    from updater.pipeline.step import EngineStep


def _table(results: Sequence[UpdateResult]) -> Table:
    table = Table(title="updater run")
    for col in ("unit", "packages", "outcome", "change", "details"):
        table.add_column(col, overflow="fold")
    style = {"updated": "bold green", "skipped": "yellow", "failed": "bold red"}
    for r in results:
        change = f"{r.old} -> {r.new}" if r.old or r.new else ""
        details: list[str] = []
        if r.reason:
            details.append(r.reason)
        if r.branch:
            details.append(f"branch {r.branch} ({(r.commit or '')[:12]})")
        for left in r.not_refreshed:
            details.append(f"not refreshed: {left.location} ({left.system})")
        if r.outcome.value == "updated":
            details.append(
                f"{r.builds} hash build(s), "
                + ("verified" if r.verified else f"not verified: {r.verify_note}")
                + (", built" if r.built else "")
            )
        packages = ", ".join(r.packages[:4]) + (
            f" +{len(r.packages) - 4}" if len(r.packages) > 4 else ""
        )
        table.add_row(
            r.unit,
            packages,
            f"[{style[r.outcome.value]}]{r.outcome.value}[/]",
            change,
            "\n".join(details),
        )
    return table


def _record(r: UpdateResult) -> dict[str, Any]:
    return {
        "unit": r.unit,
        "packages": list(r.packages),
        "outcome": r.outcome.value,
        "reason": r.reason or None,
        "old": r.old,
        "new": r.new,
        "branch": r.branch,
        "commit": r.commit,
        "verified": r.verified,
        "built": r.built,
        "builds": r.builds,
        "changes": [
            {"location": str(c.location), "kind": c.kind.value, "old": c.old, "new": c.new}
            for c in r.changes
        ],
        "not_refreshed": [
            {"location": str(n.location), "system": n.system, "reason": n.reason}
            for n in r.not_refreshed
        ],
        "log_tail": r.log_tail or None,
    }


@click.command("run")
@click.option(
    "--package",
    "-p",
    "packages",
    multiple=True,
    metavar="NAME",
    help="Update this package (repeatable); its whole source group moves with it.",
)
@click.option("--all", "all_", is_flag=True, help="Update every package that has a newer version.")
@click.option("--version", "version", metavar="V", help="Move to release V instead of the newest.")
@click.option("--dry-run", is_flag=True, help="Print the diff it would commit; write nothing.")
@click.option("--build", is_flag=True, help="Also build every updated package.")
@click.option(
    "--jobs",
    "-j",
    type=click.IntRange(min=1),
    default=None,
    help="Units updated in parallel (default: the number of CPUs).",
)
@format_option
@click.option(
    "--shard",
    metavar="I/N",
    default=None,
    help="With --all: only the source groups of shard I of N (1-based, a stable hash).",
)
@click.option(
    "--no-pr", is_flag=True, help="Commit on local branches only: no push, no pull request."
)
@click.option(
    "--wait-lock",
    type=click.FloatRange(min=0),
    default=0.0,
    metavar="SECONDS",
    help="When another run holds the run lock, wait up to SECONDS for it (default: refuse).",
)
@click.pass_obj
def command(
    ctx: AppContext,
    packages: tuple[str, ...],
    all_: bool,
    version: str | None,
    dry_run: bool,
    build: bool,
    jobs: int | None,
    output_format: OutputFormat,
    shard: str | None,
    no_pr: bool,
    wait_lock: float,
) -> None:
    """Update packages: new rev, source hash and every dependency hash, proven by Nix."""
    from updater.engine.result import Outcome
    from updater.pipeline.step import EngineStep

    request = _request(packages, all_, version, shard)
    started = time.monotonic()
    err = Console(stderr=True)
    display = Display(err, "run")
    step = EngineStep(
        ctx,
        dry_run=dry_run,
        build=build,
        jobs=jobs or 0,
        deliver=not no_pr,
        # --all over the whole repository: delivery forgets units that are gone.
        complete=all_ and request.shard.is_whole,
        # One live line for the whole run (display.py), not the engine's own.
        on_step=display.unit_step,
    )
    report = _execute(ctx, request, step, display, dry_run=dry_run, wait=wait_lock)
    wants_prs = not no_pr and not dry_run and ctx.config.pull_requests.enabled
    if wants_prs and ctx.endpoints.repository is None:
        # Once the run got this far (the configuration and names were fine), in one line.
        click.echo(NO_FORGE, err=True)
    if shard is not None and not report.results:
        err.print(f"shard {shard}: no package to update")
        return
    if report.causes:
        _stopped(report, output_format)
    _print(report.results, report.delivery, output_format=output_format, dry_run=dry_run, err=err)
    # Every refused tag is named (stderr: a dry run's stdout stays a diff) and fails the run.
    refused = report.refused
    for r in refused:
        err.print(r.line(), markup=False, highlight=False, soft_wrap=True)
    display.finish(_summary(report.results, report.delivery, time.monotonic() - started))
    failed = any(r.outcome is Outcome.FAILED for r in report.results)
    if failed or refused or (report.delivery is not None and report.delivery.errors):
        raise click.exceptions.Exit(1)


def _request(
    packages: tuple[str, ...], all_: bool, version: str | None, shard: str | None
) -> PipelineRequest:
    from updater.pipeline.run import PipelineRequest
    from updater.pipeline.shard import Shard

    if bool(packages) == all_:
        raise UsageError("name packages with --package NAME, or use --all")
    if version is not None and all_:
        raise UsageError("--version V applies to named packages, not to --all")
    if shard is not None and not all_:
        raise UsageError("--shard I/N applies to --all")
    return PipelineRequest(
        packages=packages,
        shard=Shard.parse(shard) if shard is not None else Shard(),
        version=version,
        # The dashboard says when the configured schedule (the cron workflow) runs next.
        scheduled=True,
    )


def _execute(
    ctx: AppContext,
    request: PipelineRequest,
    step: EngineStep,
    display: Display,
    *,
    dry_run: bool,
    wait: float = 0.0,
) -> PipelineReport:
    """The pipeline, shown live; under the run lock unless it is a dry run (which writes
    nothing): a second `run` (or a `serve`/`demo` cycle) stops saying who runs."""
    from updater.pipeline.run import run_pipeline
    from updater.state.runlock import held_run_lock

    with display.shown():
        display.start_phase("checking upstreams")
        if dry_run:
            return run_pipeline(ctx, request, step, events=_phases(display))
        label = None if request.shard.is_whole else request.shard.label
        with held_run_lock(ctx.state_url, ctx.repo, label, wait=wait):
            return run_pipeline(ctx, request, step, events=_phases(display))


def _stopped(report: PipelineReport, output_format: OutputFormat) -> None:
    """A shared cause stopped the run: said once, no table of units failing alike; exit 1."""
    if output_format != "table":
        write_records([_record(r) for r in report.results], output_format)
    for cause in report.causes:
        # click, not rich: one line however narrow the terminal.
        click.echo(f"updater: error: {cause.line()}", err=True)
    raise click.exceptions.Exit(1)


def _phases(display: Display) -> PipelineEvents:
    """Moves the live line from the check to the updates."""
    from updater.pipeline.run import PipelineEvents

    class Phases(PipelineEvents):
        def checked(self, results: Sequence[Checked]) -> None:
            outdated = sum(1 for c in results if c.decision is not None and c.decision.outdated)
            display.start_phase("updating", outdated)

    return Phases()


def _summary(
    results: Sequence[UpdateResult], delivery: DeliveryReport | None, seconds: float
) -> Summary:
    counts = Counter(r.outcome.value for r in results)
    if delivery is not None:
        counts["pr opened"] = len(delivery.opened)
        counts["pr updated"] = len(delivery.updated)
        counts["not delivered"] = len(delivery.errors)
    return Summary("ran", len(results), "unit", counts, seconds)


def _print(
    results: Sequence[UpdateResult],
    delivery: DeliveryReport | None,
    *,
    output_format: OutputFormat,
    dry_run: bool,
    err: Console,
) -> None:
    from updater.engine.result import Outcome

    if output_format != "table":
        write_records([_record(r) for r in results], output_format)
    else:
        if dry_run:
            for r in results:
                if r.diff:
                    sys.stdout.write(r.diff)
        # A dry run keeps stdout a pure diff (`git apply` can read it); the table goes to stderr.
        (err if dry_run else Console()).print(_table(results))
        for r in results:
            if r.outcome is Outcome.FAILED and r.log_tail:
                err.print(f"[bold red]{r.unit}[/]: last lines of the log:")
                err.print(r.log_tail, markup=False, highlight=False)
    if delivery is not None:
        # stderr, so a dry run's stdout stays a pure diff.
        for line in delivery.lines():
            err.print(line, markup=False, highlight=False)
