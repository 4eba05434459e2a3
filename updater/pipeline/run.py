"""One run of the pipeline: select -> check -> targets -> update step (engine, delivery).

    select (selection.py: scan, units, shard) -> check (check.py: one round, all upstreams)
    -> targets (targets.py) -> update step on the units that have one (step.py), in one batch
    or one unit at a time -> one PipelineReport

Cancellation: the check is one concurrent batch of read-only requests, abandoned as a whole
(nothing of it is reported); the step works in scratch worktrees, and the token is checked
before each batch, so a shutdown lets the batch in progress finish and starts no other.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Sequence
from dataclasses import dataclass

from updater.context import AppContext
from updater.delivery.report import DeliveryReport
from updater.engine.parallel import not_run
from updater.engine.result import Outcome, UpdateResult
from updater.engine.target import Work
from updater.engine.tracking import Checked
from updater.errors import ForgeError, TokenRejectedError, UpdaterError, UsageError
from updater.logs import get_logger
from updater.nix.probe import probe_build
from updater.nix.runner import NixOptions, NixRunner
from updater.pipeline.cause import Cause, nix_cannot_build
from updater.pipeline.check import CheckRound, check_units
from updater.pipeline.configured import check_configured_packages
from updater.pipeline.report import PipelineReport, RunStatus, UnitReport
from updater.pipeline.scope import Cancelled, CancelToken, RunScope
from updater.pipeline.selection import Selection, select_units
from updater.pipeline.shard import Shard
from updater.pipeline.step import UpdateStep
from updater.pipeline.targets import release_works, work_of
from updater.state.store import StateStore
from updater.upstream.connect import tokens_of, upstream_apis
from updater.upstream.http import HttpClient, HttpSettings

_log = get_logger("updater.pipeline")


@dataclass(frozen=True)
class PipelineRequest:
    """What to run. `updater run` takes every unit in one batch (parallel in the engine, its
    delivery synced and its dashboard written even when nothing moved); the service takes them
    one at a time (stop between units on shutdown, each PR as soon as its unit is done)."""

    packages: tuple[str, ...] = ()  # empty: every unit
    shard: Shard = Shard()
    version: str | None = None  # move to release V instead of the policy's choice
    one_at_a_time: bool = False
    # A schedule runs these runs: the dashboard may say when the next one is.
    scheduled: bool = False


class PipelineEvents:
    """What a caller may watch; the service keeps the status page's rows from these."""

    def checked(self, results: Sequence[Checked]) -> None:
        """The check round is over (not called when it was cancelled)."""

    def unit_done(self, work: Work, report: UnitReport) -> None:
        """The step is done with one unit."""


def run_pipeline(
    ctx: AppContext,
    request: PipelineRequest,
    step: UpdateStep,
    *,
    store: StateStore | None = None,
    cancel: CancelToken | None = None,
    events: PipelineEvents | None = None,
) -> PipelineReport:
    """Run the pipeline once. `store`: the check caches answers there, backs off failing
    sources and records failures (the service); without one it asks afresh (`updater run`).
    UsageError names a package no unit feeds."""
    started = time.monotonic()
    cancel = cancel or CancelToken()
    events = events or PipelineEvents()
    selection = select_units(ctx, request.packages, request.shard)
    check_configured_packages(selection.scan, ctx.config, ctx.config_path)
    try:
        round_, works = _decide(ctx, request, selection, store, cancel)
    except Cancelled:
        message = "cancelled during the check; nothing saved"
        took = time.monotonic() - started
        return PipelineReport("cancelled", took, selection.packages, message=message)
    if round_ is not None:
        events.checked(round_.results)
    todo = [w for w in works if w.runnable]
    _log.info(
        "checked",
        units=len(works),
        to_update=len(todo),
        failures=sum(1 for w in works if w.error is not None),
    )
    status, reports, delivery, message, stopped = _update_guarded(
        ctx, todo, step, request, cancel, selection, events
    )
    causes = (round_.causes if round_ is not None else ()) + stopped
    done = {r.unit: r.result for r in reports if r.result is not None}
    results = tuple(done.get(w.unit.id) or _not_attempted(w, causes) for w in works)
    if status == "ok" and (
        any(w.error is not None for w in works) or any(r.status == "failed" for r in reports)
    ):
        status = "failed"
    if causes:
        status = "failed" if status == "ok" else status
        message = " ".join(c.line() for c in causes) + (f" {message}" if message else "")
    return PipelineReport(
        status,
        time.monotonic() - started,
        selection.packages,
        checked=round_.results if round_ is not None else (),
        check_seconds=round_.seconds if round_ is not None else None,
        rate_limit_remaining=round_.rate_limit_remaining if round_ is not None else None,
        attempted=len(todo),
        units=tuple(reports),
        results=results,
        delivery=delivery,
        message=message,
        causes=causes,
    )


def _decide(
    ctx: AppContext,
    request: PipelineRequest,
    selection: Selection,
    store: StateStore | None,
    cancel: CancelToken,
) -> tuple[CheckRound | None, list[Work]]:
    """Where each unit goes: the check round's decisions, or release `--version V`."""
    if request.version is not None:
        if selection.scripted:
            names = ", ".join(u.packages[0] for u in selection.scripted)
            raise UsageError(
                f"--version does not apply to {names}: updated by its own passthru.updateScript"
            )
        return None, _release_works(ctx, selection, request.version)
    round_ = check_units(ctx, selection.tracked, store=store, cancel=cancel)
    works = [work_of(u, c) for u, c in zip(selection.units, round_.results, strict=True)]
    # A script unit has nothing to ask upstream: its script finds what is new when it runs.
    return round_, works + [Work(u) for u in selection.scripted]


def _update_guarded(
    ctx: AppContext,
    todo: list[Work],
    step: UpdateStep,
    request: PipelineRequest,
    cancel: CancelToken,
    selection: Selection,
    events: PipelineEvents,
) -> tuple[RunStatus, list[UnitReport], DeliveryReport | None, str, tuple[Cause, ...]]:
    """The update step under the Nix guard; the shared causes that stopped it, if any."""
    # Steps that build with Nix say so (EngineStep); the service's tests plug in others.
    guard = _NixGuard(ctx, step) if todo and getattr(step, "needs_nix", False) else None
    if guard is not None and guard.cause() is not None:
        # Nix cannot build: every unit would fail alike; none is attempted.
        return "failed", [], None, "", guard.causes
    status, reports, delivery, message = _update(
        todo, step, request, cancel, selection, events, guard
    )
    return status, reports, delivery, message, guard.causes if guard is not None else ()


def _update(
    todo: list[Work],
    step: UpdateStep,
    request: PipelineRequest,
    cancel: CancelToken,
    selection: Selection,
    events: PipelineEvents,
    guard: _NixGuard | None,
) -> tuple[RunStatus, list[UnitReport], DeliveryReport | None, str]:
    """Hand the units to the step, batch by batch; stop between batches when cancelled, or
    when a failure turns out to have a shared cause (the rest would fail alike)."""
    # One batch even when nothing moves (a run still syncs with the forge and refreshes the
    # dashboard), unless the run covers no unit at all (an empty shard).
    covers = selection.units or selection.scripted
    batches = [[w] for w in todo] if request.one_at_a_time else [todo] if covers else []
    reports: list[UnitReport] = []
    status: RunStatus = "ok"
    message = ""
    scope = RunScope(cancel, scheduled=request.scheduled, scan=selection.scan)
    try:
        for batch in batches:
            scope.raise_if_cancelled()
            for work, report in zip(batch, _step(step, batch, scope, guard), strict=True):
                reports.append(report)
                events.unit_done(work, report)
            if guard is not None and guard.stop(reports):
                break
    except Cancelled:
        status = "cancelled"
        message = f"cancelled after {len(reports)} of {len(todo)} update(s)"
    finally:
        scope.close()
    return status, reports, scope.delivery, message


def _step(
    step: UpdateStep, batch: list[Work], scope: RunScope, guard: _NixGuard | None
) -> list[UnitReport]:
    """The step's reports; a named error fails every unit of the batch, and the run goes on
    (unless it is the forge refusing the token: the guard then stops the run)."""
    started = time.monotonic()
    try:
        return step(batch, scope)
    except Cancelled:
        raise
    except UpdaterError as exc:
        if guard is not None:
            guard.saw(exc)
        took = time.monotonic() - started
        return [
            UnitReport(
                w.unit.packages or (w.unit.group,),
                "failed",
                took,
                error=str(exc),
                reason=_reason_of(exc),
                unit=w.unit.id,
            )
            for w in batch
        ]


class _NixGuard:
    """Notices a shared cause of the environment during the update step.

    Before the first unit, one probe build (nix/probe.py, under a second) says whether Nix
    can build at all; after a unit fails in Nix, the probe runs again, so a store that turned
    read-only or a daemon that went away stops the run instead of failing every unit alike.
    A forge that refuses the token stops it too."""

    def __init__(self, ctx: AppContext, step: UpdateStep) -> None:
        runner = getattr(step, "runner", None)
        self.runner = (
            runner
            if isinstance(runner, NixRunner)
            else NixRunner(NixOptions.from_config(ctx.config.nix))
        )
        self.causes: tuple[Cause, ...] = ()
        self._seen_failures = 0

    def cause(self) -> Cause | None:
        """Probe Nix; the cause when it cannot build (kept in `causes`)."""
        probe = probe_build(self.runner)
        if probe.ok:
            return None
        cause = nix_cannot_build(probe.error)
        self.causes += (cause,)
        _log.debug("nix probe failed", error=probe.error, tail=probe.log_tail)
        return cause

    def saw(self, exc: UpdaterError) -> None:
        if isinstance(exc, TokenRejectedError) or (
            isinstance(exc, ForgeError) and "HTTP 401" in str(exc)
        ):
            host = exc.host if isinstance(exc, TokenRejectedError) else None
            self.causes += (Cause("token", f"the forge rejected the token: {exc}", host),)

    def stop(self, reports: Sequence[UnitReport]) -> bool:
        """Whether the run stops here: a shared cause is known, or a new Nix failure has one."""
        if self.causes:
            return True
        failed = [r for r in reports if r.status == "failed" and r.reason == "nix"]
        if len(failed) > self._seen_failures:
            self._seen_failures = len(failed)
            return self.cause() is not None
        return False


def _not_attempted(work: Work, causes: Sequence[Cause]) -> UpdateResult:
    """Why a unit has no result: no target (skipped, or its upstream failed), or a shared cause
    stopped the run before its turn."""
    if not work.runnable or not causes:
        return not_run(work)
    why = f"not attempted: {causes[0].text}"
    return UpdateResult(work.unit.id, work.unit.packages, Outcome.FAILED, reason=why)


def _reason_of(exc: UpdaterError) -> str:
    # NixError -> "nix", GitError -> "git", ForgeError -> "forge", ...
    name = type(exc).__name__.removesuffix("Error").lower()
    return name or "update"


def _release_works(ctx: AppContext, selection: Selection, version: str) -> list[Work]:
    async def ask() -> list[Work]:
        async with HttpClient(HttpSettings(one_shot=True), tokens=tokens_of(ctx)) as http:
            return await release_works(
                selection.units, selection.tracked, version, http, upstream_apis(ctx)
            )

    return asyncio.run(ask())
