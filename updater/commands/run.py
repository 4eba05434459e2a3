"""`updater run`: update packages to their newest acceptable version, proven by Nix.

Each unit (a source and every package and pin following it) is updated in a scratch worktree
and committed on branch `updater/<package or group>`; then, when pull requests are enabled and
the repository on the forge is known, delivery pushes the branch and opens or updates its PR
(versions of PRs closed unmerged are never proposed again). `--dry-run` prints the diff and
what it would do on the forge, and writes nothing anywhere. Exit 1 if any unit failed (or could
not be delivered), 2 for usage errors.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import click
from rich.console import Console
from rich.table import Table

from updater.context import AppContext
from updater.errors import UsageError

if TYPE_CHECKING:
    from updater.engine.result import UpdateResult


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
@click.option("--json", "as_json", is_flag=True, help="Print the results as JSON.")
@click.option(
    "--shard",
    metavar="I/N",
    default=None,
    help="With --all: only the source groups of shard I of N (1-based, a stable hash).",
)
@click.option(
    "--no-pr", is_flag=True, help="Commit on local branches only: no push, no pull request."
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
    as_json: bool,
    shard: str | None,
    no_pr: bool,
) -> None:
    """Update packages: new rev, source hash and every dependency hash, proven by Nix."""
    from updater.delivery import Delivery, wanted
    from updater.engine.parallel import RunOptions, run_updates
    from updater.engine.result import Outcome

    if bool(packages) == all_:
        raise UsageError("name packages with --package NAME, or use --all")
    if version is not None and all_:
        raise UsageError("--version V applies to named packages, not to --all")
    complete = all_
    if shard is not None:
        if not all_:
            raise UsageError("--shard I/N applies to --all")
        owned = _shard_packages(ctx, shard)
        if owned is not None:  # None: the whole repository is this shard
            if not owned:
                Console(stderr=True).print(f"shard {shard}: no package to update")
                return
            packages, complete = owned, False
    options = RunOptions(packages, version, dry_run, build, jobs or 0)
    err = Console(stderr=True)
    report = None
    if no_pr or not wanted(ctx):
        results = run_updates(ctx, options, console=err)
    else:
        with Delivery.open(ctx, dry_run=dry_run) as delivery:
            delivery.sync()
            # Declined versions (PRs closed unmerged) reach the engine as ignored versions.
            results = run_updates(delivery.engine_context(), options, console=err)
            report = delivery.deliver(results, complete=complete)
    out = Console()
    if as_json:
        sys.stdout.write(json.dumps([_record(r) for r in results], indent=2) + "\n")
    else:
        if dry_run:
            for r in results:
                if r.diff:
                    sys.stdout.write(r.diff)
        # A dry run keeps stdout a pure diff (`git apply` can read it); the table goes to stderr.
        (err if dry_run else out).print(_table(results))
        for r in results:
            if r.outcome is Outcome.FAILED and r.log_tail:
                err.print(f"[bold red]{r.unit}[/]: last lines of the log:")
                err.print(r.log_tail, markup=False, highlight=False)
    if report is not None:
        # stderr, so a dry run's stdout stays a pure diff.
        for line in report.lines():
            err.print(line, markup=False, highlight=False)
    if any(r.outcome is Outcome.FAILED for r in results) or (report and report.errors):
        raise click.exceptions.Exit(1)


def _shard_packages(ctx: AppContext, text: str) -> tuple[str, ...] | None:
    """The packages fed by the source groups this shard owns (groups never split across shards);
    None when the shard is the whole repository."""
    from updater.engine.tracking import tracked_units
    from updater.nixfile.repository import scan_repository
    from updater.pipeline.shard import Shard, packages_by_group

    shard = Shard.parse(text)
    if shard.is_whole:
        return None
    scan = scan_repository(ctx.repo, ctx.config.repository.pkgs_dir)
    tracked = tracked_units(scan, ctx.config)
    owned = shard.owned_groups(packages_by_group(tracked))
    return tuple(sorted({p for t in tracked if t.group in owned for p in t.packages}))
