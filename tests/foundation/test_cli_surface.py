"""The command line surface: subcommands, --version, --help everywhere, exit codes."""

from __future__ import annotations

import subprocess
import sys

from updater import __version__

SUBCOMMANDS = ("scan", "check", "run", "serve", "demo")


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
