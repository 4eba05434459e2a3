"""The update step: the engine on a batch of units, then delivery (push, pull requests).

`EngineStep` is the step of every caller. The engine commits each unit on a local branch
`updater/<name>` (engine/parallel.py runs the batch's units `jobs` at a time); delivery pushes it
and opens or updates its PR, when PRs are enabled and the repository on the forge is known.

Delivery is per run, not per batch: the first batch of a run opens one `Delivery` and syncs it
with the forge (declined versions, merged branches), every batch delivers its results through
it, and the dashboard is published once when the run closes its scope (also after a cancel or a
failed batch). Versions declined on the forge (PRs closed unmerged) are never proposed again:
when there are any, the batch's units are decided again with them in the policy's ignore lists.

The step is a seam: tests of the pipeline's sequence plug in steps of their own.
"""

from __future__ import annotations

import asyncio
import os
import time
from collections.abc import Callable, Sequence
from dataclasses import replace
from typing import TYPE_CHECKING, Protocol

from rich.console import Console

from updater.context import AppContext
from updater.cron import next_run_of
from updater.engine.parallel import clean_at, run_units, settings_for
from updater.engine.result import Outcome, UpdateResult
from updater.engine.target import Work
from updater.nix.runner import NixRunner
from updater.pipeline.report import UnitReport, UnitStatus
from updater.pipeline.scope import RunScope
from updater.pipeline.targets import resolve

if TYPE_CHECKING:
    from updater.delivery import Delivery, DeliveryReport, UnitDelivery


class UpdateStep(Protocol):
    """Updates (and delivers) a batch of units that have a target; one report per unit, in order.

    Must leave nothing half-written when it raises. The scope is the run's: per-run sessions
    are opened there; `scope.scan` is the scan the units come from."""

    def __call__(self, works: Sequence[Work], scope: RunScope) -> list[UnitReport]: ...


class RunDelivery:
    """One run's Delivery: synced with the forge when opened; when closed, the dashboard is
    published once and the run's DeliveryReport left on the scope (then the forge client and
    store are closed)."""

    def __init__(self, ctx: AppContext, scope: RunScope, *, dry_run: bool) -> None:
        from updater.delivery import Delivery

        self.ctx = ctx
        self.scope = scope
        self.delivery: Delivery = Delivery.open(ctx, dry_run=dry_run)
        self.units: list[UnitDelivery] = []
        try:
            # Declined versions (PRs closed unmerged) reach the engine as ignored versions.
            self.delivery.sync()
        except BaseException:
            self.delivery.close()
            raise

    def deliver(self, results: Sequence[UpdateResult], *, complete: bool) -> DeliveryReport:
        report = self.delivery.deliver_results(results, complete=complete)
        self.units += report.units
        return report

    def close(self) -> None:
        try:
            # Without a schedule (the demo, --once) no next run is claimed.
            next_run = next_run_of(self.ctx.config.schedule) if self.scope.scheduled else None
            number = self.delivery.publish_dashboard(next_run)
            self.scope.delivery = self.delivery.report_of(self.units, dashboard=number)
        finally:
            self.delivery.close()


class EngineStep:
    """The engine, then delivery, on each batch the pipeline hands over.

    `deliver=False` (`--no-pr`) commits on local branches only; delivery also stays off when
    PRs are disabled or the repository on the forge is unknown (delivery.wanted). `complete`:
    the batch is every unit of the repository (`run --all`), so delivery forgets the others.
    """

    # The pipeline probes Nix before handing units to a step that builds (pipeline/run.py).
    needs_nix = True

    def __init__(
        self,
        ctx: AppContext,
        *,
        dry_run: bool = False,
        build: bool = False,
        jobs: int = 1,
        deliver: bool = True,
        complete: bool = False,
        console: Console | None = None,
        runner: NixRunner | None = None,
        on_step: Callable[[str, str], None] | None = None,
    ) -> None:
        from updater.delivery import wanted

        self.ctx = ctx
        self.dry_run = dry_run
        self.build = build
        self.jobs = jobs or os.cpu_count() or 1
        self.deliver = deliver and wanted(ctx)
        self.complete = complete
        self.console = console
        self.runner = runner
        self.on_step = on_step

    def __call__(self, works: Sequence[Work], scope: RunScope) -> list[UnitReport]:
        started = time.monotonic()
        session = (
            scope.session(self, lambda: RunDelivery(self.ctx, scope, dry_run=self.dry_run))
            if self.deliver
            else None
        )
        ctx = session.delivery.engine_context() if session is not None else self.ctx
        if ctx.config is not self.ctx.config:
            works = self._decide_again(ctx, works, scope)
        settings = settings_for(ctx, dry_run=self.dry_run, build=self.build, runner=self.runner)
        if self.on_step is not None:
            settings = replace(settings, on_step=self.on_step)
        reuse = scope.scan if scope.scan and clean_at(ctx.repo, settings.base_ref) else None
        results = run_units(ctx.repo, works, ctx.config, settings, self.jobs, self.console, reuse)
        delivered = session.deliver(results, complete=self.complete) if session else None
        whole = time.monotonic() - started if len(works) == 1 else None
        return [
            _report(
                w,
                r,
                delivered.units[i] if delivered else None,
                session.delivery if session else None,
                whole,
            )
            for i, (w, r) in enumerate(zip(works, results, strict=True))
        ]

    def _decide_again(self, ctx: AppContext, works: Sequence[Work], scope: RunScope) -> list[Work]:
        """The units' targets with the declined versions ignored (a newer version still is)."""
        decided = [w for w in works if w.checked is not None]  # `--version V` is explicit
        if not decided or scope.scan is None:
            return list(works)
        again = asyncio.run(resolve(ctx, [w.unit for w in decided], scope.scan, None))
        by_unit = {w.unit.id: w for w in again}
        return [by_unit.get(w.unit.id, w) for w in works]


def _report(
    work: Work,
    result: UpdateResult,
    delivered: UnitDelivery | None,
    delivery: Delivery | None,
    whole: float | None,
) -> UnitReport:
    """One unit's engine result and delivery as the pipeline reports it."""
    packages = work.unit.packages or (work.unit.group,)
    duration = whole if whole is not None else result.seconds
    pull = delivered.pull if delivered is not None else None
    pr_url = delivery.pull_url(pull) if delivery is not None and pull else None
    report = UnitReport(
        packages,
        "unchanged",
        duration,
        pr_url=pr_url,
        unit=work.unit.id,
        result=result,
        delivery=delivered,
    )
    if result.outcome is Outcome.FAILED:
        reason = "nix" if result.log_tail else "update"
        error = f"{result.unit}: {result.reason or 'update failed'}"
        return replace(report, status="failed", error=error, reason=reason)
    if delivered is not None and delivered.error:
        return replace(report, status="failed", error=delivered.describe(), reason="forge")
    status: UnitStatus
    steps = delivered.done if delivered is not None else ()
    if "open" in steps:
        status = "pr-opened"
    elif "update" in steps:
        status = "pr-updated"
    elif result.outcome is Outcome.UPDATED:
        status = "updated"
    else:
        status = "unchanged"
    return replace(report, status=status)
