"""The schedule: APScheduler 3.x runs the config's cron trigger (updater/cron.py), with jitter.

Missed fire times (the machine slept, a run took longer than the interval) are coalesced into
one run, and a late fire time still runs within the grace time. The job only submits a request
to the runner, which serialises the runs; so max_instances=1 is a second guard, not the first.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC

from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.triggers.base import BaseTrigger

# A fire time late by less than this still runs (once, thanks to coalescing).
MISFIRE_GRACE_SECONDS = 3600


class ServiceScheduler:
    def __init__(self, fire: Callable[[], object], trigger: BaseTrigger) -> None:
        self._scheduler = BackgroundScheduler(timezone=UTC)
        self._job = self._scheduler.add_job(
            fire,
            trigger,
            id="cycle",
            name="updater cycle",
            coalesce=True,
            max_instances=1,
            misfire_grace_time=MISFIRE_GRACE_SECONDS,
        )

    def start(self) -> None:
        self._scheduler.start()

    def next_run(self) -> str | None:
        when = self._scheduler.get_job("cycle").next_run_time
        return None if when is None else str(when.isoformat())

    def shutdown(self) -> None:
        if self._scheduler.running:
            # The job only submits to the runner: nothing to wait for.
            self._scheduler.shutdown(wait=False)
