"""`updater check` end to end: a small package repository, the local forge, the real CLI."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from upstream_fixtures import BASE, TOKEN, Tag, build_repo

from updater.state.store import StateStore
from updater_sandbox.forge.local_forge import LocalForge

ORG = """{ callPackage }:
{
  tool = callPackage ./tool.nix { };
  daemon = callPackage ./daemon.nix { };
  cli = callPackage ./cli.nix { };
  lib = callPackage ./lib.nix { };
}
"""
TOOL = """{ stdenv, fetchFromGitHub }:
stdenv.mkDerivation rec {
  pname = "tool";
  version = "1.0.0";
  src = fetchFromGitHub {
    owner = "acme";
    repo = "tool";
    rev = "v${version}";
    hash = "sha256-AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=";
  };
}
"""
DAEMON = """{ stdenv, fetchFromTangled }:
stdenv.mkDerivation {
  pname = "daemon";
  version = "unstable-2025-01-02";
  src = fetchFromTangled {
    domain = "tangled.org";
    owner = "@alice.test";
    repo = "daemon";
    rev = "REV";
    hash = "sha256-AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=";
  };
}
"""
CLI = """{ stdenv, fetchFromGitHub }:
stdenv.mkDerivation {
  pname = "cli";
  version = "1.0.0-rc.5";
  src = fetchFromGitHub {
    owner = "acme";
    repo = "cli";
    tag = "v1.0.0-rc.5";
    hash = "sha256-AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=";
  };
}
"""
LIB = """{ stdenv, fetchFromGitHub }:
stdenv.mkDerivation {
  pname = "lib";
  version = "2.0.0";
  src = fetchFromGitHub {
    owner = "acme";
    repo = "gone";
    tag = "v2.0.0";
    hash = "sha256-AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=";
  };
}
"""


@pytest.fixture
def world(tmp_path: Path) -> Iterator[tuple[LocalForge, Path, dict[str, str]]]:
    with LocalForge(tmp_path / "forge", token=TOKEN) as forge:
        build_repo(
            forge.repo_path("github.com", "acme", "tool"),
            [Tag("v1.0.0", 1), Tag("v1.1.0", 3), Tag("v2.0.0-beta.1", 5), Tag("v1.0.5", 6)],
            head_day=8,
        )
        forge.add_release(
            "github.com", "acme", "tool", "v1.0.0", published_at=BASE + timedelta(days=1)
        )
        forge.add_release(
            "github.com", "acme", "tool", "v1.1.0", published_at=BASE + timedelta(days=3)
        )
        forge.add_release("github.com", "acme", "tool", "v2.0.0-beta.1", prerelease=True)
        forge.add_release(
            "github.com", "acme", "tool", "v1.0.5", published_at=BASE + timedelta(days=6)
        )
        build_repo(
            forge.repo_path("github.com", "acme", "cli"),
            [Tag("v1.0.0-rc.5", 1), Tag("v1.0.0-rc.6", 2)],
            3,
        )
        refs = build_repo(
            forge.repo_path("tangled.org", "@alice.test", "daemon"), [Tag("v0.1", 1)], head_day=40
        )
        repo = tmp_path / "nur"
        (repo / "pkgs" / "acme").mkdir(parents=True)
        for name, text in {
            "default": ORG,
            "tool": TOOL,
            "daemon": DAEMON,
            "cli": CLI,
            "lib": LIB,
        }.items():
            (repo / "pkgs" / "acme" / f"{name}.nix").write_text(
                text.replace("REV", refs["refs/tags/v0.1"])
            )
        for args in (
            ["init", "-q"],
            ["add", "."],
            ["-c", "user.name=t", "-c", "user.email=t@t", "commit", "-qm", "init"],
        ):
            subprocess.run(["git", "-C", str(repo), *args], check=True, timeout=30)
        env = {k: v for k, v in os.environ.items() if not k.startswith(("GIT_", "GITHUB_"))}
        env.update(
            GIT_CONFIG_GLOBAL=str(forge.write_gitconfig(tmp_path / "gitconfig")),
            GITHUB_API_URL=forge.api_url,
            GITHUB_GRAPHQL_URL=forge.graphql_url,
            GITHUB_TOKEN=TOKEN,
        )
        yield forge, repo, env


def _check(repo: Path, env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "updater", "--repo", str(repo), "check", *args],
        capture_output=True, text=True, env=env, timeout=120,
    )  # fmt: skip


def _by_package(out: str) -> dict[str, dict[str, Any]]:
    return {row["package"]: row for row in json.loads(out)}


def test_check_reports_each_package_and_fails_only_the_broken_source(world: Any) -> None:
    forge, repo, env = world
    proc = _check(repo, env, "--json")
    assert proc.returncode == 1, proc.stderr  # acme/gone does not exist
    rows = _by_package(proc.stdout)
    assert set(rows) == {"acme-tool", "acme-daemon", "acme-cli", "acme-lib"}
    tool = rows["acme-tool"]
    assert (tool["current"], tool["latest"], tool["outdated"], tool["source"]) == (
        "1.0.0",
        "1.1.0",
        True,
        "github:acme/tool",
    )
    assert {s["version"]: s["reason"] for s in tool["skipped"]} == {
        "2.0.0-beta.1": "prerelease",
        "1.0.5": "older",
    }
    daemon = rows["acme-daemon"]
    assert (
        daemon["outdated"]
        and daemon["latest"] == "unstable-2025-02-10"
        and daemon["mode"] == "branch"
    )
    cli = rows["acme-cli"]  # a prerelease pin follows its channel (tags only, no releases)
    assert cli["latest"] == "1.0.0-rc.6" and cli["outdated"]
    assert rows["acme-lib"]["error"] and not rows["acme-lib"]["outdated"]
    with StateStore.open(f"sqlite:///{repo / '.updater' / 'state.db'}") as store:
        failure = store.failure("github:acme/gone")
        assert failure is not None and failure.count == 1
        assert {r.package for r in store.check_results()} == set(rows)
    assert (
        subprocess.run(
            ["git", "-C", str(repo), "status", "--porcelain"],
            capture_output=True,
            text=True,
            timeout=30,
        ).stdout
        == ""
    )

    # The failing source is backed off across runs: the next run does not ask for it.
    forge.clear_requests()
    again = _check(repo, env, "--json", "--package", "acme-lib")
    assert again.returncode == 1 and "backed off" in _by_package(again.stdout)["acme-lib"]["error"]
    assert forge.requests == []


def test_check_selected_package_table_and_usage_errors(world: Any) -> None:
    _forge, repo, env = world
    proc = _check(repo, env, "--package", "acme-tool")
    assert proc.returncode == 0, proc.stderr
    assert "acme-tool" in proc.stdout and "1.1.0" in proc.stdout and "acme-cli" not in proc.stdout
    bad = _check(repo, env, "--package", "nope")
    assert bad.returncode == 2 and "nope" in bad.stderr
