"""`updater serve` on the whole local world: a run triggered over HTTP opens a real pull request
on the forge, /healthz and /metrics report it, the status page links it in headless Chromium,
and SIGTERM in the middle of a full run leaves the repository and the state consistent."""

from __future__ import annotations

import json
import re
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from service_support import free_port, healthz, http, wait_for

from updater.state.runlock import FileRunLock
from updater.state.status import recent_runs
from updater.state.store import StateStore
from updater_sandbox.world import World

RUN_TOKEN = "run-token-for-the-world-test"
PACKAGE = "webapp-skyview"  # a cheap package of the fixture NUR with a newer release upstream
CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
ARTIFACTS = Path(__file__).resolve().parents[2] / "artifacts" / "service"


@pytest.fixture
def world(tmp_path: Path) -> Iterator[World]:
    with World(tmp_path / "world") as w:
        yield w


def _config(w: World, tmp_path: Path, port: int) -> Path:
    path = tmp_path / "updater.toml"
    path.write_text(
        f'[serve]\nlisten = "127.0.0.1:{port}"\n'
        '[schedule]\ncron = "0 0 1 1 *"\njitter = 0\n'
        "[pull_requests]\nwrite_interval = 0.05\n"
        f'[forges."codeberg.org"]\ntype = "forgejo"\napi_url = "{w.forge.url}/api/v1"\n'
        f'[forges."gitlab.com"]\ntype = "gitlab"\napi_url = "{w.forge.url}/api/v4"\n'
    )
    return path


def _git(w: World, *args: str) -> str:
    return subprocess.run(
        ["git", "-C", str(w.nur_path), *args],
        capture_output=True, text=True, check=True, timeout=30, env=w.process_env(),
    ).stdout  # fmt: skip


def _issues(w: World) -> list[dict[str, Any]]:
    token = w.env["GITHUB_TOKEN"]
    status, _h, body = http(
        "GET",
        f"{w.forge.api_url}/repos/nur-owner/nur/issues?state=all",
        {"Authorization": f"token {token}"},
    )
    assert status == 200
    issues: list[dict[str, Any]] = json.loads(body)
    return [i for i in issues if "pull_request" not in i]


def _pulls(w: World) -> list[dict[str, Any]]:
    token = w.env["GITHUB_TOKEN"]
    status, _h, body = http(
        "GET",
        f"{w.forge.api_url}/repos/nur-owner/nur/pulls?state=all",
        {"Authorization": f"token {token}"},
    )
    assert status == 200
    pulls: list[dict[str, Any]] = json.loads(body)
    return pulls


@pytest.mark.nix
def test_serve_opens_prs_reports_them_and_stops_consistently(world: World, tmp_path: Path) -> None:
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    log_path = tmp_path / "serve.log"
    env = {**world.process_env(), "UPDATER_RUN_TOKEN": RUN_TOKEN}
    head_before = _git(world, "rev-parse", "HEAD")
    with log_path.open("wb") as log:
        proc = subprocess.Popen(
            [sys.executable, "-m", "updater", "--repo", str(world.nur_path),
             "--config", str(_config(world, tmp_path, port)), "--log-format", "json", "serve"],
            env=env, stdout=log, stderr=subprocess.STDOUT,
        )  # fmt: skip
    try:
        wait_for(lambda: proc.poll() is not None or healthz(base), 60, "the service to listen")
        assert proc.poll() is None, log_path.read_text()[-3000:]
        auth = {"Authorization": f"Bearer {RUN_TOKEN}"}
        status, _h, body = http("POST", f"{base}/run?package={PACKAGE}", auth)
        assert status == 202, body
        done = wait_for(
            lambda: (h := healthz(base)) and h["last_run"] and h, 240, "the run to finish", 0.5
        )
        assert done["last_run"]["status"] == "ok", (done, log_path.read_text()[-3000:])

        # The pull request appeared on the forge, from the bot's branch, once.
        pulls = _pulls(world)
        assert len(pulls) == 1, pulls
        pull = pulls[0]
        assert pull["state"] == "open"
        assert pull["head"]["ref"].startswith("updater/")
        assert "skyview" in pull["title"] and "->" in pull["title"]

        # One dashboard issue; `serve` runs on its schedule, so it names the next run (the cron).
        boards = [i for i in _issues(world) if "<!-- updater-dashboard -->" in (i["body"] or "")]
        assert len(boards) == 1, boards
        assert re.search(r"Next run: \d{4}-01-01 00:00 UTC\.", boards[0]["body"])

        metrics = http("GET", f"{base}/metrics")[2].decode()
        assert 'updater_updates_total{result="pr-opened"} 1.0' in metrics
        assert "updater_github_rate_limit_remaining" in metrics

        # The page links the PR on the forge's web side (GITHUB_SERVER_URL).
        pr_link = f"{world.env['GITHUB_SERVER_URL']}/nur-owner/nur/pull/{pull['number']}"
        page = http("GET", f"{base}/")[2].decode()
        assert pr_link in page
        if CHROMIUM is not None:
            ARTIFACTS.mkdir(parents=True, exist_ok=True)
            shot = ARTIFACTS / "status-after-pr.png"
            flags = [
                CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
                "--no-first-run", "--disable-background-networking", "--disable-component-update",
                "--disable-sync", "--disable-dev-shm-usage", "--hide-scrollbars",
                "--virtual-time-budget=3000",
            ]  # fmt: skip
            dom = subprocess.run(
                [*flags, f"--user-data-dir={tmp_path / 'p1'}", "--dump-dom", f"{base}/"],
                capture_output=True, text=True, timeout=120, check=True,
            ).stdout  # fmt: skip
            assert PACKAGE in dom and pr_link in dom
            subprocess.run(
                [*flags, f"--user-data-dir={tmp_path / 'p2'}", "--window-size=1280,900",
                 f"--screenshot={shot}", f"{base}/"],
                capture_output=True, timeout=120, check=True,
            )  # fmt: skip
            assert shot.stat().st_size > 10_000

        # A full run, cut short by SIGTERM while it works.
        assert http("POST", f"{base}/run", auth)[0] == 202
        time.sleep(3)
    finally:
        proc.send_signal(signal.SIGTERM)
        try:
            code = proc.wait(180)
        except subprocess.TimeoutExpired:
            proc.kill()
            raise
    assert code == 0, log_path.read_text()[-3000:]

    # Consistent afterwards: the checkout is where it was, no worktree or lock left behind,
    # no run left "running", and every branch on the forge belongs to an open PR.
    assert _git(world, "status", "--porcelain", "--untracked-files=all") == ""
    assert _git(world, "rev-parse", "HEAD") == head_before
    assert _git(world, "symbolic-ref", "--short", "HEAD").strip() == "main"
    worktrees = [
        w for w in _git(world, "worktree", "list", "--porcelain").splitlines()
        if w.startswith("worktree ")
    ]  # fmt: skip
    assert worktrees == [f"worktree {world.nur_path}"]
    state = world.nur_path / ".updater"
    assert FileRunLock(state / "run.lock").acquire(0)
    with StateStore.open(f"sqlite:///{state / 'state.db'}") as store:
        assert all(r.status != "running" for r in recent_runs(store, "1/1"))
    remote = subprocess.run(
        ["git", "-C", str(world.nur_remote_path), "for-each-ref", "--format=%(refname:short)",
         "refs/heads/updater/"],
        capture_output=True, text=True, check=True, timeout=30,
    ).stdout.split()  # fmt: skip
    open_heads = {p["head"]["ref"] for p in _pulls(world) if p["state"] == "open"}
    assert set(remote) == open_heads
    assert RUN_TOKEN not in log_path.read_text()
    assert world.env["GITHUB_TOKEN"] not in log_path.read_text()
