"""The configured schedule: `schedule.cron` as an APScheduler trigger, and when it fires next.

The service's scheduler runs the trigger; the dashboard says when the next run is.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime

from apscheduler.triggers.cron import CronTrigger

from updater.config import ScheduleConfig
from updater.errors import ConfigError

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


def next_run_of(schedule: ScheduleConfig, now: datetime | None = None) -> datetime | None:
    """When the configured cron fires next (without its random jitter)."""
    try:
        trigger = cron_trigger(schedule.model_copy(update={"jitter": 0}))
    except ConfigError:
        return None
    when = trigger.get_next_fire_time(None, now or datetime.now(UTC))
    return when if isinstance(when, datetime) else None
