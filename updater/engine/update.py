"""One unit, top to bottom: plan, apply, verify, commit. Any failure leaves the user's checkout
as it was: all work happens in a scratch worktree that is removed at the end, and the branch is
created only when everything succeeded."""

from __future__ import annotations

import difflib
import time
from dataclasses import dataclass, replace
from pathlib import Path

from updater.config import Config
from updater.engine.apply import Applied, apply_plan
from updater.engine.message import branch_name, commit_message
from updater.engine.plan import PlanRefused, UpdatePlan, plan_update
from updater.engine.result import FileCopied, HashLeft, Outcome, PinChange, UpdateResult
from updater.engine.settings import EngineSettings
from updater.engine.target import Target
from updater.engine.units import Unit, units_of
from updater.engine.verify import Verified, verification
from updater.engine.workspace import workspace
from updater.errors import NixError, UpdaterError
from updater.gitops.commit import commit
from updater.logs import get_logger
from updater.nixfile.model import ScanResult
from updater.nixfile.repository import scan_repository

_log = get_logger("updater.engine.update")


def _diff(root: Path, before: dict[str, bytes]) -> str:
    out: list[str] = []
    for rel, old in before.items():
        new = (root / rel).read_bytes()
        out += difflib.unified_diff(
            old.decode("utf-8", "replace").splitlines(keepends=True),
            new.decode("utf-8", "replace").splitlines(keepends=True),
            f"a/{rel}",
            f"b/{rel}",
        )
    return "".join(out)


def _changes(plan: UpdatePlan, applied: Applied) -> tuple[PinChange, ...]:
    edits = [PinChange(e.pin.location, e.pin.kind, e.pin.attr, e.old, e.new) for e in plan.edits]
    hashes = [
        PinChange(h.location, h.kind, h.attr, h.old, h.new, h.how, h.system) for h in applied.hashes
    ]
    return tuple(edits + hashes)


def update_unit(
    repo: Path,
    unit_id: str,
    target: Target,
    config: Config,
    settings: EngineSettings,
    base_scan: ScanResult | None = None,
) -> UpdateResult:
    """Move unit `unit_id` of `repo` to `target`; never raises for an UpdaterError.

    `base_scan` may be given when it is a scan of exactly the base commit's files (the caller
    checked the checkout is clean at the base); otherwise the scratch worktree is scanned.
    """
    started = time.monotonic()
    found: list[Unit] = []
    try:
        result = _update(repo, unit_id, target, config, settings, base_scan, found)
    except PlanRefused as exc:
        packages = found[0].packages if found else ()
        result = UpdateResult(unit_id, packages, Outcome.SKIPPED, reason=str(exc))
    except UpdaterError as exc:
        packages = found[0].packages if found else ()
        tail = exc.log_tail if isinstance(exc, NixError) else ""
        result = UpdateResult(unit_id, packages, Outcome.FAILED, reason=str(exc), log_tail=tail)
    seconds = time.monotonic() - started
    settings.on_step(unit_id, result.outcome.value)
    _log.info(
        "unit done",
        unit=unit_id,
        outcome=result.outcome.value,
        reason=result.reason or None,
        branch=result.branch,
        builds=result.builds,
        seconds=round(seconds, 3),
    )
    return replace(result, seconds=seconds)


def _update(
    repo: Path,
    unit_id: str,
    target: Target,
    config: Config,
    settings: EngineSettings,
    base_scan: ScanResult | None,
    found: list[Unit],
) -> UpdateResult:
    """The update in a scratch worktree; `found` receives the unit once it is known (its
    packages name a failure after that point)."""
    with workspace(repo, settings.base_ref, dry_run=settings.dry_run) as ws:
        settings.on_step(unit_id, "planning")
        scan = base_scan or scan_repository(ws.path, settings.pkgs_dir)
        unit = next((u for u in units_of(scan) if u.id == unit_id), None)
        if unit is None:
            raise PlanRefused(f"no pins of {unit_id} at {settings.base_ref}")
        found.append(unit)
        plan = plan_update(scan, unit, target, config, settings.systems)
        files = list(plan.files)
        before = {rel: (ws.path / rel).read_bytes() for rel in files}
        applied = apply_plan(ws.path, plan, settings)
        with verification(ws.path, plan, applied, before, settings) as verdict:
            message = commit_message(plan)
            diff = _diff(ws.path, before)
            sha: str | None = None
            if not settings.dry_run:
                # Only in the scratch worktree: the branch waits for Nix's verdict.
                settings.on_step(unit_id, "committing")
                sha = commit(ws.path, message, settings.identity, files)
            checked = verdict()
        branch: str | None = None
        if sha is not None:
            branch = branch_name(plan, settings.branch_prefix)
            ws.keep_as(branch)
        done = _Committed(sha, branch, ws.base, message, diff)
        return _result(unit, plan, applied, checked, done)


@dataclass(frozen=True)
class _Committed:
    commit: str | None
    branch: str | None
    base: str | None
    message: str
    diff: str


def _result(
    unit: Unit, plan: UpdatePlan, applied: Applied, checked: Verified, done: _Committed
) -> UpdateResult:
    target = plan.target
    return UpdateResult(
        unit=unit.id,
        packages=unit.packages,
        outcome=Outcome.UPDATED,
        old=plan.old_label,
        new=plan.new_label,
        tag=target.tag,
        commit_rev=target.commit,
        release_notes=target.release_notes,
        release_url=target.release_url,
        changes=_changes(plan, applied),
        not_refreshed=tuple(
            HashLeft(n.pin.location, n.pin.system, n.reason) for n in plan.not_refreshed
        ),
        verified=checked.evaluated,
        built=checked.built,
        verify_note="; ".join(
            filter(
                None,
                [checked.note]
                + [
                    f"{c.file}: kept as it is ({c.why}; the package builds with it)"
                    for c in applied.locks
                    if c.found is None
                ],
            )
        ),
        commit=done.commit,
        branch=done.branch,
        base=done.base,
        message=done.message,
        diff=done.diff,
        builds=len(applied.builds),
        build_drvs=tuple(b.drv for b in applied.builds),
        copied=tuple(FileCopied(c.file, c.found) for c in applied.locks if c.changed and c.found),
        evaluations=applied.evaluations,
        fods_proved=len(checked.proved),
    )
