"""The forge starts and stops fast and leaves no threads, sockets or processes behind."""

from __future__ import annotations

import os
import socket
import threading
import time
from pathlib import Path

import httpx
import pytest
from conftest import TOKEN, make_upstream, populate

from updater_sandbox.forge import LocalForge


def _children() -> set[int]:
    out: set[int] = set()
    for task in Path(f"/proc/{os.getpid()}/task").iterdir():
        text = (task / "children").read_text().split()
        out.update(int(pid) for pid in text)
    return out


def test_start_stop_fast_and_clean(tmp_path: Path) -> None:
    # Timing: best of three, so a loaded machine (parallel test workers building with Nix) does
    # not decide; the leftovers below are checked on every cycle.
    starts, stops = [], []
    for attempt in range(3):
        start, stop = _start_stop_cycle(tmp_path / f"cycle-{attempt}")
        starts.append(start)
        stops.append(stop)
    assert min(starts) < 1.0, starts
    assert min(stops) < 1.0, stops


def _start_stop_cycle(tmp_path: Path) -> tuple[float, float]:
    before_threads = set(threading.enumerate())
    before_children = _children()
    started = time.monotonic()
    forge = LocalForge(tmp_path / "f", token=TOKEN).start()
    start_time = time.monotonic() - started
    assert forge.url.startswith("http://127.0.0.1:")
    port = int(forge.url.rsplit(":", 1)[1])

    # Leave an idle keep-alive connection open and a half-sent request hanging.
    client = httpx.Client(headers={"Authorization": f"token {TOKEN}"})
    assert client.get(f"{forge.api_url}/rate_limit").status_code == 200
    raw = socket.create_connection(("127.0.0.1", port))
    raw.sendall(b"GET /api/v3/rate_limit HTTP/1.1\r\nHost: x\r\n")

    stopping = time.monotonic()
    forge.stop()
    stop_time = time.monotonic() - stopping
    raw.close()
    client.close()
    assert set(threading.enumerate()) - before_threads == set()
    assert _children() - before_children == set()
    with pytest.raises(httpx.ConnectError):
        httpx.get(f"{forge.url}/api/v3/rate_limit", timeout=2)
    return start_time, stop_time


def test_context_manager_after_git_traffic(tmp_path: Path) -> None:
    before = set(threading.enumerate())
    with LocalForge(tmp_path / "f") as forge:
        env = {**os.environ, "GIT_CONFIG_GLOBAL": str(forge.write_gitconfig(tmp_path / "cfg"))}
        env.update(
            GIT_AUTHOR_NAME="a",
            GIT_AUTHOR_EMAIL="a@b",
            GIT_COMMITTER_NAME="a",
            GIT_COMMITTER_EMAIL="a@b",
        )
        up = make_upstream(forge, env, tmp_path, "github.com", "o", "r")
        populate(up)
        forge.add_release("github.com", "o", "r", "v1.0")
    assert set(threading.enumerate()) - before == set()
    # The request log outlives the server, for assertions after the world stopped.
    assert any(r.path.endswith("/git-receive-pack") for r in forge.requests)


def test_two_forges_run_side_by_side(tmp_path: Path) -> None:
    with LocalForge(tmp_path / "a") as a, LocalForge(tmp_path / "b") as b:
        assert a.url != b.url
        assert httpx.get(f"{a.api_url}/rate_limit").status_code == 200
        assert httpx.get(f"{b.api_url}/rate_limit").status_code == 200


def test_urls(tmp_path: Path) -> None:
    with LocalForge(tmp_path / "f") as forge:
        assert forge.api_url == f"{forge.url}/api/v3"
        assert forge.graphql_url == f"{forge.url}/api/graphql"
        assert forge.server_url == f"{forge.url}/github.com"
        assert forge.host_url("tangled.org") == f"{forge.url}/tangled.org"
        assert (
            forge.repo_path("tangled.org", "@me.dev", "x")
            == tmp_path / "f" / "tangled.org" / "@me.dev" / "x.git"
        )
        with pytest.raises(ValueError):
            forge.repo_path("github.com", "..", "x")
        with pytest.raises(ValueError):
            forge.repo_path("evil.com", "o", "x")
