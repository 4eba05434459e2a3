"""`updater check`: not implemented yet."""

from __future__ import annotations

import click

from updater.errors import UsageError


@click.command("check")
def command() -> None:
    """(check) Not implemented yet."""
    raise UsageError("'updater check' is not implemented yet")
