"""Delivery per service cycle, not per source group: one cycle of the real update stage (engine,
push, PRs) over several outdated groups of the world's NUR syncs with GitHub once and writes
the dashboard issue once, at the end; and the dashboard claims no next run when nothing is
scheduled (the demo, --once), while a scheduling service says its cycles are scheduled."""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest

from updater.config import Config, Endpoints, Secrets, parse_config
from updater.context import AppContext
from updater.cron import cron_trigger
from updater.pipeline.scope import CancelToken
from updater.pipeline.shard import Shard
from updater.pipeline.step import EngineStep
from updater.service.app import Service
from updater.service.cycle import CycleReport, CycleRequest, PipelineCycle
from updater.state.delivery import dashboard_number
from updater.state.runlock import FileRunLock
from updater.state.store import StateStore
from updater_sandbox.world import World

NUR_API = "/api/v3/repos/nur-owner/nur"


@contextmanager
def _world_environment(w: World) -> Iterator[None]:
    """os.environ as the world's processes see it (the engine's git, Nix and HTTP read it)."""
    saved = dict(os.environ)
    os.environ.clear()
    os.environ.update(w.process_env())
    try:
        yield
    finally:
        os.environ.clear()
        os.environ.update(saved)


def _config(w: World, state: Path) -> Config:
    return parse_config(
        {
            "state": {"url": f"sqlite:///{state}"},
            "forges": {
                "codeberg.org": {"type": "forgejo", "api_url": f"{w.forge.url}/api/v1"},
                "gitlab.com": {"type": "gitlab", "api_url": f"{w.forge.url}/api/v4"},
            },
            "pull_requests": {"write_interval": 0.05},
        },
        "test",
    )


def _context(w: World, state: Path) -> AppContext:
    config = _config(w, state)
    return AppContext(
        repo=w.nur_path,
        config=config,
        config_path=None,
        secrets=Secrets.from_env(w.env),
        endpoints=Endpoints.resolve(config, w.env),
    )


def _pull_list_reads(requests: list[Any]) -> list[Any]:
    """Reads of the repository's PR list (sync, the PR budget); not the per-branch lookups."""
    return [
        r
        for r in requests
        if r.method == "GET" and r.path == f"{NUR_API}/pulls" and "head" not in r.query
    ]


def _dashboard_writes(requests: list[Any], number: int) -> list[Any]:
    return [
        r
        for r in requests
        if (r.method == "POST" and r.path == f"{NUR_API}/issues")
        or (r.method == "PATCH" and r.path == f"{NUR_API}/issues/{number}")
    ]


@pytest.mark.nix
def test_one_cycle_syncs_once_and_writes_the_dashboard_once(tmp_path: Path) -> None:
    with World(tmp_path / "world") as w, _world_environment(w):
        ctx = _context(w, tmp_path / "state.db")
        with StateStore.open(ctx.state_url) as store:
            # Half the NUR's source groups (a stable hash): several outdated, a shorter test.
            cycle = PipelineCycle(ctx, store, Shard(1, 2), EngineStep(ctx))
            # As the demo asks: nothing is scheduled after this cycle.
            report = cycle(CycleRequest("startup"), CancelToken())
            number = dashboard_number(store, w.nur_repository)
        requests = w.forge.requests
        board = w.forge.state.locked(
            ("github.com", "nur-owner", "nur"), lambda d: d.issues[number] if number else None
        )

    assert report.status == "ok", report.summary()
    assert report.prs_opened >= 3, report.summary()
    # Once per cycle, not once per group: sync reads the PR list once, the PR budget twice
    # (open, and opened in the last hour); a Delivery per group read it 3 times per group.
    assert len(_pull_list_reads(requests)) == 3, [r.query for r in _pull_list_reads(requests)]
    assert number is not None and board is not None
    assert len(_dashboard_writes(requests, number)) == 1
    # Written after the last group: it lists every PR the cycle opened.
    assert len(re.findall(r": #\d+", board.body)) == report.prs_opened
    assert "Next run: not scheduled." in board.body


def test_service_tells_its_cycles_whether_a_schedule_runs_them(tmp_path: Path) -> None:
    def requests_of(scheduled: bool) -> list[CycleRequest]:
        seen: list[CycleRequest] = []

        def cycle(request: CycleRequest, cancel: CancelToken) -> CycleReport:
            seen.append(request)
            return CycleReport("ok", 0.0)

        with StateStore.open(f"sqlite:///{tmp_path / f'{scheduled}.db'}") as store:
            service = Service(
                cycle=cycle,
                store=store,
                lock=FileRunLock(tmp_path / f"{scheduled}.lock"),
                trigger=cron_trigger(Config().schedule) if scheduled else None,
                listen="127.0.0.1:0",
                run_token=None,
            )
            service.worker.start()
            try:
                service.trigger("acme-tool")
                assert service.worker.wait_idle(10)
                if scheduled:
                    service._scheduled()  # what the cron job does when it fires
                    assert service.worker.wait_idle(10)
            finally:
                service.worker.stop(10)
        return seen

    scheduled = requests_of(True)
    assert [(r.trigger, r.scheduled) for r in scheduled] == [("http", True), ("schedule", True)]
    assert [(r.trigger, r.scheduled) for r in requests_of(False)] == [("http", False)]
