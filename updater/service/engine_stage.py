"""The update stage backed by the engine and delivery: one outdated source group ->
`run_updates` -> push + pull request -> outcome.

One engine call per source group, so the service can stop between groups on shutdown (the
engine has no cancel hook inside a run; a unit in progress always finishes in its worktree).
The engine commits on a local branch `updater/<name>`; delivery pushes it and opens or updates
the PR, when PRs are enabled and the repository on the forge is known.
"""

from __future__ import annotations

import time

from updater.context import AppContext
from updater.service.cycle import CancelToken
from updater.service.standard_cycle import UpdateOutcome, UpdateResult
from updater.upstream.tracking import Checked


class EngineUpdateStage:
    def __init__(self, ctx: AppContext) -> None:
        self.ctx = ctx

    def __call__(self, checked: Checked, cancel: CancelToken) -> UpdateOutcome:
        from updater.delivery import Delivery, wanted
        from updater.engine.result import Outcome
        from updater.engine.runner import RunOptions, run_updates

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
            with Delivery.open(self.ctx) as delivery:
                # Declined versions (PRs closed unmerged) reach the engine as ignored versions.
                delivery.sync()
                results = run_updates(delivery.engine_context(), options)
                report = delivery.deliver(results)
                pulls = [u.pull for u in report.units if u.pull]
                pr_url = delivery.pull_url(pulls[0]) if pulls else None
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
