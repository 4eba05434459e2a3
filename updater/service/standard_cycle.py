"""The standard cycle: scan the repository, check every upstream of this shard, then update.

    check (upstream/tracking) -> save results -> one update per outdated source group (engine,
    forge) -> save per-package state

Cancellation: the check is one concurrent batch of read-only requests, abandoned as a whole
(its results are then not saved); updates are separate units in scratch worktrees, and the
token is checked before each, so a shutdown lets the unit in progress finish and starts no other.

The update stage is a seam (`UpdateStage`): the engine (updater/engine) and the forge layer plug
in there; without one the cycle checks only and says so in its report. The stage gets the
cycle's `CycleScope` as its cancel token: what it keeps for the whole cycle (one forge
connection, one sync, one dashboard write) it opens there, and the cycle closes it after the
last group, also when cancelled or after a failed group.
"""

from __future__ import annotations

import asyncio
import time
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Literal

import httpx

from updater.context import AppContext
from updater.engine.tracking import Checked, Tracked
from updater.errors import UpdaterError, UsageError
from updater.logs import get_logger
from updater.pipeline.shard import Shard, packages_by_group
from updater.service.cycle import (
    CancelToken,
    CycleCancelled,
    CycleReport,
    CycleRequest,
    CycleScope,
)
from updater.state.status import PackageState, PackageStateName, save_package_states
from updater.state.store import StateStore

UpdateResult = Literal["updated", "pr-opened", "pr-updated", "unchanged", "failed", "skipped"]


@dataclass(frozen=True)
class UpdateOutcome:
    """What updating one source group did."""

    packages: tuple[str, ...]
    result: UpdateResult
    duration: float
    pr_url: str | None = None
    error: str | None = None
    # For failures: a short label for /metrics, e.g. "nix", "git", "forge".
    reason: str | None = None


# Updates one outdated source group (worktree, Nix, commit, push, PR). Must leave nothing
# half-written when it raises; it may look at the token to stop early inside its unit. In a
# cycle the token is the cycle's `CycleScope` (per-cycle sessions); wrappers pass it on as is.
UpdateStage = Callable[[Checked, CancelToken], UpdateOutcome]

_STATE_OF_RESULT: dict[UpdateResult, PackageStateName] = {
    "updated": "updated",
    "pr-opened": "pr open",
    "pr-updated": "pr open",
    "unchanged": "outdated",
    "failed": "failed",
    "skipped": "skipped",
}


class RateLimitObserver(httpx.AsyncBaseTransport):
    """Remembers GitHub's x-ratelimit-remaining from the answers of the check, for /metrics."""

    def __init__(self, api_hosts: frozenset[str]) -> None:
        self._inner = httpx.AsyncHTTPTransport()
        self._hosts = api_hosts
        self.remaining: int | None = None

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        response = await self._inner.handle_async_request(request)
        if request.url.host in self._hosts:
            value = response.headers.get("x-ratelimit-remaining", "")
            if value.isdigit():
                self.remaining = int(value)
        return response

    async def aclose(self) -> None:
        await self._inner.aclose()


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


class StandardCycle:
    def __init__(
        self,
        ctx: AppContext,
        store: StateStore,
        shard: Shard,
        update_stage: UpdateStage | None = None,
    ) -> None:
        self.ctx = ctx
        self.store = store
        self.shard = shard
        self.update_stage = update_stage

    def tracked(self, package: str | None = None) -> list[Tracked]:
        """This shard's source groups (all, or the one feeding `package`), from a fresh scan."""
        from updater.engine.tracking import tracked_units
        from updater.nixfile.repository import scan_repository

        scan = scan_repository(self.ctx.repo, self.ctx.config.repository.pkgs_dir)
        only = (package,) if package else ()
        # Per unit, as `updater run` and `updater check` decide; sharded by source group.
        everything = tracked_units(scan, self.ctx.config)
        owned = self.shard.owned_groups(packages_by_group(everything))
        try:
            wanted = tracked_units(scan, self.ctx.config, only) if only else everything
        except UsageError:  # an unknown package: nothing of this shard to run
            return []
        return [t for t in wanted if t.group in owned]

    def package_names(self) -> tuple[str, ...]:
        return tuple(sorted({n for t in self.tracked() for n in (t.packages or (t.group,))}))

    def __call__(self, request: CycleRequest, cancel: CancelToken) -> CycleReport:
        log = get_logger("service.cycle")
        started = time.monotonic()
        tracked = self.tracked(request.package)
        names = tuple(sorted({n for t in tracked for n in (t.packages or (t.group,))}))
        if request.package and not tracked:
            return CycleReport(
                "failed",
                time.monotonic() - started,
                failures={"unknown_package": 1},
                message=f"no package or source group {request.package!r} in this shard",
            )
        check_started = time.monotonic()
        observer = RateLimitObserver(self._api_hosts())
        try:
            results = asyncio.run(self._check(tracked, cancel, observer))
        except CycleCancelled:
            return CycleReport(
                "cancelled",
                time.monotonic() - started,
                packages=names,
                message="cancelled during the check; nothing saved",
            )
        check_duration = time.monotonic() - check_started
        now = datetime.now(UTC)
        self.store.save_check_results([r for c in results for r in c.records(now)])
        save_package_states(self.store, _check_states(results), now)
        failures = Counter(
            _failure_reason(c.error)
            for c in results
            if c.error is not None and c.tracked.problem is None
        )
        outdated = [c for c in results if c.decision is not None and c.decision.outdated]
        log.info(
            "checked", groups=len(results), outdated=len(outdated), failures=sum(failures.values())
        )
        updates: Counter[str] = Counter()
        durations: list[float] = []
        opened = updated = 0
        status: Literal["ok", "failed", "cancelled"] = "ok"
        message = ""
        if outdated and self.update_stage is None:
            message = "updates not run: no update stage (engine) is wired into this build"
        elif self.update_stage is not None:
            scope = CycleScope(cancel, scheduled=request.scheduled)
            try:
                for c in outdated:
                    scope.raise_if_cancelled()
                    outcome = self._update_one(c, scope)
                    updates[outcome.result] += 1
                    durations.append(outcome.duration)
                    opened += outcome.result == "pr-opened"
                    updated += outcome.result == "pr-updated"
                    if outcome.result == "failed":
                        failures[outcome.reason or "update"] += 1
            except CycleCancelled:
                status = "cancelled"
                message = f"cancelled after {sum(updates.values())} of {len(outdated)} update(s)"
            finally:
                scope.close()
        if status == "ok" and failures:
            status = "failed"
        return CycleReport(
            status,
            time.monotonic() - started,
            checked=sum(1 for c in results if c.tracked.problem is None),
            outdated=len(outdated),
            updates=dict(updates),
            failures=dict(failures),
            prs_opened=opened,
            prs_updated=updated,
            rate_limit_remaining=observer.remaining,
            check_duration=check_duration,
            update_durations=tuple(durations),
            packages=names,
            message=message,
        )

    def _update_one(self, checked: Checked, cancel: CancelToken) -> UpdateOutcome:
        assert self.update_stage is not None
        names = checked.tracked.packages or (checked.tracked.group,)
        started = time.monotonic()
        try:
            outcome = self.update_stage(checked, cancel)
        except CycleCancelled:
            raise
        except UpdaterError as exc:
            outcome = UpdateOutcome(
                names, "failed", time.monotonic() - started, error=str(exc), reason=_reason_of(exc)
            )
        states = [
            PackageState(
                name,
                _STATE_OF_RESULT[outcome.result],
                released_at=checked.decision.date if checked.decision else None,
                pr_url=outcome.pr_url,
                last_error=outcome.error,
            )
            for name in outcome.packages
        ]
        save_package_states(self.store, states)
        return outcome

    def _api_hosts(self) -> frozenset[str]:
        ep = self.ctx.endpoints
        return frozenset(httpx.URL(u).host for u in (ep.api_url, ep.graphql_url))

    async def _check(
        self, tracked: Sequence[Tracked], cancel: CancelToken, observer: RateLimitObserver
    ) -> list[Checked]:
        from updater.engine.tracking import check
        from updater.upstream.connect import tokens_of, upstream_apis
        from updater.upstream.http import HttpClient, HttpSettings

        async with HttpClient(
            HttpSettings(one_shot=True), tokens=tokens_of(self.ctx), transport=observer
        ) as http:
            task = asyncio.ensure_future(check(tracked, http, upstream_apis(self.ctx), self.store))
            while not task.done():
                if cancel.cancelled:
                    task.cancel()
                    await asyncio.gather(task, return_exceptions=True)
                    raise CycleCancelled("shutdown during the check")
                await asyncio.wait({task}, timeout=0.1)
            return task.result()


def _reason_of(exc: UpdaterError) -> str:
    # NixError -> "nix", GitError -> "git", ForgeError -> "forge", ...
    name = type(exc).__name__.removesuffix("Error").lower()
    return name or "update"


def update_stage_for(ctx: AppContext) -> UpdateStage:
    """The update stage of this build: the engine (updater/engine) updates each outdated group,
    delivery (updater/delivery) pushes its branch and opens or updates its PR (engine_stage.py).
    """
    from updater.service.engine_stage import EngineUpdateStage

    return EngineUpdateStage(ctx)
