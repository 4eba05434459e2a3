"""The Service: the worker, the schedule and the HTTP server around one `Cycle`.

Shutdown (SIGTERM, SIGINT, or `stop()`): stop the schedule, refuse new runs, cancel the cycle in
progress between units (a unit in progress finishes: it works in a scratch worktree and must not
leave half a branch behind), then stop HTTP, release the lock and close the store.
"""

from __future__ import annotations

import signal
import threading
from collections.abc import Callable
from datetime import UTC, datetime
from types import FrameType
from typing import Any

from apscheduler.triggers.base import BaseTrigger

from updater.errors import ConfigError
from updater.logs import get_logger
from updater.service.cycle import Cycle, CycleRequest
from updater.service.http import ServiceHttpServer
from updater.service.metrics import ServiceMetrics
from updater.service.page import duration_text, render_page
from updater.service.page_chart import RUNS_SHOWN
from updater.service.scheduler import ServiceScheduler
from updater.service.worker import RunResult, Submitted, Worker
from updater.state.runlock import RunLock
from updater.state.status import package_rows, recent_runs
from updater.state.store import StateStore


class Service:
    def __init__(
        self,
        *,
        cycle: Cycle,
        store: StateStore,
        lock: RunLock,
        trigger: BaseTrigger | None,
        listen: str,
        run_token: str | None,
        shard: str = "1/1",
        packages: Callable[[], tuple[str, ...]] = tuple,
        title: str = "updater",
        lock_wait: float = 0.0,
    ) -> None:
        self.store = store
        self.shard = shard
        self.title = title
        self._run_token = run_token
        self._packages_of = packages
        self._packages: frozenset[str] = frozenset()
        self._packages_lock = threading.Lock()
        self.metrics = ServiceMetrics()
        self.worker = Worker(
            cycle,
            lock,
            store,
            shard,
            metrics=self.metrics,
            lock_wait=lock_wait,
            on_result=self._after_run,
        )
        self._listen = listen
        self._trigger = trigger
        self.scheduler: ServiceScheduler | None = None
        self.http: ServiceHttpServer | None = None
        self._http_thread: threading.Thread | None = None
        self._stopped = threading.Event()
        self._done = threading.Event()
        self._stop_lock = threading.Lock()
        self._started_at = datetime.now(UTC)

    # -- ServiceView (what HTTP asks) -----------------------------------------------------------

    @property
    def run_token(self) -> str | None:
        return self._run_token

    def health(self) -> dict[str, Any]:
        last = self.worker.last
        current = self.worker.current
        return {
            "status": "stopping" if self._stopped.is_set() else "ok",
            "shard": self.shard,
            "packages": len(self._known()),
            "running": None
            if current is None
            else {"trigger": current.trigger, "package": current.package},
            "next_run": self.scheduler.next_run() if self.scheduler else None,
            "last_run": _last_run_json(last),
        }

    def metrics_text(self) -> bytes:
        return self.metrics.render()

    def page_html(self) -> str:
        now = datetime.now(UTC)
        rows = package_rows(self.store, self._known() or None)
        summary = [f"shard {self.shard}", f"{len(rows)} packages"]
        runs = recent_runs(self.store, self.shard, limit=RUNS_SHOWN)
        if runs:
            r = runs[0]
            ago = duration_text((now - (r.finished_at or r.started_at)).total_seconds())
            summary.append(f"last run: {r.status} {ago} ago ({r.summary or r.trigger})")
        if self.worker.current is not None:
            summary.append("a run is in progress")
        if self.scheduler and (nxt := self.scheduler.next_run()):
            summary.append(f"next run: {nxt}")
        return render_page(rows, now, self.title, summary, runs)

    def knows_package(self, name: str) -> bool:
        return name in self._known()

    def trigger(self, package: str | None) -> Submitted:
        return self.worker.submit(
            CycleRequest("http", package, scheduled=self._trigger is not None)
        )

    def _known(self) -> frozenset[str]:
        with self._packages_lock:
            return self._packages

    def refresh_packages(self) -> None:
        names = frozenset(self._packages_of())
        with self._packages_lock:
            self._packages = names
        self.metrics.tracked.set(len(names))

    # -- lifecycle ------------------------------------------------------------------------------

    def start(self) -> None:
        log = get_logger("service")
        self.refresh_packages()
        try:
            self.http = ServiceHttpServer(self._listen, self)
        except OSError as exc:
            raise ConfigError(
                f"serve.listen {self._listen}: cannot listen: {exc.strerror}"
            ) from None
        self._http_thread = threading.Thread(
            target=self.http.serve_forever, kwargs={"poll_interval": 0.2}, name="updater-http"
        )
        self._http_thread.start()
        self.worker.start()
        if self._trigger is not None:
            self.scheduler = ServiceScheduler(self._scheduled, self._trigger)
            self.scheduler.start()
        log.info(
            "serving",
            url=self.http.url,
            shard=self.shard,
            packages=len(self._known()),
            next_run=self.scheduler.next_run() if self.scheduler else None,
        )

    def _scheduled(self) -> None:
        self.worker.submit(CycleRequest("schedule", scheduled=True))

    def stop(self, timeout: float | None = None) -> bool:
        """Idempotent; True when the run in progress (if any) ended within `timeout`."""
        with self._stop_lock:
            if self._stopped.is_set():
                self._done.wait(timeout)
                return self._done.is_set()
            self._stopped.set()
        log = get_logger("service")
        log.info("stopping", running=self.worker.current is not None)
        if self.scheduler is not None:
            self.scheduler.shutdown()
        finished = self.worker.stop(timeout)
        if self.http is not None:
            self.http.shutdown()
            self.http.server_close()
        if self._http_thread is not None:
            self._http_thread.join(5)
        log.info("stopped", run_finished=finished)
        self._done.set()
        return finished

    def wait(self) -> None:
        """Block until stop() (a signal handler calls it) has finished."""
        while not self._done.wait(1.0):
            pass

    def install_signal_handlers(self) -> None:
        """SIGTERM/SIGINT ask for a graceful stop; the main thread then leaves wait()."""

        def handle(signum: int, _frame: FrameType | None) -> None:
            get_logger("service").info("signal", signal=signal.Signals(signum).name)
            # stop() waits for the run in progress; do that outside the signal handler.
            threading.Thread(target=self.stop, name="updater-stop").start()

        signal.signal(signal.SIGTERM, handle)
        signal.signal(signal.SIGINT, handle)

    def _after_run(self, result: RunResult) -> None:
        if result.report is not None and result.report.packages:
            with self._packages_lock:
                self._packages = frozenset(result.report.packages)


def _last_run_json(last: RunResult | None) -> dict[str, Any] | None:
    if last is None:
        return None
    if last.report is None:
        return {"status": "busy", "trigger": last.request.trigger, "message": last.refused}
    r = last.report
    return {
        "status": r.status,
        "trigger": last.request.trigger,
        "package": last.request.package,
        "duration": round(r.duration, 3),
        "summary": r.summary(),
    }
