"""`updater demo`: not implemented yet."""

from __future__ import annotations

import click

from updater.errors import UsageError


@click.command("demo")
def command() -> None:
    """(demo) Not implemented yet."""
    raise UsageError("'updater demo' is not implemented yet")
