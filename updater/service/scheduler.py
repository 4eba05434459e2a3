"""The schedule: APScheduler 3.x runs a cron trigger from the config, with jitter.

Missed fire times (the machine slept, a run took longer than the interval) are coalesced into
one run, and a late fire time still runs within the grace time. The job only submits a request
to the runner, which serialises the runs; so max_instances=1 is a second guard, not the first.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import UTC

from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.triggers.base import BaseTrigger
from apscheduler.triggers.cron import CronTrigger

from updater.config import ScheduleConfig
from updater.errors import ConfigError

# A fire time late by less than this still runs (once, thanks to coalescing).
MISFIRE_GRACE_SECONDS = 3600
_DAY_NAMES = ("sun", "mon", "tue", "wed", "thu", "fri", "sat", "sun")
_WEEKDAY_NUMBER = re.compile(r"(?<!\d)([0-7])(?!\d)")
# `*/2`, `1-5`, `0-6/2`: expanded to names (Sunday is 6 for APScheduler, so its ranges differ).
_WEEKDAY_RANGE = re.compile(r"^(\*|([0-7])-([0-7]))(?:/(\d+))?$")


def _weekdays(field: str) -> str:
    """Cron's weekday field (0 or 7 = Sunday) in APScheduler's terms, as day names."""
    items: list[str] = []
    for item in field.split(","):
        m = _WEEKDAY_RANGE.match(item)
        if m is not None and (m[1] != "*" or m[4] is not None):
            low, high = (0, 6) if m[1] == "*" else (int(m[2]), int(m[3]))
            step = int(m[4] or 1)
            if step < 1:
                raise ConfigError(f"schedule.cron weekday {field!r}: step must be >= 1")
            items.extend(_DAY_NAMES[d] for d in range(low, high + 1, step))
        else:
            items.append(_WEEKDAY_NUMBER.sub(lambda n: _DAY_NAMES[int(n[1])], item))
    return ",".join(dict.fromkeys(items))


def cron_trigger(schedule: ScheduleConfig) -> CronTrigger:
    """The config's 5-field crontab as a trigger, weekdays numbered as cron does (0 = Sunday).

    APScheduler 3.x numbers weekdays from Monday (its from_crontab keeps that mistake), so
    numeric weekdays are translated to names here.
    """
    fields = schedule.cron.split()
    if len(fields) != 5:
        raise ConfigError(
            f"schedule.cron {schedule.cron!r}: expected 5 fields (minute hour day month weekday)"
        )
    minute, hour, day, month, weekday = fields
    weekday = _weekdays(weekday)
    try:
        return CronTrigger(
            minute=minute,
            hour=hour,
            day=day,
            month=month,
            day_of_week=weekday,
            timezone=UTC,
            jitter=schedule.jitter or None,
        )
    except ValueError as exc:
        raise ConfigError(f"schedule.cron {schedule.cron!r}: {exc}") from None


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
