"""`updater run` as a person runs it: the real command on the world's NUR opens the PR, a second
run opens none, --dry-run writes nothing anywhere, and --shard splits the work without overlap."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from delivery_support import pulls

from updater_sandbox.world import World

PACKAGE = "webapp-skyview"


@pytest.fixture
def world(tmp_path: Path) -> Iterator[World]:
    with World(tmp_path / "world") as w:
        yield w


def updater(w: World, tmp_path: Path, *args: str) -> subprocess.CompletedProcess[str]:
    config = tmp_path / "updater.toml"
    config.write_text(
        "[pull_requests]\nwrite_interval = 0.05\n"
        f'[forges."codeberg.org"]\ntype = "forgejo"\napi_url = "{w.forge.url}/api/v1"\n'
        f'[forges."gitlab.com"]\ntype = "gitlab"\napi_url = "{w.forge.url}/api/v4"\n'
    )
    return subprocess.run(
        [sys.executable, "-m", "updater", "--repo", str(w.nur_path), "--config", str(config),
         "--log-format", "json", *args],
        capture_output=True, text=True, timeout=600, env=w.process_env(),
    )  # fmt: skip


@pytest.mark.nix
def test_run_command_opens_the_pr_once_and_dry_run_writes_nothing(
    world: World, tmp_path: Path
) -> None:
    dry = updater(world, tmp_path, "run", "--package", PACKAGE, "--dry-run")
    assert dry.returncode == 0, dry.stderr[-3000:]
    assert dry.stdout.startswith("--- a/pkgs/")  # stdout is the diff alone
    assert "[dry-run] would" in dry.stderr
    assert pulls(world) == []
    writes = [
        r for r in world.forge.requests
        if (r.path.startswith("/api/v3/") and r.method not in ("GET", "HEAD"))
        or "git-receive-pack" in r.path
    ]  # fmt: skip
    assert writes == []

    first = updater(world, tmp_path, "run", "--package", PACKAGE)
    assert first.returncode == 0, first.stderr[-3000:]
    opened = pulls(world)
    assert len(opened) == 1 and opened[0].head_ref.startswith("updater/")

    second = updater(world, tmp_path, "run", "--package", PACKAGE)
    assert second.returncode == 0, second.stderr[-3000:]
    assert len(pulls(world)) == 1
    assert world.env["GITHUB_TOKEN"] not in first.stdout + first.stderr + second.stderr


def test_shards_split_the_packages_without_overlap(world: World, tmp_path: Path) -> None:
    from updater.config import Config, Endpoints, Secrets
    from updater.context import AppContext
    from updater.pipeline.selection import select_units
    from updater.pipeline.shard import Shard

    ctx = AppContext(
        repo=world.nur_path,
        config=Config(),
        config_path=None,
        secrets=Secrets(),
        endpoints=Endpoints.resolve(Config(), {}),
    )

    def shard(text: str) -> set[str]:
        return set(select_units(ctx, shard=Shard.parse(text)).packages)

    everything = shard("1/1")
    parts = [shard(f"{i}/3") for i in (1, 2, 3)]
    assert all(parts)
    assert not (parts[0] & parts[1] or parts[0] & parts[2] or parts[1] & parts[2])
    whole = shard("1/2") | shard("2/2")
    assert whole == parts[0] | parts[1] | parts[2] == everything
    bad = updater(world, tmp_path, "run", "--all", "--shard", "4/3")
    assert bad.returncode == 2 and "--shard" in bad.stderr


def _start(w: World, tmp_path: Path, *args: str) -> subprocess.Popen[str]:
    config = tmp_path / "updater.toml"
    return subprocess.Popen(
        [sys.executable, "-m", "updater", "--repo", str(w.nur_path), "--config", str(config),
         "--log-format", "json", *args],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=w.process_env(),
    )  # fmt: skip


@pytest.mark.nix
def test_two_runs_started_together_one_stops_saying_who_runs(world: World, tmp_path: Path) -> None:
    updater(world, tmp_path, "--help")  # writes the config file
    procs = [_start(world, tmp_path, "run", "--package", PACKAGE) for _ in range(2)]
    outcomes = [(p.wait(600), *p.communicate()) for p in procs]
    codes = sorted(code for code, _, _ in outcomes)
    assert codes == [0, 1], [err[-2000:] for _, _, err in outcomes]
    (refused,) = [err for code, _, err in outcomes if code == 1]
    assert re.search(
        r"another run holds the file lock .*run\.lock \(pid \d+ on \S+ since ", refused
    ), [ln for ln in refused.splitlines() if not ln.startswith("{")][-30:]
    # The branch was written once: one push, one pull request.
    pushes = [r for r in world.forge.requests if r.path.endswith("/git-receive-pack")]
    assert len(pushes) == 1
    assert len(pulls(world)) == 1


@pytest.mark.nix
def test_with_wait_lock_the_second_run_waits_and_finds_the_work_done(
    world: World, tmp_path: Path
) -> None:
    updater(world, tmp_path, "--help")  # writes the config file
    procs = [
        _start(world, tmp_path, "run", "--package", PACKAGE, "--wait-lock", "600") for _ in range(2)
    ]
    outcomes = [(p.wait(900), *p.communicate()) for p in procs]
    assert [code for code, _, _ in outcomes] == [0, 0], [
        [ln for ln in err.splitlines() if not ln.startswith("{")][-30:] for _, _, err in outcomes
    ]
    assert not any("another run holds" in err for _, _, err in outcomes)
    pushes = [r for r in world.forge.requests if r.path.endswith("/git-receive-pack")]
    assert len(pushes) == 1 and len(pulls(world)) == 1


def _bot_worktrees(w: World) -> list[Path]:
    listing = subprocess.run(
        ["git", "-C", str(w.nur_path), "worktree", "list", "--porcelain"],
        capture_output=True, text=True, check=True, timeout=60, env=w.process_env(),
    ).stdout  # fmt: skip
    paths = [
        Path(x.removeprefix("worktree ")) for x in listing.splitlines() if x.startswith("worktree ")
    ]
    return [p for p in paths if p.parent.name.startswith("updater-worktree-")]


@pytest.mark.nix
def test_a_run_killed_mid_unit_leaves_nothing_after_the_next_run(
    world: World, tmp_path: Path
) -> None:
    updater(world, tmp_path, "--help")  # writes the config file
    proc = _start(world, tmp_path, "run", "--all", "--no-pr")
    deadline = time.monotonic() + 300
    seen: list[Path] = []
    while not seen and proc.poll() is None and time.monotonic() < deadline:
        seen = _bot_worktrees(world)
        time.sleep(0.05)
    assert seen, "the run never opened a scratch worktree"
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait(60)
    assert all(p.exists() for p in seen) and _bot_worktrees(world)

    again = updater(world, tmp_path, "run", "--package", PACKAGE, "--no-pr")
    assert again.returncode == 0, again.stderr[-3000:]
    assert _bot_worktrees(world) == []
    assert not any(p.parent.exists() for p in seen)
