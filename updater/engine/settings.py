"""What every unit of one run shares: how to run Nix and how to write the files."""

from __future__ import annotations

import platform
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Literal

from updater.gitops.commit import Identity
from updater.nix.buildlocks import BuildLocks
from updater.nix.runner import EvalMode, NixRunner


def current_system() -> str:
    """Nix's name for this machine's system (x86_64-linux, aarch64-darwin, ...)."""
    machine = platform.machine().lower()
    arch = {"amd64": "x86_64", "arm64": "aarch64"}.get(machine, machine)
    return f"{arch}-{platform.system().lower()}"


def _ignore(_unit: str, _step: str) -> None:
    return None


@dataclass(frozen=True)
class EngineSettings:
    runner: NixRunner
    mode: EvalMode = EvalMode.DEFAULT_NIX
    hash_format: Literal["keep", "sri"] = "keep"
    pkgs_dir: str = "pkgs"
    # Systems whose per-platform hashes are refreshed: this one, plus config.nix.systems.
    systems: frozenset[str] = field(default_factory=lambda: frozenset({current_system()}))
    system: str = field(default_factory=current_system)
    identity: Identity = Identity("updater[bot]", "updater[bot]@users.noreply.github.com")
    branch_prefix: str = "updater/"
    base_ref: str = "HEAD"
    build: bool = False  # build every package of the unit after the update (`--build`)
    dry_run: bool = False
    update_script_timeout: float = 600.0  # seconds; then the script is killed and refused
    # Progress: called with (unit id, step name) as a unit moves on.
    on_step: Callable[[str, str], None] = _ignore
    # Shared by the units of the run (copies made with `replace` keep the same registry).
    build_locks: BuildLocks = field(default_factory=BuildLocks, compare=False, repr=False)
