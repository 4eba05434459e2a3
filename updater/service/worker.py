"""One worker thread runs cycles one at a time; requests that arrive meanwhile are coalesced.

Every source of runs (the cron schedule, POST /run, --once) goes through `submit` or
`run_now`; the worker holds the run lock for the whole cycle, so no two runs overlap in this
process, and the lock keeps other processes (or machines, with PostgreSQL) out too.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal

from updater.logs import get_logger
from updater.pipeline.scope import CancelToken
from updater.service.cycle import Cycle, CycleReport, CycleRequest
from updater.service.metrics import ServiceMetrics
from updater.state.runlock import RunLock
from updater.state.status import RunStatus, abandon_running, finish_run, start_run
from updater.state.store import StateStore

Submitted = Literal["queued", "merged", "stopping"]


@dataclass(frozen=True)
class RunResult:
    request: CycleRequest
    report: CycleReport | None
    # Set when the run did not happen because another run held the lock.
    refused: str | None = None


class Worker:
    def __init__(
        self,
        cycle: Cycle,
        lock: RunLock,
        store: StateStore,
        shard: str,
        metrics: ServiceMetrics,
        lock_wait: float = 0.0,
        on_result: Callable[[RunResult], None] | None = None,
    ) -> None:
        self.cycle = cycle
        self.lock = lock
        self.store = store
        self.shard = shard
        self.metrics = metrics
        self.lock_wait = lock_wait
        self._on_result = on_result
        self.cancel = CancelToken()
        self._cond = threading.Condition()
        # Insertion-ordered; "*" (everything) absorbs single-package requests.
        self._pending: dict[str, CycleRequest] = {}
        self._current: CycleRequest | None = None
        self._last: RunResult | None = None
        self._stopping = False
        self._thread = threading.Thread(target=self._work, name="updater-runner", daemon=True)

    # -- what the HTTP layer and the scheduler see ----------------------------------------------

    @property
    def current(self) -> CycleRequest | None:
        with self._cond:
            return self._current

    @property
    def last(self) -> RunResult | None:
        with self._cond:
            return self._last

    @property
    def pending(self) -> tuple[CycleRequest, ...]:
        with self._cond:
            return tuple(self._pending.values())

    def submit(self, request: CycleRequest) -> Submitted:
        with self._cond:
            if self._stopping:
                return "stopping"
            if "*" in self._pending or request.key in self._pending:
                return "merged"
            if request.key == "*":
                self._pending.clear()
            self._pending[request.key] = request
            self._cond.notify_all()
            return "queued"

    # -- lifecycle ------------------------------------------------------------------------------

    def start(self) -> None:
        self._thread.start()

    def stop(self, timeout: float | None = None) -> bool:
        """Drop pending requests, cancel the cycle in progress between units, wait for it."""
        with self._cond:
            self._stopping = True
            self._pending.clear()
            self._cond.notify_all()
        self.cancel.cancel()
        if self._thread.is_alive():
            self._thread.join(timeout)
        return not self._thread.is_alive()

    def wait_idle(self, timeout: float) -> bool:
        """For tests and --once: True once nothing is pending or running."""
        deadline = time.monotonic() + timeout
        with self._cond:
            while self._pending or self._current is not None:
                left = deadline - time.monotonic()
                if left <= 0:
                    return False
                self._cond.wait(left)
            return True

    def _work(self) -> None:
        while True:
            with self._cond:
                while not self._pending and not self._stopping:
                    self._cond.wait()
                if self._stopping:
                    return
                key = next(iter(self._pending))
                request = self._pending.pop(key)
                self._current = request
            result: RunResult | None = None
            try:
                result = self.run_now(request)
                if self._on_result is not None:
                    self._on_result(result)
            finally:
                with self._cond:
                    self._current = None
                    if result is not None:
                        self._last = result
                    self._cond.notify_all()

    # -- one run --------------------------------------------------------------------------------

    def run_now(self, request: CycleRequest) -> RunResult:
        log = get_logger("service.worker")
        if not self.lock.acquire(self.lock_wait):
            holder = self.lock.holder()
            why = f"another run holds the {self.lock.description}" + (
                f" ({holder})" if holder else ""
            )
            log.warning("run refused", trigger=request.trigger, reason=why)
            self.metrics.runs.labels("busy").inc()
            return RunResult(request, None, why)
        self.metrics.running.set(1)
        started = time.monotonic()
        run_id: int | None = None
        report: CycleReport | None = None
        status: RunStatus = "failed"
        try:
            # Holding the lock, any run of this shard still marked running died with its process.
            if abandoned := abandon_running(self.store, self.shard):
                log.warning("runs left by a stopped process marked abandoned", count=abandoned)
            run_id = start_run(self.store, self.shard, request.trigger, request.package)
            log.info("run started", run=run_id, trigger=request.trigger, package=request.package)
            try:
                report = self.cycle(request, self.cancel)
            except Exception as exc:  # a cycle bug must not kill the service
                log.exception("run crashed", run=run_id)
                report = CycleReport(
                    "failed",
                    time.monotonic() - started,
                    failures={"crash": 1},
                    message=f"{type(exc).__name__}: {str(exc).splitlines()[0] if str(exc) else ''}",
                )
            status = report.status
            return RunResult(request, report)
        finally:
            try:
                if run_id is not None:
                    finish_run(
                        self.store,
                        run_id,
                        status,
                        report.summary() if report else "",
                        counts=report.counts() if report else None,
                    )
            finally:
                self.lock.release()
                self.metrics.running.set(0)
                if report is not None:
                    self.metrics.observe(report, time.time())
                log.info("run finished", run=run_id, status=status)
