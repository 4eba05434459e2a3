"""`updater serve`: not implemented yet."""

from __future__ import annotations

import click

from updater.errors import UsageError


@click.command("serve")
def command() -> None:
    """(serve) Not implemented yet."""
    raise UsageError("'updater serve' is not implemented yet")
