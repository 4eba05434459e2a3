"""The output formats every reporting command offers: a table, a JSON array, JSON lines."""

from __future__ import annotations

import json
import sys
from collections.abc import Callable, Sequence
from typing import Any, Literal, TypeVar

import click

OutputFormat = Literal["table", "json", "jsonl"]

F = TypeVar("F", bound=Callable[..., Any])


def _json_alias(ctx: click.Context, _param: click.Parameter, value: bool) -> bool:
    if value:
        ctx.meta["updater.json_alias"] = True
    return value


def format_option(func: F) -> F:
    """`--format table|json|jsonl`, and `--json` as the alias of `--format json` it once was."""

    def pick(ctx: click.Context, _param: click.Parameter, value: str) -> str:
        return "json" if ctx.meta.get("updater.json_alias") else value

    func = click.option(
        "--format",
        "output_format",
        type=click.Choice(["table", "json", "jsonl"]),
        default="table",
        show_default=True,
        callback=pick,
        help="table for people; json: one array; jsonl: one JSON object per line.",
    )(func)
    return click.option(
        "--json",
        "as_json",
        is_flag=True,
        is_eager=True,
        expose_value=False,
        callback=_json_alias,
        help="Same as --format json.",
    )(func)


def write_records(records: Sequence[dict[str, Any]], output_format: OutputFormat) -> None:
    """Records on stdout as one JSON array, or one object per line."""
    if output_format == "jsonl":
        for record in records:
            sys.stdout.write(json.dumps(record) + "\n")
    else:
        sys.stdout.write(json.dumps(list(records), indent=2) + "\n")
