"""Runs never overlap; requests arriving during a run coalesce; the cron trigger fires as cron."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from apscheduler.triggers.interval import IntervalTrigger
from service_support import wait_for

from updater.config import ScheduleConfig, parse_config
from updater.cron import cron_trigger
from updater.errors import ConfigError
from updater.pipeline.scope import CancelToken
from updater.service.cycle import CycleReport, CycleRequest
from updater.service.metrics import ServiceMetrics
from updater.service.scheduler import ServiceScheduler
from updater.service.worker import Worker
from updater.state.runlock import FileRunLock
from updater.state.status import recent_runs, start_run
from updater.state.store import StateStore


class RecordingCycle:
    """A cycle that takes `seconds` (or until released) and records concurrency."""

    def __init__(self, seconds: float = 0.0) -> None:
        self.seconds = seconds
        self.gate = threading.Event()
        self.gate.set()
        self.requests: list[CycleRequest] = []
        self.inside = 0
        self.most = 0
        self._guard = threading.Lock()

    def __call__(self, request: CycleRequest, cancel: CancelToken) -> CycleReport:
        with self._guard:
            self.inside += 1
            self.most = max(self.most, self.inside)
            self.requests.append(request)
        try:
            self.gate.wait(30)
            time.sleep(self.seconds)
            if request.package == "boom":
                raise RuntimeError("cycle bug")
            return CycleReport("ok", self.seconds, checked=1)
        finally:
            with self._guard:
                self.inside -= 1


@pytest.fixture
def store(tmp_path: Path) -> Iterator[StateStore]:
    with StateStore.open(f"sqlite:///{tmp_path / 'state.db'}") as s:
        yield s


def _runner(cycle: RecordingCycle, store: StateStore, tmp_path: Path) -> Worker:
    return Worker(cycle, FileRunLock(tmp_path / "run.lock"), store, "1/1", ServiceMetrics())


def test_interval_schedule_never_overlaps_and_coalesces(store: StateStore, tmp_path: Path) -> None:
    cycle = RecordingCycle(seconds=0.4)
    runner = _runner(cycle, store, tmp_path)
    runner.start()
    scheduler = ServiceScheduler(
        lambda: runner.submit(CycleRequest("schedule")), IntervalTrigger(seconds=0.1)
    )
    scheduler.start()
    time.sleep(2.2)
    scheduler.shutdown()
    runner.stop(30)
    # Fired ~20 times; ran one at a time, the fire times during a run folded into one next run.
    assert cycle.most == 1
    assert 2 <= len(cycle.requests) <= 7
    runs = recent_runs(store, "1/1", limit=50)
    assert len(runs) == len(cycle.requests)
    assert {r.status for r in runs} == {"ok"} and all(r.finished_at for r in runs)


def test_requests_during_a_run_merge_and_everything_absorbs_packages(
    store: StateStore, tmp_path: Path
) -> None:
    cycle = RecordingCycle()
    cycle.gate.clear()
    runner = _runner(cycle, store, tmp_path)
    runner.start()
    assert runner.submit(CycleRequest("http", "a")) == "queued"
    wait_for(lambda: runner.current is not None, 10, "the first run to start")
    assert runner.submit(CycleRequest("http", "b")) == "queued"
    assert runner.submit(CycleRequest("http", "b")) == "merged"
    assert runner.submit(CycleRequest("schedule")) == "queued"  # replaces "b"
    assert [r.key for r in runner.pending] == ["*"]
    assert runner.submit(CycleRequest("http", "c")) == "merged"
    cycle.gate.set()
    assert runner.wait_idle(20)
    runner.stop(10)
    assert [(r.trigger, r.package) for r in cycle.requests] == [("http", "a"), ("schedule", None)]
    assert runner.submit(CycleRequest("schedule")) == "stopping"


def test_busy_lock_refuses_the_run_and_a_crash_does_not_kill_the_runner(
    store: StateStore, tmp_path: Path
) -> None:
    cycle = RecordingCycle()
    runner = _runner(cycle, store, tmp_path)
    other = FileRunLock(tmp_path / "run.lock")
    assert other.acquire(0)
    refused = runner.run_now(CycleRequest("once"))
    assert refused.report is None and refused.refused and "run.lock" in refused.refused
    assert cycle.requests == []
    other.release()

    crashed = runner.run_now(CycleRequest("http", "boom"))
    assert crashed.report is not None and crashed.report.status == "failed"
    assert "RuntimeError: cycle bug" in crashed.report.message
    assert runner.lock.acquire(0)  # released after the crash
    runner.lock.release()
    ok = runner.run_now(CycleRequest("once"))
    assert ok.report is not None and ok.report.status == "ok"
    text = runner.metrics.render().decode()
    assert 'updater_runs_total{status="busy"} 1.0' in text
    assert 'updater_runs_total{status="failed"} 1.0' in text
    assert 'updater_failures_total{reason="crash"} 1.0' in text


def test_a_run_left_running_by_a_dead_process_is_marked_abandoned(
    store: StateStore, tmp_path: Path
) -> None:
    dead = start_run(store, "1/1", "schedule", None)
    runner = _runner(RecordingCycle(), store, tmp_path)
    runner.run_now(CycleRequest("once"))
    by_id = {r.id: r for r in recent_runs(store, "1/1")}
    assert by_id[dead].status == "abandoned" and by_id[dead].finished_at is not None
    assert [r.status for r in by_id.values() if r.id != dead] == ["ok"]


def test_cron_weekdays_count_from_sunday_as_cron_does() -> None:
    trigger = cron_trigger(ScheduleConfig(cron="30 9 * * 1-5", jitter=0))
    saturday = datetime(2025, 3, 1, 12, 0, tzinfo=UTC)
    fire = trigger.get_next_fire_time(None, saturday)
    assert fire == datetime(2025, 3, 3, 9, 30, tzinfo=UTC)  # Monday
    sunday_only = cron_trigger(ScheduleConfig(cron="0 0 * * 0", jitter=0))
    assert sunday_only.get_next_fire_time(None, saturday).weekday() == 6
    stepped = cron_trigger(ScheduleConfig(cron="0 0 * * */2", jitter=0))
    # */2 over cron's 0-6: Sunday, Tuesday, Thursday, Saturday
    assert stepped.get_next_fire_time(None, saturday) == datetime(2025, 3, 2, tzinfo=UTC)
    sun_to_tue = cron_trigger(ScheduleConfig(cron="0 0 * * 0-2", jitter=0))
    assert sun_to_tue.get_next_fire_time(None, saturday) == datetime(2025, 3, 2, tzinfo=UTC)
    weekend = cron_trigger(ScheduleConfig(cron="0 0 * * 6,7", jitter=0))
    assert weekend.get_next_fire_time(None, saturday) == datetime(2025, 3, 2, tzinfo=UTC)
    assert cron_trigger(ScheduleConfig(cron="0 * * * *", jitter=300)).jitter == 300


@pytest.mark.parametrize("cron", ["* * *", "61 * * * *", "0 0 * * mon-xyz"])
def test_bad_cron_is_a_config_error(cron: str) -> None:
    # Refused when the file is read (every command), naming the file and the key...
    with pytest.raises(ConfigError, match=r"^updater\.toml: schedule\.cron: expected a crontab"):
        parse_config({"schedule": {"cron": cron}}, "updater.toml")
    # ...and by the trigger itself, for a schedule built without validation.
    with pytest.raises(ConfigError, match="schedule.cron"):
        cron_trigger(ScheduleConfig.model_construct(cron=cron, jitter=0))
