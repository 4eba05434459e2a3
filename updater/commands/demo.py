"""`updater demo`: start the local world, run one full cycle, show where to look.

The world and the composition live in the test world's distribution (sandbox/, package
updater_sandbox), which a plain install of the product does not have: then the command says in
one line what to install. This module only reads the options.
"""

from __future__ import annotations

import tempfile
from pathlib import Path

import click

from updater.context import AppContext
from updater.errors import UpdaterError, UsageError

# What `pip install '.[demo]'` adds: the test world and the local forge's GraphQL library.
_WORLD_MODULES = frozenset({"updater_sandbox", "graphql"})


@click.command("demo")
@click.option(
    "--once",
    is_flag=True,
    help="Run the cycle, print where to look and exit (default: keep serving until Ctrl-C).",
)
@click.option(
    "--dir",
    "directory",
    type=click.Path(path_type=Path, file_okay=False),
    default=None,
    help="Where the world lives: a new or empty directory (default: a fresh temporary one).",
)
@click.option(
    "--listen",
    default="127.0.0.1:0",
    show_default=True,
    metavar="HOST:PORT",
    help="Address of the status page (port 0: any free port).",
)
@click.pass_obj
def command(ctx: AppContext, once: bool, directory: Path | None, listen: str) -> None:
    """Run a full cycle (check, update with Nix, PRs, dashboard) in the built-in demo world."""
    from rich.console import Console

    from updater.logs import configure_logging
    from updater.service.http import parse_listen

    try:
        from updater_sandbox.demo import DemoOptions, check_directory, run_demo
    except ModuleNotFoundError as exc:
        if (exc.name or "").partition(".")[0] not in _WORLD_MODULES:
            raise
        raise UsageError(
            "the demo runs in the test world, which this install lacks: "
            "pip install '.[demo]' in a checkout of updater"
        ) from None

    try:
        parse_listen(listen)
    except UpdaterError:
        raise UsageError(f"--listen {listen!r}: expected HOST:PORT, e.g. 127.0.0.1:8080") from None
    # The demo tells its story on the terminal; the service's info lines come back with -v.
    configure_logging(ctx.verbosity - 1)
    if directory is None:
        root = Path(tempfile.mkdtemp(prefix="updater-demo-"))
    else:
        root = check_directory(directory)
    code = run_demo(
        DemoOptions(root=root, listen=listen, once=once), Console(stderr=True), Console()
    )
    if code:
        raise click.exceptions.Exit(code)
