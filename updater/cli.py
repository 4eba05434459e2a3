"""The `updater` command line: global options, then one subcommand module per job.

Each subcommand lives in updater/commands/<name>.py and exports `command` (a click command);
this module only parses the shared options and builds the `AppContext` they all receive.
"""

from __future__ import annotations

import importlib
import os
import re
import sys
from pathlib import Path
from typing import get_args

import click

from updater import __version__
from updater.config import Config, Endpoints, Secrets, find_config, load_config
from updater.context import AppContext
from updater.errors import UpdaterError, UsageError
from updater.logs import LogFormat, configure_logging, get_logger

# Subcommand -> one-line help. Each module is imported only when its command runs, so
# `updater --help` and every command start without loading the others' dependencies.
SUBCOMMANDS: dict[str, str] = {
    "scan": "Report every pin of the package repository.",
    "check": "Check upstreams for newer releases or commits.",
    "run": "Update packages: new pins proven by Nix, committed on a branch, PRs.",
    "serve": "Run as a service: schedule, status page, /metrics, POST /run.",
    "demo": "Run a full cycle in the built-in demo world and show where to look.",
    "doctor": "Check that this machine, the repository and the credentials are ready.",
}

# The group's own options, which may also be written after the subcommand
# (`updater scan --repo X`): option -> whether it takes a value.
_GLOBAL_OPTIONS: dict[str, bool] = {
    "--config": True,
    "--repo": True,
    "--log-format": True,
    "-v": False,
    "--verbose": False,
    "-q": False,
    "--quiet": False,
}
_REPEATED_V = re.compile(r"-v+")


def hoist_global_options(args: list[str]) -> list[str]:
    """`args` with the group's options found after the subcommand moved in front of it.

    Stops at `--`; a subcommand's own option of the same name would be shadowed, so none
    has one (tests/foundation/test_cli_surface.py checks it)."""
    head: list[str] = []
    i = 0
    while i < len(args) and args[i].startswith("-") and args[i] != "--":
        takes_value = _GLOBAL_OPTIONS.get(args[i], False)
        head.append(args[i])
        if takes_value and i + 1 < len(args):
            head.append(args[i + 1])
            i += 1
        i += 1
    if i >= len(args) or args[i] == "--":
        return args
    moved: list[str] = []
    rest: list[str] = [args[i]]
    i += 1
    while i < len(args):
        arg = args[i]
        name = arg.partition("=")[0]
        if arg == "--":
            rest += args[i:]
            break
        if name in _GLOBAL_OPTIONS or _REPEATED_V.fullmatch(arg):
            moved.append(arg)
            if _GLOBAL_OPTIONS.get(name) and "=" not in arg and i + 1 < len(args):
                moved.append(args[i + 1])
                i += 1
        else:
            rest.append(arg)
        i += 1
    return [*head, *moved, *rest]


class LazyGroup(click.Group):
    def parse_args(self, ctx: click.Context, args: list[str]) -> list[str]:
        return super().parse_args(ctx, hoist_global_options(list(args)))

    def list_commands(self, ctx: click.Context) -> list[str]:
        return list(SUBCOMMANDS)

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        if cmd_name not in SUBCOMMANDS:
            return None
        module = importlib.import_module(f"updater.commands.{cmd_name}")
        command: click.Command = module.command
        return command

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        with formatter.section("Commands"):
            formatter.write_dl(list(SUBCOMMANDS.items()))


@click.group(cls=LazyGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, "--version", prog_name="updater")
@click.option(
    "--config",
    "config_path",
    type=click.Path(path_type=Path, dir_okay=False),
    default=None,
    help="Configuration file (default: config/updater.toml in the repo, then "
    "$XDG_CONFIG_HOME/updater/updater.toml).",
)
@click.option(
    "--repo",
    type=click.Path(path_type=Path, file_okay=False),
    default=None,
    help="The package repository to work on (default: the current directory).",
)
@click.option("-v", "--verbose", count=True, help="More output (repeatable).")
@click.option("-q", "--quiet", is_flag=True, help="Only warnings and errors.")
@click.option(
    "--log-format",
    type=click.Choice(list(get_args(LogFormat))),
    default="auto",
    show_default=True,
    help="Log lines as console text or JSON (auto: console on a terminal).",
)
@click.pass_context
def cli(
    ctx: click.Context,
    config_path: Path | None,
    repo: Path | None,
    verbose: int,
    quiet: bool,
    log_format: LogFormat,
) -> None:
    """Keep the pins of a Nix package repository fresh.

    Polls upstream repositories, recomputes revs, source hashes and dependency hashes with
    Nix, rewrites the .nix files by exact position and opens pull requests.
    """
    verbosity = -1 if quiet else verbose
    configure_logging(verbosity, log_format)
    if ctx.resilient_parsing or ctx.invoked_subcommand is None:
        return
    if repo is not None and not repo.is_dir():
        # Nothing may be created for a repository that is not there (the state store would be).
        raise click.exceptions.Exit(
            _fail(UsageError(f"--repo {repo}: no such directory"))
        ) from None
    repo_path = (repo or Path.cwd()).resolve()
    try:
        path = find_config(config_path, repo_path)
        config = load_config(path)
    except UpdaterError as exc:
        if ctx.invoked_subcommand != "doctor":
            raise click.exceptions.Exit(_fail(exc)) from None
        # The doctor reports the configuration as one of its rows, on the defaults.
        ctx.meta["updater.config_error"] = str(exc)
        path, config = None, Config()
    ctx.obj = AppContext(
        repo=repo_path,
        config=config,
        config_path=path,
        secrets=Secrets.from_env(),
        endpoints=Endpoints.resolve(config),
        verbosity=verbosity,
    )


def _fail(exc: UpdaterError) -> int:
    click.echo(f"updater: error: {exc}", err=True)
    return exc.exit_code


def main(argv: list[str] | None = None) -> None:
    """Console entry point: named errors become one line on stderr and an exit code."""
    try:
        code = cli.main(args=argv, prog_name="updater", standalone_mode=False)
    except click.exceptions.Exit as exc:
        code = exc.exit_code
    except click.exceptions.Abort:
        click.echo("updater: aborted", err=True)
        code = 130
    except click.ClickException as exc:
        exc.show()
        code = 2  # usage errors
    except UpdaterError as exc:
        code = _fail(exc)
    except KeyboardInterrupt:
        click.echo("updater: interrupted", err=True)
        code = 130
    sys.stdout.flush()
    if os.environ.get("UPDATER_DEBUG_EXIT"):
        get_logger("cli").debug("exit", code=code)
    sys.exit(code if isinstance(code, int) else 0)
