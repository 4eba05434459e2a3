"""The world's seven GitHub upstreams in one GraphQL batch, four of them faulty: one down, one
rate-limited until a reset 2 s away, one answering 429 with Retry-After 1 s, one dropping its
connection. Every other package is answered (and updated) in the same run; only the down one
is reported, with its cause; nothing is asked before the reset."""

from __future__ import annotations

import json
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from updater_sandbox.forge.faults import RateLimitWindow
from updater_sandbox.world import World

DOWN = ("plc-example", "plc-mirror")
LIMITED = ("indigo-example", "indigo")
RETRY_AFTER = ("bluesky-example", "jetstream")
DROPS = ("webapp-example", "skyview")


@pytest.fixture
def world(tmp_path: Path) -> Iterator[World]:
    with World(tmp_path / "world") as w:
        yield w


def updater(w: World, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "updater", "--repo", str(w.nur_path), "--log-format", "json",
         *args],
        capture_output=True, text=True, timeout=900, env=w.process_env(),
    )  # fmt: skip


def _arm(w: World) -> RateLimitWindow:
    w.forge.faults.repo_down(*DOWN)
    window = w.forge.faults.repo_rate_limited(*LIMITED, reset_in=2)
    w.forge.faults.repo_retry_after(*RETRY_AFTER, seconds=1)
    w.forge.faults.repo_drop(*DROPS, n=2)
    w.forge.clear_requests()
    return window


def _github_rows(out: str) -> dict[str, dict[str, Any]]:
    rows = json.loads(out)
    return {r["package"]: r for r in rows if (r["source"] or "").startswith("github:")}


def test_check_answers_every_github_package_but_the_down_one(world: World) -> None:
    started = time.time()
    window = _arm(world)
    proc = updater(world, "check", "--json")
    assert proc.returncode == 1, proc.stderr[-3000:]
    rows = _github_rows(proc.stdout)
    down = {p for p, r in rows.items() if r["source"] == f"github:{DOWN[0]}/{DOWN[1]}"}
    assert down
    for package, row in rows.items():
        if package in down:
            assert "plc-example/plc-mirror" in row["error"] and "HTTP 502" in row["error"]
        else:
            assert row["error"] is None, (package, row["error"])
            assert row["latest"], package
    assert len({r["source"] for r in rows.values()}) == 7
    # The rate-limited repository was refused, then asked again only after its reset.
    limited = f"{LIMITED[0]}/{LIMITED[1]}"
    assert window.first is not None and window.reset is not None
    asked = [r.at for r in world.forge.requests if limited in r.repos]
    assert not [t for t in asked if window.first < t < window.reset]
    assert [t for t in asked if t >= window.reset]
    assert time.time() - started < 120


@pytest.mark.nix
def test_run_all_updates_every_other_package_in_the_same_run(world: World) -> None:
    baseline = {
        p: r for p, r in _github_rows(updater(world, "check", "--json").stdout).items()
        if r["outdated"]
    }  # fmt: skip
    down = f"github:{DOWN[0]}/{DOWN[1]}"
    sources = {r["source"] for r in baseline.values()}
    assert down in sources and len(sources) >= 4, sources
    _arm(world)
    proc = updater(world, "run", "--all", "--no-pr", "--json")
    assert proc.returncode == 1, proc.stderr[-3000:]
    results = json.loads(proc.stdout)
    by_package = {p: r for r in results for p in r["packages"]}
    for package, row in baseline.items():
        outcome = by_package[package]
        if row["source"] == down:
            assert outcome["outcome"] == "failed"
            assert "plc-example/plc-mirror" in (outcome["reason"] or ""), outcome
        else:
            assert outcome["outcome"] == "updated", (package, outcome["reason"])
