"""`updater run` end to end: the real CLI in a subprocess, the world's forge as every upstream."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from engine_world import git, git_state

from updater_sandbox.world import World

pytestmark = pytest.mark.nix


def run(world: World, repo: Path, tmp_path: Path, *args: str) -> subprocess.CompletedProcess[str]:
    config = tmp_path / "updater.toml"
    config.write_text(
        f'[forges."codeberg.org"]\ntype = "forgejo"\napi_url = "{world.forge.url}/api/v1"\n'
        f'[forges."gitlab.com"]\ntype = "gitlab"\napi_url = "{world.forge.url}/api/v4"\n'
    )
    return subprocess.run(
        [
            sys.executable,
            "-m",
            "updater",
            "--log-format",
            "json",
            "-q",
            "--config",
            str(config),
            "--repo",
            str(repo),
            "run",
            *args,
        ],
        env=world.process_env(),
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )


def records(proc: subprocess.CompletedProcess[str]) -> list[dict[str, Any]]:
    data = json.loads(proc.stdout)
    assert isinstance(data, list)
    return data


def test_run_package_commits_on_its_branch(world: World, nur: Path, tmp_path: Path) -> None:
    before = git_state(nur)
    proc = run(world, nur, tmp_path, "--package", "jetstream-jetstream", "--build", "--json")
    assert proc.returncode == 0, proc.stderr[-3000:]
    (rec,) = records(proc)
    assert rec["outcome"] == "updated" and rec["old"] == "0.2.0" and rec["new"] == "0.3.0"
    assert rec["built"] and rec["verified"] and rec["builds"] == 2
    log = git(nur, "log", "-1", "--format=%an <%ae>%n%s", "updater/jetstream-jetstream")
    assert (
        log
        == "updater[bot] <updater[bot]@users.noreply.github.com>\njetstream-jetstream: 0.2.0 -> 0.3.0"
    )
    # the user's checkout: only the new branch
    after = git_state(nur)
    assert (after.head, after.branch, after.status, after.worktrees) == (
        before.head,
        before.branch,
        before.status,
        before.worktrees,
    )


@pytest.mark.parametrize("version", ["0.1.0", "0.2.0"])
def test_downgrade_or_same_version_is_refused(
    world: World, nur: Path, tmp_path: Path, version: str
) -> None:
    before = git_state(nur)
    proc = run(
        world, nur, tmp_path, "--package", "jetstream-jetstream", "--version", version, "--json"
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    (rec,) = records(proc)
    assert rec["outcome"] == "skipped" and "refused" in rec["reason"]
    assert git_state(nur) == before


def test_version_option_picks_that_release(world: World, nur: Path, tmp_path: Path) -> None:
    # 0.4.0-rc.1 is a prerelease the policy would pass over; named, it is taken.
    proc = run(
        world,
        nur,
        tmp_path,
        "--package",
        "jetstream-jetstream",
        "--version",
        "0.4.0-rc.1",
        "--json",
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    (rec,) = records(proc)
    assert rec["outcome"] == "updated" and rec["new"] == "0.4.0-rc.1"


def test_dry_run_prints_the_diff_and_writes_nothing(
    world: World, nur: Path, tmp_path: Path
) -> None:
    before = git_state(nur)
    proc = run(world, nur, tmp_path, "--package", "webapp-skyview", "--dry-run")
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert proc.stdout.startswith("--- a/pkgs/webapp/skyview.nix\n+++ b/pkgs/webapp/skyview.nix\n")
    assert '+  version = "2.1.0";' in proc.stdout
    assert "updater run" in proc.stderr  # the summary table goes to stderr
    assert git_state(nur) == before


def test_failed_unit_exits_1_and_others_still_finish(
    world: World, nur: Path, tmp_path: Path
) -> None:
    path = nur / "pkgs/webapp/skyview.nix"
    path.write_text(path.read_text().replace("grep -E", "exit 4; grep -E"))
    git(nur, "commit", "--quiet", "-am", "break skyview's cache")
    proc = run(
        world, nur, tmp_path, "--package", "webapp-skyview", "--package", "plc-plc-mirror", "--json"
    )
    assert proc.returncode == 1
    by_unit = {r["packages"][0]: r for r in records(proc)}
    assert by_unit["webapp-skyview"]["outcome"] == "failed"
    assert by_unit["webapp-skyview"]["log_tail"]
    assert by_unit["plc-plc-mirror"]["outcome"] == "updated"


def test_usage_errors_exit_2(world: World, nur: Path, tmp_path: Path) -> None:
    assert run(world, nur, tmp_path).returncode == 2
    assert run(world, nur, tmp_path, "--package", "no-such-package").returncode == 2
    assert run(world, nur, tmp_path, "--all", "--version", "1.0").returncode == 2
