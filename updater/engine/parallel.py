"""Many units: independent units run in parallel (a thread pool of --jobs workers; each unit
has its own worktree and its own Nix processes), with a progress line per unit.

`run_units` is what the pipeline's update step calls (pipeline/step.py): one UpdateResult per
unit, in the order given. A unit with a target is moved to it (engine/update.py); a script unit
runs its package's own updateScript (engine/updatescript.py).
"""

from __future__ import annotations

from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace
from pathlib import Path

from rich.console import Console
from rich.progress import Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

from updater.config import Config
from updater.context import AppContext
from updater.engine.result import Outcome, UpdateResult
from updater.engine.settings import EngineSettings, current_system
from updater.engine.target import Work
from updater.engine.update import update_unit
from updater.engine.updatescript import run_update_script
from updater.errors import GitError
from updater.gitops.command import git_out
from updater.gitops.commit import Identity
from updater.gitops.worktree import resolve_commit
from updater.logs import get_logger
from updater.nix.runner import NixOptions, NixRunner, detect_eval_mode
from updater.nixfile.model import ScanResult

_log = get_logger("updater.engine.parallel")


def settings_for(
    ctx: AppContext, *, dry_run: bool = False, build: bool = False, runner: NixRunner | None = None
) -> EngineSettings:
    """The settings every unit of a run shares, from the configuration."""
    config = ctx.config
    here = current_system()
    return EngineSettings(
        runner=runner or NixRunner(NixOptions.from_config(config.nix)),
        mode=detect_eval_mode(ctx.repo, config.repository.eval),
        hash_format=config.repository.hash_format,
        pkgs_dir=config.repository.pkgs_dir,
        systems=frozenset({here, *config.nix.systems}),
        system=here,
        identity=Identity(config.pull_requests.author_name, config.pull_requests.author_email),
        branch_prefix=config.pull_requests.branch_prefix,
        base_ref=config.repository.base_branch or "HEAD",
        build=build,
        dry_run=dry_run,
        update_script_timeout=float(config.nix.update_script_timeout),
    )


def not_run(work: Work) -> UpdateResult:
    """The result of a unit that has no target: skipped, or failed when its upstream failed."""
    if work.error is not None:
        return UpdateResult(work.unit.id, work.unit.packages, Outcome.FAILED, reason=work.error)
    return UpdateResult(
        work.unit.id, work.unit.packages, Outcome.SKIPPED, reason=work.skip or "nothing to do"
    )


def clean_at(repo: Path, base_ref: str) -> bool:
    """Whether the checkout's files are exactly the base commit's (then its scan is valid)."""
    try:
        head = git_out(["rev-parse", "HEAD"], repo)
        status = git_out(["status", "--porcelain", "--untracked-files=all"], repo)
        return not status and head == resolve_commit(repo, base_ref)
    except GitError:
        return False


def run_units(
    repo: Path,
    works: Sequence[Work],
    config: Config,
    settings: EngineSettings,
    jobs: int,
    console: Console | None = None,
    base_scan: ScanResult | None = None,
) -> list[UpdateResult]:
    """Update every unit that has a target, `jobs` at a time; results in the order of `works`.

    `base_scan`: a scan of the base commit's files, reused by every unit (see `clean_at`).
    """
    results: dict[str, UpdateResult] = {w.unit.id: not_run(w) for w in works if not w.runnable}
    todo = [w for w in works if w.runnable]
    show = console is not None and console.is_terminal and bool(todo)
    with Progress(
        SpinnerColumn(),
        TextColumn("{task.fields[unit]}"),
        TextColumn("[dim]{task.description}"),
        TimeElapsedColumn(),
        console=console,
        transient=True,
        disable=not show,
    ) as progress:
        tasks = {w.unit.id: progress.add_task("waiting", unit=w.unit.label) for w in todo}
        outer = settings.on_step

        def on_step(unit: str, step: str) -> None:
            outer(unit, step)
            if unit in tasks:
                progress.update(tasks[unit], description=step)
            _log.debug("unit step", unit=unit, step=step)

        unit_settings = replace(settings, on_step=on_step)

        def one(work: Work) -> UpdateResult:
            if work.unit.script:
                return run_update_script(repo, work.unit.packages[0], unit_settings)
            assert work.target is not None
            return update_unit(repo, work.unit.id, work.target, config, unit_settings, base_scan)

        with ThreadPoolExecutor(max_workers=max(1, jobs)) as pool:
            for work, result in zip(todo, pool.map(one, todo), strict=True):
                results[work.unit.id] = result
    return [results[w.unit.id] for w in works]
