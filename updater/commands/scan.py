"""`updater scan`: not implemented yet."""

from __future__ import annotations

import click

from updater.errors import UsageError


@click.command("scan")
def command() -> None:
    """(scan) Not implemented yet."""
    raise UsageError("'updater scan' is not implemented yet")
