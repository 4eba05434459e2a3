"""`updater scan`: report every pin of the package repository (no network, no writes)."""

from __future__ import annotations

import sys

import click
from rich.console import Console

from updater.context import AppContext
from updater.errors import UsageError
from updater.nixfile.render import write_json, write_jsonl, write_table
from updater.nixfile.repository import scan_repository


@click.command("scan")
@click.option(
    "--format",
    "output_format",
    type=click.Choice(["table", "json", "jsonl"]),
    default="table",
    show_default=True,
    help="table: grouped by upstream source; jsonl: one JSON object per pin.",
)
@click.option(
    "--pkgs-dir",
    default="pkgs",
    show_default=True,
    help="Directory of package files, relative to the repository.",
)
@click.pass_obj
def command(app: AppContext, output_format: str, pkgs_dir: str) -> None:
    """Report every pin (rev, tag, hashes, versions, release URLs) under pkgs/.

    Parse problems and unknown directives are warned about on stderr as file:line.
    """
    if not (app.repo / pkgs_dir).is_dir():
        raise UsageError(f"{app.repo / pkgs_dir}: no such directory (use --repo or --pkgs-dir)")
    result = scan_repository(app.repo, pkgs_dir)
    for warning in result.warnings:
        click.echo(f"updater: warning: {warning}", err=True)
    if output_format == "jsonl":
        write_jsonl(result, sys.stdout)
    elif output_format == "json":
        write_json(result, sys.stdout)
    else:
        write_table(result, Console(soft_wrap=False))
