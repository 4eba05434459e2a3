"""The service's cycle in process: the pipeline's real scan and check on the local forge, then
an update step of the test's own.

A shutdown stops it between units (the unit in progress finishes); a failing unit is recorded
with its reason and the others still run; --shard keeps other groups out.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from pathlib import Path

import pytest
from service_support import TOKEN, SmallWorld, make_nur, upstream, world_env

from updater.config import Config, Endpoints, Secrets
from updater.context import AppContext
from updater.engine.target import Work
from updater.errors import NixError
from updater.pipeline.report import UnitReport
from updater.pipeline.scope import CancelToken, RunScope
from updater.pipeline.selection import select_units
from updater.pipeline.shard import Shard, bucket
from updater.service.cycle import CycleRequest, PipelineCycle
from updater.state.status import package_rows
from updater.state.store import StateStore
from updater_sandbox.forge.local_forge import LocalForge


@pytest.fixture
def world(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[SmallWorld]:
    with LocalForge(tmp_path / "forge", token=TOKEN) as forge:
        for name in ("tool", "cli", "web"):
            upstream(forge, name, ["1.0.0", "1.1.0"])
        repo = tmp_path / "nur"
        make_nur(repo, {"tool": "1.0.0", "cli": "1.0.0", "web": "1.1.0"})
        env = world_env(forge, tmp_path / "gitconfig")
        monkeypatch.setenv("GIT_CONFIG_GLOBAL", env["GIT_CONFIG_GLOBAL"])
        yield SmallWorld(forge, repo, env)


def _ctx(world: SmallWorld) -> AppContext:
    config = Config()
    return AppContext(
        repo=world.repo,
        config=config,
        config_path=None,
        secrets=Secrets.from_env(world.env),
        endpoints=Endpoints.resolve(config, world.env),
    )


class Stage:
    def __init__(self, fail: str | None = None, cancel_after: int | None = None) -> None:
        self.fail = fail
        self.cancel_after = cancel_after
        self.calls: list[tuple[str, ...]] = []

    def __call__(self, works: Sequence[Work], scope: RunScope) -> list[UnitReport]:
        (work,) = works  # the service hands over one unit at a time
        names = work.unit.packages
        self.calls.append(names)
        if self.cancel_after is not None and len(self.calls) >= self.cancel_after:
            scope.cancel()  # SIGTERM arrives while this unit is being updated
        if self.fail in names:
            raise NixError("nix-build failed: hash mismatch in fixed-output derivation", "log")
        url = f"https://github.com/o/r/pull/{len(self.calls)}"
        return [UnitReport(names, "pr-opened", 0.01, pr_url=url, unit=work.unit.id)]


def test_shutdown_stops_between_groups_and_keeps_the_finished_one(
    world: SmallWorld, tmp_path: Path
) -> None:
    stage = Stage(cancel_after=1)
    with StateStore.open(f"sqlite:///{tmp_path / 'state.db'}") as store:
        cycle = PipelineCycle(_ctx(world), store, Shard(), stage)
        report = cycle(CycleRequest("schedule"), CancelToken())
        assert report.status == "cancelled" and "after 1 of 2" in report.message
        assert len(stage.calls) == 1 and report.prs_opened == 1
        rows = {r.package: r for r in package_rows(store)}
        done = stage.calls[0][0]
        other = ({"acme-tool", "acme-cli"} - {done}).pop()
        assert rows[done].state == "pr open" and rows[done].pr_url
        assert rows[other].state == "outdated" and rows[other].pr_url is None
        assert rows["acme-web"].state == "up to date"


def test_failing_group_is_recorded_and_the_rest_still_runs(
    world: SmallWorld, tmp_path: Path
) -> None:
    stage = Stage(fail="acme-tool")
    with StateStore.open(f"sqlite:///{tmp_path / 'state.db'}") as store:
        cycle = PipelineCycle(_ctx(world), store, Shard(), stage)
        report = cycle(CycleRequest("http"), CancelToken())
        assert report.status == "failed" and report.failures == {"nix": 1}
        assert report.updates == {"failed": 1, "pr-opened": 1}
        assert sorted(stage.calls) == [("acme-cli",), ("acme-tool",)]
        rows = {r.package: r for r in package_rows(store)}
        assert rows["acme-tool"].state == "failed" and "hash mismatch" in (
            rows["acme-tool"].error or ""
        )
        assert rows["acme-cli"].state == "pr open"
        one = cycle(CycleRequest("http", "acme-nope"), CancelToken())
        assert one.status == "failed" and one.failures == {"unknown_package": 1}


def test_shard_takes_only_its_groups(world: SmallWorld) -> None:
    groups = {"github.com/acme/tool", "github.com/acme/cli", "github.com/acme/web"}
    seen: set[str] = set()
    for i in (1, 2):
        tracked = {t.group for t in select_units(_ctx(world), shard=Shard(i, 2)).tracked}
        assert not tracked & seen
        seen |= tracked
        assert all(bucket(g, 2) == i - 1 for g in tracked)
    assert seen == groups


class Session:
    def __init__(self, log: list[str], scheduled: bool) -> None:
        self.log = log
        self.scheduled = scheduled
        log.append("open")

    def close(self) -> None:
        self.log.append("close")


class SessionStage(Stage):
    """A step that keeps one session per run, as the engine step keeps its Delivery."""

    def __init__(self, fail: str | None = None, cancel_after: int | None = None) -> None:
        super().__init__(fail, cancel_after)
        self.log: list[str] = []
        self.scheduled: list[bool] = []

    def __call__(self, works: Sequence[Work], scope: RunScope) -> list[UnitReport]:
        assert isinstance(scope, RunScope)
        session = scope.session(self, lambda: Session(self.log, scope.scheduled))
        self.scheduled.append(session.scheduled)
        self.log.append("group")
        return super().__call__(works, scope)


@pytest.mark.parametrize(
    ("stage", "request_", "status"),
    [
        (SessionStage(), CycleRequest("schedule", scheduled=True), "ok"),
        (SessionStage(fail="acme-tool"), CycleRequest("http"), "failed"),
        (SessionStage(cancel_after=1), CycleRequest("once"), "cancelled"),
    ],
    ids=["ok", "a-group-failed", "cancelled"],
)
def test_stage_session_lives_for_the_cycle_and_closes_at_its_end(
    world: SmallWorld, tmp_path: Path, stage: SessionStage, request_: CycleRequest, status: str
) -> None:
    with StateStore.open(f"sqlite:///{tmp_path / 'state.db'}") as store:
        cycle = PipelineCycle(_ctx(world), store, Shard(), stage)
        assert cycle(request_, CancelToken()).status == status
        groups = len(stage.calls)
        assert stage.log == ["open"] + ["group"] * groups + ["close"]
        assert stage.scheduled == [request_.scheduled] * groups
        # The next cycle has a session of its own.
        stage.log.clear()
        cycle(CycleRequest("http", "acme-cli"), CancelToken())
        assert stage.log == ["open", "group", "close"]
