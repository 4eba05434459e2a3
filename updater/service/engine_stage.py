"""The update stage backed by the engine: one outdated source group -> `run_updates` -> outcome.

One engine call per source group, so the service can stop between groups on shutdown (the
engine has no cancel hook inside a run; a unit in progress always finishes in its worktree).
The engine commits on a local branch `updater/<name>`; pushing it and opening the PR is the
delivery step (updater/delivery, in progress), which plugs in here once it exists.
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
        from updater.engine.result import Outcome
        from updater.engine.runner import RunOptions, run_updates

        packages = checked.tracked.packages
        started = time.monotonic()
        if not packages:
            return UpdateOutcome(
                (checked.tracked.group,), "skipped", 0.0, error="no exported package to update"
            )
        results = run_updates(self.ctx, RunOptions(packages=packages, jobs=1))
        duration = time.monotonic() - started
        failed = [r for r in results if r.outcome is Outcome.FAILED]
        if failed:
            first = failed[0]
            return UpdateOutcome(
                packages,
                "failed",
                duration,
                error=f"{first.unit}: {first.reason or 'update failed'}",
                reason="nix" if first.log_tail else "update",
            )
        result: UpdateResult = (
            "updated" if any(r.outcome is Outcome.UPDATED for r in results) else "unchanged"
        )
        return UpdateOutcome(packages, result, duration)
