"""Shared helpers for the deployment artefact tests: where the files and linters are, and a
check that a command line written into an artefact is one the real `updater` CLI accepts.

A module of its own name: every test directory has a conftest.py, and `import conftest` would
find whichever was imported last.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from collections.abc import Callable, Sequence
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
DEPLOY = REPO / "deploy"

# The hardening every service definition (plain systemd unit, NixOS module) must carry.
REQUIRED_HARDENING: dict[str, str] = {
    "NoNewPrivileges": "yes",
    "CapabilityBoundingSet": "",
    "AmbientCapabilities": "",
    "ProtectSystem": "strict",
    "ProtectHome": "yes",
    "PrivateTmp": "yes",
    "PrivateDevices": "yes",
    "ProtectKernelTunables": "yes",
    "ProtectKernelModules": "yes",
    "ProtectKernelLogs": "yes",
    "ProtectControlGroups": "yes",
    "ProtectClock": "yes",
    "ProtectHostname": "yes",
    "RestrictNamespaces": "yes",
    "RestrictRealtime": "yes",
    "RestrictSUIDSGID": "yes",
    "LockPersonality": "yes",
    "SystemCallArchitectures": "native",
    "RestrictAddressFamilies": "AF_UNIX AF_INET AF_INET6",
    "SystemCallFilter": "@system-service",
}

CliCheck = Callable[[Sequence[str]], None]


def tool(name: str) -> str:
    """A linter installed into the virtual environment by the `test` extra (or on PATH)."""
    beside_python = Path(sys.executable).parent / name
    if beside_python.is_file() and os.access(beside_python, os.X_OK):
        return str(beside_python)
    found = shutil.which(name)
    if found is None:
        pytest.fail(f"{name} not found: install the test extra (pip install -e '.[test]')")
    return found


def updater_executable() -> Path:
    """The installed `updater` console script (stands in for /opt/updater/bin/updater)."""
    path = Path(sys.executable).parent / "updater"
    if not path.is_file():
        pytest.fail(f"{path} missing: pip install -e . into the virtual environment")
    return path


def _updater(args: Sequence[str], cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "updater", *args],
        capture_output=True,
        text=True,
        timeout=60,
        cwd=cwd,
        env={**os.environ, "NO_COLOR": "1"},
    )


def cli_check(tmp_path: Path) -> CliCheck:
    """Assert that the real CLI parses `argv` (the arguments after the program name).

    The --config file is replaced by an empty one in tmp_path (the artefacts name files that
    exist only on a deployed host); `--help` at the end makes click parse every option and
    stop. While a subcommand is still the skeleton's stub, only the global options and the
    subcommand's name are checked and the test is skipped for the rest.
    """

    def check(argv: Sequence[str]) -> None:
        args = list(argv)
        config = tmp_path / "updater.toml"
        config.write_text("", encoding="utf-8")
        if "--config" in args:
            args[args.index("--config") + 1] = str(config)
        if "--repo" in args:
            repo = tmp_path / "repo"
            repo.mkdir(exist_ok=True)
            args[args.index("--repo") + 1] = str(repo)
        subcommand = next((a for a in args if a in ("scan", "check", "run", "serve", "demo")), None)
        assert subcommand is not None, f"no updater subcommand in {argv}"
        full = _updater([*args, "--help"], tmp_path)
        if full.returncode == 0:
            return
        global_part = args[: args.index(subcommand) + 1]
        proc = _updater([*global_part, "--help"], tmp_path)
        assert proc.returncode == 0, f"updater {' '.join(global_part)}: {proc.stderr.strip()}"
        if "Not implemented yet" in proc.stdout:
            pytest.skip(f"`updater {subcommand}` is still a stub: its options cannot be checked")
        raise AssertionError(f"updater {' '.join(args)}: {full.stderr.strip()}")

    return check
