"""The command line surface: subcommands, --version, --help everywhere, exit codes."""

from __future__ import annotations

import subprocess
import sys

import click

from updater import __version__

SUBCOMMANDS = ("scan", "check", "run", "serve", "demo", "doctor")


def updater(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "updater", *args], capture_output=True, text=True, timeout=60
    )


def test_help_lists_the_five_subcommands() -> None:
    proc = updater("--help")
    assert proc.returncode == 0
    commands = proc.stdout.split("Commands:")[1].split()
    for name in SUBCOMMANDS:
        assert name in commands


def test_version() -> None:
    proc = updater("--version")
    assert proc.returncode == 0
    assert proc.stdout.strip() == f"updater, version {__version__}"


def test_every_subcommand_has_help() -> None:
    for name in SUBCOMMANDS:
        proc = updater(name, "--help")
        assert proc.returncode == 0, (name, proc.stderr)
        assert f"Usage: updater {name}" in proc.stdout


def test_usage_errors_exit_2() -> None:
    assert updater("--no-such-option").returncode == 2
    assert updater("no-such-command").returncode == 2


def test_no_subcommand_has_an_option_named_like_a_global_one() -> None:
    # Global options may follow the subcommand (`updater scan --repo X`): cli.py moves them in
    # front, which would steal a subcommand's own option of the same name.
    from updater.cli import _GLOBAL_OPTIONS, cli

    ctx = click.Context(cli)
    for name in SUBCOMMANDS:
        command = cli.get_command(ctx, name)
        assert command is not None
        own = {opt for p in command.params for opt in (*p.opts, *p.secondary_opts)}
        assert not own & set(_GLOBAL_OPTIONS), (name, own & set(_GLOBAL_OPTIONS))
