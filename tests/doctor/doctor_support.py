"""A small package repository of fetchFromGitHub packages, a git checkout, for the doctor's
tests and the honest-failure tests."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Mapping
from pathlib import Path

UPDATER = [sys.executable, "-m", "updater"]
# A syntactically valid SRI hash; nothing is ever built from it.
FAKE_HASH = "sha256-" + "A" * 43 + "="

_PACKAGE = """\
{ stdenv, fetchFromGitHub }:
stdenv.mkDerivation rec {
  pname = "{name}";
  version = "1.0.0";
  src = fetchFromGitHub {
    owner = "{owner}";
    repo = "{name}";
    rev = "v${version}";
    hash = "{hash}";
  };
}
"""


def make_nur(root: Path, count: int, owner: str = "someone") -> Path:
    """`count` packages p0..p{count-1} under pkgs/, each its own GitHub source; committed."""
    pkgs = root / "pkgs"
    pkgs.mkdir(parents=True)
    lines = ["{ pkgs ? import <nixpkgs> { } }:", "{"]
    for i in range(count):
        name = f"p{i}"
        text = _PACKAGE.replace("{name}", name).replace("{owner}", owner)
        (pkgs / f"{name}.nix").write_text(text.replace("{hash}", FAKE_HASH))
        lines.append(f"  {name} = pkgs.callPackage ./{name}.nix {{ }};")
    lines.append("}")
    (pkgs / "default.nix").write_text("\n".join(lines) + "\n")
    (root / "default.nix").write_text(
        "{ pkgs ? import <nixpkgs> { } }:\nimport ./pkgs { inherit pkgs; }\n"
    )
    git = ["git", "-c", "user.name=t", "-c", "user.email=t@example.org"]
    subprocess.run([*git, "init", "-q", "-b", "main", str(root)], check=True)
    subprocess.run([*git, "-C", str(root), "add", "-A"], check=True)
    subprocess.run([*git, "-C", str(root), "commit", "-qm", "init"], check=True)
    return root


def clean_env(**extra: str) -> dict[str, str]:
    """This process's environment without forge or git settings of the caller."""
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("GITHUB_", "GH_", "UPDATER_", "GIT_"))
    }
    env |= {"GIT_CONFIG_NOSYSTEM": "1", "GIT_CONFIG_GLOBAL": os.devnull}
    return env | extra


def updater(
    *args: str, env: Mapping[str, str] | None = None, timeout: float = 300
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [*UPDATER, *args],
        capture_output=True,
        text=True,
        timeout=timeout,
        env=dict(env) if env is not None else clean_env(),
    )


def broken_nix_conf(directory: Path) -> Path:
    """A Nix configuration directory whose build users group does not exist (NIX_CONF_DIR)."""
    directory.mkdir(parents=True, exist_ok=True)
    (directory / "nix.conf").write_text("sandbox = false\nbuild-users-group = nosuchgroup\n")
    return directory
