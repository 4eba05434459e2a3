"""`updater doctor`: one row per check of the machine, the repository and the credentials.

Exit 0 when every check passes (warnings included), 1 when one fails. The configuration is
checked here too: a file that cannot be read is a failed row, not an exit before the others.
"""

from __future__ import annotations

from typing import Literal

import click
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from updater.commands.output import write_records
from updater.context import AppContext

# Where cli.py leaves the configuration's error for this command (the defaults stand in).
CONFIG_ERROR_KEY = "updater.config_error"

_MARK = {
    "ok": "[green]ok[/]",
    "warn": "[yellow]warn[/]",
    "fail": "[bold red]FAIL[/]",
    "skip": "skip",
}


@click.command("doctor")
@click.option(
    "--online",
    is_flag=True,
    help="Also ask the forge: it answers, the token may push and open PRs, rate limit left.",
)
@click.option(
    "--format",
    "output_format",
    type=click.Choice(["table", "json", "jsonl"]),
    default="table",
    show_default=True,
    help="table for people; json: one array; jsonl: one JSON object per line.",
)
@click.pass_obj
def command(
    ctx: AppContext, online: bool, output_format: Literal["table", "json", "jsonl"]
) -> None:
    """Check that Nix can build, git and the repository, the configuration, the credentials
    and the state store are ready; run it first, and whenever a run says so."""
    from updater.doctor.model import passed
    from updater.doctor.report import run_doctor

    config_error = click.get_current_context().meta.get(CONFIG_ERROR_KEY)
    results = run_doctor(ctx, online=online, config_error=config_error)
    if output_format == "table":
        table = Table(title="updater doctor", show_lines=False)
        for col in ("check", "", "detail"):
            table.add_column(col, overflow="fold")
        for r in results:
            # Details quote config keys such as [packages.x]: text, never markup.
            detail = escape(r.detail)
            if r.hint and r.status != "ok":
                detail += f"\n[dim]-> {escape(r.hint)}[/]"
            table.add_row(escape(f"{r.group}: {r.name}"), _MARK[r.status], detail)
        Console().print(table)
        failed = sum(1 for r in results if r.status == "fail")
        summary = (
            f"{len(results)} checks: {failed} failed"
            if failed
            else f"{len(results)} checks: all pass"
        )
        click.echo(f"updater doctor: {summary}", err=True)
    else:
        write_records([r.record() for r in results], output_format)
    if not passed(results):
        raise click.exceptions.Exit(1)
