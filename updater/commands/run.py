"""`updater run`: not implemented yet."""

from __future__ import annotations

import click

from updater.errors import UsageError


@click.command("run")
def command() -> None:
    """(run) Not implemented yet."""
    raise UsageError("'updater run' is not implemented yet")
