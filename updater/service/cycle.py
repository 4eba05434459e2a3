"""What the service runs: a `Cycle` takes a request and a cancel token and returns a report.

The service (scheduler, HTTP, lock, metrics) depends only on this protocol, and tests drive it
with cycles of their own. `PipelineCycle` is the cycle of `updater serve` and the demo: one run
of the pipeline (updater/pipeline) per request, one unit at a time; what it checked and did is
kept for the status page.
"""

from __future__ import annotations

import re
import time
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Literal, Protocol

from updater.context import AppContext
from updater.engine.target import Work
from updater.engine.tracking import Checked
from updater.errors import UsageError
from updater.pipeline.report import PipelineReport, UnitReport, UnitStatus
from updater.pipeline.run import PipelineEvents, PipelineRequest, run_pipeline
from updater.pipeline.scope import CancelToken
from updater.pipeline.selection import select_units
from updater.pipeline.shard import Shard
from updater.pipeline.step import UpdateStep
from updater.state.status import PackageState, PackageStateName, save_package_states
from updater.state.store import StateStore

Trigger = Literal["schedule", "http", "once", "startup"]
CycleStatus = Literal["ok", "failed", "cancelled"]
# Exported attribute names and source group ids: letters, digits and . _ + - : / @ only.
PACKAGE_NAME_RE = re.compile(r"^[A-Za-z0-9_][A-Za-z0-9._+\-:/@]{0,199}$")


@dataclass(frozen=True)
class CycleRequest:
    """Run everything (package None) or the source group feeding one package."""

    trigger: Trigger
    package: str | None = None
    # A schedule runs this service's cycles (`updater serve` without --once), so the next run
    # is known; the demo and --once schedule nothing, and the dashboard must not claim one.
    scheduled: bool = False

    def __post_init__(self) -> None:
        if self.package is not None and not PACKAGE_NAME_RE.match(self.package):
            raise UsageError(f"package {self.package[:60]!r}: not a package name")

    @property
    def key(self) -> str:
        return self.package or "*"


@dataclass(frozen=True)
class CycleReport:
    status: CycleStatus
    duration: float
    checked: int = 0
    outdated: int = 0
    # result -> count, e.g. {"updated": 2, "failed": 1}
    updates: Mapping[str, int] = field(default_factory=dict)
    # reason -> count, e.g. {"upstream": 1, "rate_limited": 3, "nix": 1}
    failures: Mapping[str, int] = field(default_factory=dict)
    prs_opened: int = 0
    prs_updated: int = 0
    rate_limit_remaining: int | None = None
    check_duration: float | None = None
    update_durations: tuple[float, ...] = ()
    # The packages this runner tracks (after --shard), as of this cycle's scan.
    packages: tuple[str, ...] = ()
    message: str = ""
    # Shared causes of the environment that stopped the cycle, one line each.
    causes: tuple[str, ...] = ()

    def counts(self) -> dict[str, int]:
        """What the status page's run chart draws: checked, failures and each unit status."""
        return {
            "checked": self.checked,
            "failures": sum(self.failures.values()),
            **{k: v for k, v in self.updates.items() if v},
        }

    def summary(self) -> str:
        parts = [f"checked {self.checked}", f"outdated {self.outdated}"]
        parts += [f"{k} {v}" for k, v in sorted(self.updates.items())]
        if self.prs_opened or self.prs_updated:
            parts.append(f"PRs opened {self.prs_opened}, updated {self.prs_updated}")
        if self.failures:
            parts.append(
                "failures: " + ", ".join(f"{k} {v}" for k, v in sorted(self.failures.items()))
            )
        if self.message:
            parts.append(self.message)
        return "; ".join(parts)


class Cycle(Protocol):
    def __call__(self, request: CycleRequest, cancel: CancelToken) -> CycleReport: ...


_STATE_OF_STATUS: dict[UnitStatus, PackageStateName] = {
    "updated": "updated",
    "pr-opened": "pr open",
    "pr-updated": "pr open",
    "unchanged": "outdated",
    "failed": "failed",
    "skipped": "skipped",
}


def _failure_reason(message: str) -> str:
    low = message.lower()
    if low.startswith("backed off"):
        return "backed_off"
    if "rate limit" in low or "rate-limit" in low or "rate_limited" in low:
        return "rate_limited"
    return "upstream"


def _check_states(results: Sequence[Checked]) -> list[PackageState]:
    out: list[PackageState] = []
    for c in results:
        t, d = c.tracked, c.decision
        state: PackageStateName
        if t.problem is not None:
            state = "skipped"
        elif c.error is not None:
            state = "error"
        else:
            state = "outdated" if d is not None and d.outdated else "up to date"
        for name in t.packages or (t.group,):
            out.append(
                PackageState(
                    name,
                    state,
                    released_at=d.date if d is not None else None,
                    last_error=c.error or t.problem,
                )
            )
    return out


class StatusRows(PipelineEvents):
    """The status page's rows, kept as the pipeline goes: the check's results and each
    package's state."""

    def __init__(self, store: StateStore) -> None:
        self.store = store

    def checked(self, results: Sequence[Checked]) -> None:
        now = datetime.now(UTC)
        self.store.save_check_results([r for c in results for r in c.records(now)])
        save_package_states(self.store, _check_states(results), now)

    def unit_done(self, work: Work, report: UnitReport) -> None:
        decision = work.checked.decision if work.checked is not None else None
        state = _STATE_OF_STATUS[report.status]
        if work.unit.script and report.status == "unchanged":
            state = "up to date"  # its updateScript found nothing to change
        states = [
            PackageState(
                name,
                state,
                released_at=decision.date if decision is not None else None,
                pr_url=report.pr_url,
                last_error=report.error,
            )
            for name in report.packages
        ]
        save_package_states(self.store, states)


class PipelineCycle:
    """A service cycle: the pipeline over this shard (or the unit feeding one package)."""

    def __init__(self, ctx: AppContext, store: StateStore, shard: Shard, step: UpdateStep) -> None:
        self.ctx = ctx
        self.store = store
        self.shard = shard
        self.step = step

    def package_names(self) -> tuple[str, ...]:
        """The packages this shard tracks, from a fresh scan (the status page lists them)."""
        return select_units(self.ctx, shard=self.shard).packages

    def __call__(self, request: CycleRequest, cancel: CancelToken) -> CycleReport:
        started = time.monotonic()
        wanted = PipelineRequest(
            packages=(request.package,) if request.package else (),
            shard=self.shard,
            one_at_a_time=True,
            scheduled=request.scheduled,
        )
        try:
            report = run_pipeline(
                self.ctx,
                wanted,
                self.step,
                store=self.store,
                cancel=cancel,
                events=StatusRows(self.store),
            )
        except UsageError:  # a package no unit feeds
            report = None
        if request.package and (report is None or not report.packages):
            return CycleReport(
                "failed",
                time.monotonic() - started,
                failures={"unknown_package": 1},
                message=f"no package or source group {request.package!r} in this shard",
            )
        assert report is not None
        return cycle_report(report)


def cycle_report(report: PipelineReport) -> CycleReport:
    """The service's summary of one pipeline run (the status page's line, /metrics)."""
    failures = Counter(
        _failure_reason(c.error)
        for c in report.checked
        if c.error is not None and c.tracked.problem is None
    )
    failures.update(u.reason or "update" for u in report.units if u.status == "failed")
    statuses: Counter[str] = Counter(u.status for u in report.units)
    return CycleReport(
        report.status,
        report.duration,
        checked=sum(1 for c in report.checked if c.tracked.problem is None),
        outdated=report.attempted,
        updates=dict(statuses),
        failures=dict(failures),
        prs_opened=statuses["pr-opened"],
        prs_updated=statuses["pr-updated"],
        rate_limit_remaining=report.rate_limit_remaining,
        check_duration=report.check_seconds,
        update_durations=tuple(u.duration for u in report.units),
        packages=report.packages,
        message=report.message,
        causes=tuple(c.line() for c in report.causes),
    )
