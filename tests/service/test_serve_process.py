"""`updater serve` as a real process on a small package repository and the local forge.

Triggered over HTTP, read back through /healthz, /metrics and the page, stopped by SIGTERM,
idle and in the middle of a run: it exits 0, frees the lock, and leaves the repository and the
state consistent (a run cut short during the check saves nothing).
"""

from __future__ import annotations

import json
import re
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from prometheus_client.parser import text_string_to_metric_families
from service_support import (
    RUN_TOKEN,
    SmallWorld,
    free_port,
    git,
    healthz,
    http,
    make_nur,
    upstream,
    wait_for,
    world_env,
)

from updater.state.runlock import FileRunLock
from updater.state.status import recent_runs
from updater.state.store import StateStore
from updater_sandbox.forge.local_forge import LocalForge

TOKEN_HEADER = {"Authorization": f"Bearer {RUN_TOKEN}"}


@pytest.fixture
def world(tmp_path: Path) -> Iterator[SmallWorld]:
    from service_support import TOKEN

    with LocalForge(tmp_path / "forge", token=TOKEN) as forge:
        upstream(forge, "tool", ["1.0.0", "1.1.0"])
        upstream(forge, "cli", ["2.0.0"])
        repo = tmp_path / "nur"
        make_nur(repo, {"tool": "1.0.0", "cli": "2.0.0"})
        yield SmallWorld(forge, repo, world_env(forge, tmp_path / "gitconfig"))


def _config(tmp_path: Path, port: int) -> Path:
    path = tmp_path / "updater.toml"
    # A schedule that will not fire during the test: runs come from POST /run only.
    path.write_text(
        f'[serve]\nlisten = "127.0.0.1:{port}"\n[schedule]\ncron = "0 0 1 1 *"\njitter = 0\n'
    )
    return path


def _start(world: SmallWorld, tmp_path: Path, *args: str) -> tuple[subprocess.Popen[bytes], str]:
    port = free_port()
    log = (tmp_path / "serve.log").open("wb")
    proc = subprocess.Popen(
        [sys.executable, "-m", "updater", "--repo", str(world.repo),
         "--config", str(_config(tmp_path, port)), "--log-format", "json", "serve", *args],
        env=world.env, stdout=log, stderr=subprocess.STDOUT,
    )  # fmt: skip
    base = f"http://127.0.0.1:{port}"
    try:
        wait_for(lambda: proc.poll() is not None or healthz(base), 60, "the service to listen")
    except AssertionError:
        proc.kill()
        raise
    assert proc.poll() is None, (tmp_path / "serve.log").read_text()
    return proc, base


def _stop(proc: subprocess.Popen[bytes], tmp_path: Path, within: float) -> float:
    started = time.monotonic()
    proc.send_signal(signal.SIGTERM)
    try:
        code = proc.wait(within + 30)
    except subprocess.TimeoutExpired:
        proc.kill()
        raise
    took = time.monotonic() - started
    assert code == 0, (tmp_path / "serve.log").read_text()[-3000:]
    assert took < within, f"took {took:.1f}s to stop"
    return took


def _metrics(base: str) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    body = http("GET", base + "/metrics")[2].decode()
    return {
        (s.name, tuple(sorted(s.labels.items()))): s.value
        for f in text_string_to_metric_families(body)
        for s in f.samples
    }


def _assert_repo_untouched(repo: Path, branches: tuple[str, ...] = ()) -> None:
    """Checkout clean, still on main at its commit, one worktree; only the bot's branches added."""
    assert git(["status", "--porcelain", "--untracked-files=all"], repo) == ""
    assert git(["symbolic-ref", "--short", "HEAD"], repo).strip() == "main"
    assert git(["log", "--format=%s", "main"], repo).split("\n")[0] == "init"
    assert git(["branch", "--format=%(refname:short)"], repo).split() == ["main", *branches]
    worktrees = git(["worktree", "list", "--porcelain"], repo).splitlines()
    assert [w for w in worktrees if w.startswith("worktree ")] == [f"worktree {repo}"]


@pytest.mark.nix
def test_serve_runs_on_request_reports_and_stops_cleanly(world: SmallWorld, tmp_path: Path) -> None:
    proc, base = _start(world, tmp_path)
    try:
        health = healthz(base)
        assert health is not None and health["packages"] == 2 and health["last_run"] is None
        page = http("GET", base + "/")[2].decode()
        assert "acme-tool" in page and ">pending<" in page

        assert http("POST", base + "/run")[0] == 401
        status, _h, body = http("POST", base + "/run", TOKEN_HEADER)
        assert status == 202, body
        done: dict[str, Any] = wait_for(
            lambda: (h := healthz(base)) and h["last_run"] and h, 60, "the run to finish"
        )
        assert done["last_run"]["status"] == "ok", done
        assert "outdated 1; updated 1" in done["last_run"]["summary"]  # the engine ran

        m = _metrics(base)
        assert m[("updater_checks_total", ())] == 2
        assert m[("updater_packages_outdated", ())] == 1
        assert m[("updater_runs_total", (("status", "ok"),))] == 1
        assert m[("updater_github_rate_limit_remaining", ())] >= 0  # read from the forge's answers
        assert m[("updater_check_duration_seconds_count", ())] == 1
        assert m[("updater_updates_total", (("result", "updated"),))] == 1
        assert m[("updater_update_duration_seconds_count", ())] == 1

        page = http("GET", base + "/")[2].decode()
        assert ">1.1.0<" in page and 'c-pr-open">updated<' in page
        assert 'c-up-to-date">up to date<' in page
        # The run just finished is in the chart, with its counts.
        assert re.search(r'<g class="run" data-run="\d+" data-status="ok">', page)
        assert re.search(r"<title>run \d+ \(http\)[^<]*updated 1", page)

        # One package only, by name: the cycle takes just its source group.
        status, _h, _b = http("POST", base + "/run?package=acme-cli", TOKEN_HEADER)
        assert status == 202
        wait_for(
            lambda: (h := healthz(base)) and h["last_run"]["package"] == "acme-cli", 60, "run 2"
        )
        assert http("POST", base + "/run?package=acme-nope", TOKEN_HEADER)[0] == 404
    finally:
        _stop(proc, tmp_path, within=15)

    # The engine committed the update on its branch, in a scratch worktree since removed.
    _assert_repo_untouched(world.repo, ("updater/acme-tool",))
    changed = git(["diff", "--name-only", "main", "updater/acme-tool"], world.repo).split()
    assert changed == ["pkgs/acme/tool.nix"]
    state = world.repo / ".updater"
    assert FileRunLock(state / "run.lock").acquire(0)
    with StateStore.open(f"sqlite:///{state / 'state.db'}") as store:
        runs = recent_runs(store, "1/1")
        assert [(r.status, r.package) for r in runs] == [("ok", "acme-cli"), ("ok", None)]
        assert {r.package: r.latest for r in store.check_results()} == {
            "acme-tool": "1.1.0",
            "acme-cli": "2.0.0",
        }
    lines = [json.loads(line) for line in (tmp_path / "serve.log").read_text().splitlines()]
    assert any(e.get("event") == "stopped" for e in lines)
    assert RUN_TOKEN not in (tmp_path / "serve.log").read_text()


def test_sigterm_mid_run_abandons_the_check_and_exits_cleanly(
    world: SmallWorld, tmp_path: Path
) -> None:
    proc, base = _start(world, tmp_path)
    world.forge.faults.latency = 8.0  # every upstream answer takes 8 s
    try:
        assert http("POST", base + "/run", TOKEN_HEADER)[0] == 202
        wait_for(lambda: (h := healthz(base)) and h["running"], 30, "the run to start")
        time.sleep(0.5)
    finally:
        took = _stop(proc, tmp_path, within=6)  # well before the upstream would answer
    assert took < 6
    _assert_repo_untouched(world.repo)
    state = world.repo / ".updater"
    assert FileRunLock(state / "run.lock").acquire(0)
    with StateStore.open(f"sqlite:///{state / 'state.db'}") as store:
        (run,) = recent_runs(store, "1/1")
        assert run.status == "cancelled" and run.finished_at is not None
        assert "nothing saved" in run.summary
        assert store.check_results() == []


@pytest.mark.nix
def test_once_runs_one_cycle_and_refuses_while_another_run_holds_the_lock(
    world: SmallWorld, tmp_path: Path
) -> None:
    cmd = [sys.executable, "-m", "updater", "--repo", str(world.repo), "--config",
           str(_config(tmp_path, free_port())), "serve", "--once"]  # fmt: skip
    holder = FileRunLock(world.repo / ".updater" / "run.lock")
    assert holder.acquire(0)
    busy = subprocess.run(cmd, env=world.env, capture_output=True, text=True, timeout=120)
    assert busy.returncode == 1 and "another run holds" in busy.stderr
    holder.release()
    once = subprocess.run(cmd, env=world.env, capture_output=True, text=True, timeout=120)
    assert once.returncode == 0, once.stderr
    assert "serve --once: ok: checked 2; outdated 1; updated 1" in once.stderr
    _assert_repo_untouched(world.repo, ("updater/acme-tool",))
    sharded = subprocess.run(
        [*cmd, "--shard", "3/2"], env=world.env, capture_output=True, text=True, timeout=120
    )
    assert sharded.returncode == 2 and "--shard" in sharded.stderr
