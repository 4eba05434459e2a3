"""The update stage backed by the engine and delivery: one outdated source group ->
`run_updates` -> push + pull request -> outcome.

One engine call per source group, so the service can stop between groups on shutdown (the
engine has no cancel hook inside a run; a unit in progress always finishes in its worktree).
The engine commits on a local branch `updater/<name>`; delivery pushes it and opens or updates
the PR, when PRs are enabled and the repository on the forge is known.

Delivery is per cycle, not per group: the first group of a cycle opens one `Delivery` and syncs
it with the forge (declined versions, merged branches), every group delivers its results
through it, and the dashboard is published once when the cycle closes its scope (`CycleScope`,
also after a cancel or a failed group). Called outside a cycle (a plain cancel token), the stage
does all of that for the one group.
"""

from __future__ import annotations

import time
from typing import TYPE_CHECKING

from updater.context import AppContext
from updater.engine.tracking import Checked
from updater.service.cycle import CancelToken, CycleScope
from updater.service.standard_cycle import UpdateOutcome, UpdateResult

if TYPE_CHECKING:
    from updater.delivery import Delivery


class CycleDelivery:
    """One cycle's Delivery: synced with the forge when opened, the dashboard published once
    when closed (then the forge client and store are closed)."""

    def __init__(self, ctx: AppContext, *, scheduled: bool) -> None:
        from updater.delivery import Delivery

        self.ctx = ctx
        self.scheduled = scheduled
        self.delivery: Delivery = Delivery.open(ctx)
        try:
            # Declined versions (PRs closed unmerged) reach the engine as ignored versions.
            self.delivery.sync()
        except BaseException:
            self.delivery.close()
            raise

    def close(self) -> None:
        from updater.cron import next_run_of

        try:
            # Without a schedule (the demo, --once) no next run is claimed.
            next_run = next_run_of(self.ctx.config.schedule) if self.scheduled else None
            self.delivery.publish_dashboard(next_run)
        finally:
            self.delivery.close()


class EngineUpdateStage:
    def __init__(self, ctx: AppContext) -> None:
        self.ctx = ctx

    def __call__(self, checked: Checked, cancel: CancelToken) -> UpdateOutcome:
        from updater.delivery import wanted
        from updater.engine.parallel import RunOptions, run_updates
        from updater.engine.result import Outcome

        packages = checked.tracked.packages
        started = time.monotonic()
        if not packages:
            return UpdateOutcome(
                (checked.tracked.group,), "skipped", 0.0, error="no exported package to update"
            )
        options = RunOptions(packages=packages, jobs=1)
        if not wanted(self.ctx):
            results = run_updates(self.ctx, options)
            report = None
            pr_url = None
        else:
            scope = cancel if isinstance(cancel, CycleScope) else CycleScope(cancel)
            try:
                delivery = scope.session(
                    self, lambda: CycleDelivery(self.ctx, scheduled=scope.scheduled)
                ).delivery
                results = run_updates(delivery.engine_context(), options)
                report = delivery.deliver_results(results)
                pulls = [u.pull for u in report.units if u.pull]
                pr_url = delivery.pull_url(pulls[0]) if pulls else None
            finally:
                if scope is not cancel:
                    scope.close()
        duration = time.monotonic() - started
        failed = [r for r in results if r.outcome is Outcome.FAILED]
        if failed:
            first = failed[0]
            return UpdateOutcome(
                packages,
                "failed",
                duration,
                pr_url=pr_url,
                error=f"{first.unit}: {first.reason or 'update failed'}",
                reason="nix" if first.log_tail else "update",
            )
        undelivered = [u for u in report.units if u.error] if report else []
        if undelivered:
            return UpdateOutcome(
                packages,
                "failed",
                duration,
                pr_url=pr_url,
                error=undelivered[0].describe(),
                reason="forge",
            )
        steps = {step for u in report.units for step in u.done} if report else set()
        result: UpdateResult
        if "open" in steps:
            result = "pr-opened"
        elif "update" in steps:
            result = "pr-updated"
        elif any(r.outcome is Outcome.UPDATED for r in results):
            result = "updated"
        else:
            result = "unchanged"
        return UpdateOutcome(packages, result, duration, pr_url=pr_url)
