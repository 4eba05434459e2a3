"""What delivery did, for the terminal and for the dashboard issue.

`DeliveryReport.lines()` is what `updater run` prints after its table (in a dry run: every write
it would have sent). `dashboard_data` turns the store's rows into the dashboard's sections.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime

from updater.forge.models import (
    CommitRange,
    DashboardData,
    DeclinedEntry,
    FailureEntry,
    OpenPullEntry,
    OutdatedPackage,
    SystemRefresh,
    WriteIntent,
)
from updater.state.delivery import DeclinedRecord, PullRecord, UnitOutcome


@dataclass(frozen=True)
class UnitDelivery:
    """What happened on the forge for one unit of the run."""

    unit: str
    name: str | None
    outcome: str  # the engine's outcome: updated, skipped, failed
    done: tuple[str, ...] = ()  # the forge steps carried out: open, update, comment, skip, ...
    pull: int | None = None
    reason: str = ""
    error: str | None = None  # delivery itself failed (push refused, forge error)

    def describe(self) -> str:
        who = self.name or self.unit
        if self.error:
            return f"{who}: not delivered: {self.error}"
        if self.outcome == "failed":
            kept = f"; #{self.pull} kept as it is" if self.pull else ""
            return f"{who}: update failed: {self.reason}{kept}"
        if not self.done:
            return f"{who}: nothing to deliver ({self.outcome})"
        steps = " + ".join(self.done)
        at = f" #{self.pull}" if self.pull else ""
        return f"{who}: {steps}{at}" + (f" ({self.reason})" if self.reason else "")


@dataclass(frozen=True)
class DeliveryReport:
    units: tuple[UnitDelivery, ...]
    dry_run: bool
    dashboard: int | None = None
    declined_now: tuple[DeclinedRecord, ...] = ()
    deleted_branches: tuple[str, ...] = ()
    intents: tuple[WriteIntent, ...] = field(default=())

    @property
    def opened(self) -> tuple[UnitDelivery, ...]:
        return tuple(u for u in self.units if "open" in u.done)

    @property
    def updated(self) -> tuple[UnitDelivery, ...]:
        return tuple(u for u in self.units if "update" in u.done)

    @property
    def errors(self) -> tuple[UnitDelivery, ...]:
        return tuple(u for u in self.units if u.error)

    def lines(self) -> list[str]:
        out = [u.describe() for u in self.units if u.outcome != "skipped" or u.done]
        for d in self.declined_now:
            out.append(f"{d.name}: version {d.version} declined (#{d.pull} closed unmerged)")
        for branch in self.deleted_branches:
            out.append(f"{branch}: merged; branch deleted")
        if self.dashboard is not None:
            out.append(f"dashboard: #{self.dashboard}")
        if self.dry_run:
            out += [i.describe() for i in self.intents]
        return out


def _commits(o: UnitOutcome) -> CommitRange | None:
    return CommitRange(o.old_commit, o.new_commit) if o.old_commit and o.new_commit else None


def _systems(o: UnitOutcome) -> tuple[SystemRefresh, ...]:
    marks = [SystemRefresh(s, True) for s in o.systems_refreshed]
    marks += [SystemRefresh(s, False) for s in o.systems_left]
    return tuple(sorted(marks, key=lambda m: m.system))


def dashboard_data(
    outcomes: Sequence[UnitOutcome],
    open_pulls: Sequence[PullRecord],
    declined: Sequence[DeclinedRecord],
    *,
    next_run: datetime | None,
    now: datetime | None = None,
) -> DashboardData:
    by_pull = {o.pull: o for o in outcomes if o.pull is not None}
    by_name = {o.name: o for o in outcomes if o.name}

    def entry(p: PullRecord) -> OpenPullEntry:
        o = by_pull.get(p.number) or by_name.get(p.name)
        if o is None or o.new != p.new:  # the outcome is of another version than the PR's
            return OpenPullEntry(p.name, p.number, p.url, p.new)
        return OpenPullEntry(p.name, p.number, p.url, p.new, o.compare, _commits(o), _systems(o))

    return DashboardData(
        outdated=tuple(
            OutdatedPackage(
                o.name or o.unit, o.old or "?", o.new, o.compare, _commits(o), _systems(o)
            )
            for o in outcomes
            if o.outcome == "updated" and o.new
        ),
        open_pulls=tuple(entry(p) for p in open_pulls),
        failures=tuple(
            FailureEntry(o.name or o.unit, o.reason or "failed")
            for o in outcomes
            if o.outcome == "failed"
        ),
        declined=tuple(DeclinedEntry(d.name, d.version, d.pull) for d in declined),
        next_run=next_run,
        generated_at=now or datetime.now(UTC),
    )
