"""`updater scan`: report every pin of the package repository (no network, no writes).

Exit codes: 0 when every file is valid Nix, 1 when a file has a syntax error (each named as
file:line:column on stderr; the pins of the other files are still reported), 2 for usage errors.
"""

from __future__ import annotations

import sys

import click
from rich.console import Console

from updater.context import AppContext
from updater.errors import UsageError
from updater.nixfile.cache import scan_cached
from updater.nixfile.render import write_json, write_jsonl, write_packages, write_table


@click.command("scan")
@click.option(
    "--format",
    "output_format",
    type=click.Choice(["table", "json", "jsonl"]),
    default="table",
    show_default=True,
    help="table: grouped by upstream source; jsonl: one JSON object per pin.",
)
@click.option("--json", "as_json", is_flag=True, help="Same as --format json.")
@click.option(
    "--packages",
    "list_packages",
    is_flag=True,
    help="List the packages (attribute paths) with their files and sources instead of pins.",
)
@click.option(
    "--pkgs-dir",
    default=None,
    help="Directory of the {organization}/default.nix layout (default: the configuration's).",
)
@click.pass_obj
def command(
    app: AppContext, output_format: str, as_json: bool, list_packages: bool, pkgs_dir: str | None
) -> None:
    """Report every pin (rev, tag, hashes, versions, release URLs) of every .nix file.

    Files git ignores and the `exclude` setting's patterns are not read. Syntax errors are named
    on stderr as file:line:column (exit 1); other problems are warnings as file:line.
    """
    if not app.repo.is_dir():
        raise UsageError(f"{app.repo}: no such directory (use --repo)")
    settings = app.config.repository
    result = scan_cached(app.repo, pkgs_dir or settings.pkgs_dir, settings.exclude)
    if not result.files:
        raise UsageError(
            f"{app.repo}: no .nix file found: no such directory of packages (use --repo)"
        )
    for warning in result.warnings:
        click.echo(f"updater: warning: {warning}", err=True)
    for error in result.errors:
        click.echo(f"updater: error: {error}", err=True)
    output_format = "json" if as_json else output_format
    if list_packages:
        write_packages(result, sys.stdout, output_format)
    elif output_format == "jsonl":
        write_jsonl(result, sys.stdout)
    elif output_format == "json":
        write_json(result, sys.stdout)
    else:
        write_table(result, Console(soft_wrap=False))
    if result.errors:
        sys.exit(1)
