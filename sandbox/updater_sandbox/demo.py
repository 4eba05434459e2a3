"""`updater demo`: the local world, one full cycle over the fixture NUR, and where to look.

    world (forge, upstreams, NUR) -> service (status page, worker) -> one cycle:
        check every upstream -> per outdated source group: engine (Nix) -> push, PR, dashboard
    -> "where to look" -> wait for Ctrl-C (or exit at once with --once)

The pieces are the product's own: World, the service's PipelineCycle with the pipeline's
update step (engine + delivery, as `updater serve` runs it), Service (status page). This module
composes them for a person watching a terminal (`ProgressStep`, `DemoCycle`: a line per unit)
and adds one thing the local forge lacks: it has no web pages and its API wants the token, which
a browser does not send, so `ForgeViewer` (viewer.py) serves the NUR's pull requests and issues
as JSON, read-only, and the status page's PR links point there.
"""

from __future__ import annotations

import os
import re
import signal
import subprocess
import threading
import time
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, replace
from pathlib import Path
from types import FrameType
from typing import TYPE_CHECKING

from rich.console import Console
from rich.markup import escape
from rich.status import Status

from updater.config import Config, Endpoints, ForgeConfig, PullRequestConfig, Secrets, StateConfig
from updater.context import AppContext
from updater.engine.target import Work
from updater.errors import UpdaterError, UsageError
from updater.pipeline.report import UnitReport
from updater.pipeline.scope import CancelToken, RunScope
from updater.pipeline.step import UpdateStep
from updater.service.cycle import CycleReport, CycleRequest, PipelineCycle
from updater_sandbox.viewer import ForgeViewer, write_snapshot

if TYPE_CHECKING:
    from updater.service.app import Service
    from updater.state.store import StateStore
    from updater_sandbox.world import World

_GIT_TIMEOUT = 30.0
_STOP_TIMEOUT = 60.0
_FORCED_STOP_TIMEOUT = 1.0
_HINTS = 3  # `git log` hints printed; the rest are one `git branch` away


@dataclass(frozen=True)
class DemoOptions:
    root: Path
    listen: str = "127.0.0.1:0"
    once: bool = False


def check_directory(path: Path) -> Path:
    """The world's directory: new or empty, and not inside a git checkout (the user's)."""
    path = path.expanduser().resolve()
    if path.exists() and (not path.is_dir() or any(path.iterdir())):
        raise UsageError(f"--dir {path}: exists and is not empty; the demo builds its world there")
    existing = next(p for p in [path, *path.parents] if p.exists())
    top = _git_toplevel(existing)
    if top is not None:
        raise UsageError(f"--dir {path}: inside the git checkout {top}; choose a directory outside")
    return path


def _git_toplevel(path: Path) -> str | None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("GIT_")}
    try:
        proc = subprocess.run(
            ["git", "-C", str(path), "rev-parse", "--show-toplevel"],
            capture_output=True,
            text=True,
            timeout=_GIT_TIMEOUT,
            env=env,
            check=False,
        )
    except (OSError, subprocess.TimeoutExpired):
        return None
    if proc.returncode != 0:
        return None
    return proc.stdout.strip() or None


def demo_config(forge_url: str, state_db: Path) -> Config:
    """The fixture NUR's non-GitHub forges live on the local forge too (git goes by insteadOf)."""
    return Config(
        forges={
            "codeberg.org": ForgeConfig(type="forgejo", api_url=f"{forge_url}/api/v1"),
            "gitlab.com": ForgeConfig(type="gitlab", api_url=f"{forge_url}/api/v4"),
        },
        state=StateConfig(url=f"sqlite:///{state_db}"),
        # write_interval stays at GitHub's 1 s: the whole demo still takes about a minute.
        # The fixture has a dozen outdated groups; the default hourly budget (10) would hold
        # two of them back and make the first run look broken.
        pull_requests=PullRequestConfig(max_new_per_hour=50),
    )


def demo_context(world: World, state_db: Path) -> AppContext:
    config = demo_config(world.forge.url, state_db)
    return AppContext(
        repo=world.nur_path,
        config=config,
        config_path=None,
        secrets=Secrets.from_env(world.env),
        endpoints=Endpoints.resolve(config, world.env),
    )


@contextmanager
def process_environment(env: Mapping[str, str]) -> Iterator[None]:
    """os.environ is the world's while the demo runs (git, Nix and the forge client read it)."""
    saved = dict(os.environ)
    os.environ.clear()
    os.environ.update(env)
    try:
        yield
    finally:
        os.environ.clear()
        os.environ.update(saved)


# -- progress on the terminal ---------------------------------------------------------------------


class DemoProgress:
    """One spinner line for the phase in progress, a permanent line for each thing done."""

    def __init__(self, console: Console) -> None:
        self.console = console
        self._status: Status | None = None
        self._phase = ""
        self._lock = threading.Lock()

    def phase(self, key: str, text: str) -> None:
        with self._lock:
            self._stop()
            self._phase = key
            self._status = self.console.status(text)
            self._status.start()

    def end(self, done: str | None = None, *, only: str | None = None) -> None:
        """Stop the spinner (if the phase is `only`, when given) and print `done`."""
        with self._lock:
            if only is not None and self._phase != only:
                return
            self._stop()
        if done:
            self.console.print(f"[green]\u2713[/] {done}", highlight=False, soft_wrap=True)

    def line(self, mark: str, text: str) -> None:
        self.console.print(f"{mark} {text}", highlight=False, soft_wrap=True)

    def _stop(self) -> None:
        if self._status is not None:
            self._status.stop()
        self._status, self._phase = None, ""


# -- the cycle, told on the terminal ------------------------------------------------------------


class ProgressStep:
    """The service's own update step (engine, then push + PR + dashboard through delivery),
    with a line per unit, and PR links that open in a browser (the viewer's)."""

    def __init__(self, inner: UpdateStep, progress: DemoProgress, viewer_url: str) -> None:
        self.inner = inner
        self.needs_nix = getattr(inner, "needs_nix", False)
        self.progress = progress
        self.viewer_url = viewer_url

    def __call__(self, works: Sequence[Work], scope: RunScope) -> list[UnitReport]:
        return [r for w in works for r in self._one(w, scope)]

    def _one(self, work: Work, scope: RunScope) -> list[UnitReport]:
        self.progress.end("upstreams checked", only="check")
        label = _label(work)
        # Short: a spinner line that wraps on a narrow terminal leaves its tail behind.
        packages = work.unit.packages
        short = (
            packages[0] + (f" +{len(packages) - 1}" if len(packages) > 1 else "")
            if packages
            else work.unit.group
        )
        self.progress.phase("update", f"{short}: updating (Nix, push, PR)")
        try:
            (report,) = self.inner([work], scope)
        except UpdaterError as exc:
            self.progress.end()
            self.progress.line("[red]\u2717[/]", f"{label}: failed: {exc}")
            raise
        self.progress.end()
        report = replace(report, pr_url=self.link(report.pr_url))
        self.progress.line(*_describe(label, report, work))
        return [report]

    def link(self, pr_url: str | None) -> str | None:
        """The forge's own PR page does not exist locally; the viewer's JSON of it does."""
        m = re.search(r"/pull/(\d+)$", pr_url or "")
        return f"{self.viewer_url}/pull/{m[1]}" if m else pr_url


def _label(work: Work) -> str:
    packages = work.unit.packages
    if not packages:
        return work.unit.group
    return ", ".join(packages[:3]) + (f" +{len(packages) - 3}" if len(packages) > 3 else "")


def _describe(label: str, outcome: UnitReport, work: Work) -> tuple[str, str]:
    change = _change(work)
    took = f" ({outcome.duration:.1f}s)"
    number = outcome.pr_url.rsplit("/", 1)[-1] if outcome.pr_url else "?"
    if outcome.status in ("pr-opened", "pr-updated"):
        verb = "opened" if outcome.status == "pr-opened" else "updated"
        return "[green]\u2713[/]", f"{label}:{change}, PR #{number} {verb}{took}"
    if outcome.status == "failed":
        return "[red]\u2717[/]", f"{label}: failed: {outcome.error}{took}"
    if outcome.status == "skipped":
        return "[yellow]-[/]", f"{label}: skipped: {outcome.error}{took}"
    return "[yellow]-[/]", f"{label}:{change}, {outcome.status}, no PR change{took}"


def _change(work: Work) -> str:
    """` old -> new`: versions, or commits for the many pins whose version is a placeholder."""
    if work.checked is None:
        return ""
    d, t = work.checked.decision, work.checked.tracked
    if d is None or not d.latest:
        return ""
    if d.latest != d.current or not (t.current_rev and d.commit):
        return f" {d.current} \u2192 {d.latest}"
    return f" {t.current_rev[:12]} \u2192 {d.commit[:12]}"


class DemoCycle:
    """The service's cycle with a spinner over its check."""

    def __init__(self, inner: PipelineCycle, progress: DemoProgress) -> None:
        self.inner = inner
        self.progress = progress

    def __call__(self, request: CycleRequest, cancel: CancelToken) -> CycleReport:
        self.progress.phase("check", "checking every upstream of the NUR")
        try:
            return self.inner(request, cancel)
        finally:
            self.progress.end("upstreams checked", only="check")
            self.progress.end()  # a stage that crashed may have left its spinner


# -- where to look ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class WhereToLook:
    world: Path
    status_url: str
    pulls_url: str
    dashboard_url: str | None
    nur: Path
    branches: tuple[str, ...]
    state_db: Path
    open_pulls: int
    snapshot: Path | None = None  # --once: JSON copies of the PRs and the dashboard issue

    def lines(self) -> list[str]:
        live = self.snapshot is None
        out = ["", "Where to look" + ("" if live else " (stopped with --once: the URLs were live)")]
        out.append(f"  status page      {self.status_url}/")
        out.append(f"  pull requests    {self.pulls_url}  ({self.open_pulls} open, JSON)")
        out.append(f"  dashboard issue  {self.dashboard_url or '(not published)'}")
        if self.snapshot is not None:
            files = "pulls.json" + (", dashboard.json" if self.dashboard_url else "")
            out.append(f"  forge snapshot   {self.snapshot}/  ({files})")
        out.append(f"  NUR checkout     {self.nur}")
        for branch in self.branches[:_HINTS]:
            out.append(f"                   git -C {self.nur} log --oneline -p main..{branch}")
        if len(self.branches) > _HINTS:
            out.append(f"                   git -C {self.nur} branch --list 'updater/*'")
        out.append(f"  state db         {self.state_db}")
        out.append(f"  world            {self.world}  (kept after the demo; remove it when done)")
        if live:
            out.append("")
            out.append("Press Ctrl-C to stop the forge and the status page.")
        return out


def updater_branches(nur: Path) -> tuple[str, ...]:
    from updater.gitops.command import git_out

    text = git_out(["for-each-ref", "--format=%(refname:short)", "refs/heads/updater/"], nur)
    return tuple(line for line in text.splitlines() if line)


def _not_updated(store: StateStore, names: Sequence[str]) -> list[tuple[str, str, str]]:
    """(package, state, why) of every package the cycle left failed, skipped or in error."""
    from updater.state.status import package_rows

    rows = package_rows(store, names or None)
    return [
        (r.package, r.state, r.error or "")
        for r in rows
        if r.state in ("failed", "skipped", "error")
    ]


# -- the whole demo -----------------------------------------------------------------------------


def run_demo(options: DemoOptions, console: Console, out: Console) -> int:
    """Start, run one cycle, print where to look, then wait for Ctrl-C (or not, with --once).

    Exit code: 0 when the cycle ran (the fixture's deliberate failures are printed, not fatal);
    1 when it could not run or crashed; 130 when interrupted during the cycle with --once.
    """
    from updater_sandbox.spec import UPSTREAMS
    from updater_sandbox.world import World

    root = options.root
    root.mkdir(parents=True, exist_ok=True)
    progress = DemoProgress(console)
    console.print(
        f"updater demo: the world lives in [bold]{root}[/]", highlight=False, soft_wrap=True
    )
    started = time.monotonic()
    progress.phase("world", f"starting the local forge, {len(UPSTREAMS)} upstreams, the NUR")
    try:
        with World(root / "world") as world, process_environment(world.process_env()):
            progress.end(
                f"local world up: forge at {world.forge.url} ({time.monotonic() - started:.1f}s)"
            )
            code = _run_in_world(world, options, progress, out)
    finally:
        progress.end()
    took = time.monotonic() - started
    # "done" only for a cycle that ran; a failed one already said why.
    verdict = {0: "done in", 130: "stopped after"}.get(code, "failed after")
    console.print(f"updater demo: {verdict} {took:.0f}s", highlight=False)
    return code


def _run_in_world(world: World, options: DemoOptions, progress: DemoProgress, out: Console) -> int:
    from updater.pipeline.shard import Shard
    from updater.pipeline.step import EngineStep
    from updater.service.app import Service
    from updater.state.delivery import dashboard_number
    from updater.state.runlock import run_lock
    from updater.state.store import StateStore

    state_db = options.root / "state.db"
    ctx = demo_context(world, state_db)
    host = options.listen.rpartition(":")[0] or "127.0.0.1"
    stop = threading.Event()
    forced = False
    with StateStore.open(ctx.state_url) as store:
        viewer = ForgeViewer(world.forge.api_url, world.nur_repository, world.token, host).start()
        lock = run_lock(ctx.state_url, ctx.repo)
        step = ProgressStep(EngineStep(ctx), progress, viewer.url)
        cycle = DemoCycle(PipelineCycle(ctx, store, Shard(), step), progress)
        service = Service(
            cycle=cycle,
            store=store,
            lock=lock,
            trigger=None,
            listen=options.listen,
            run_token=None,
            packages=cycle.inner.package_names,
            title=f"updater demo: {world.nur_repository}",
        )
        try:
            service.start()
            assert service.http is not None
            status_url = service.http.url
            progress.line("[green]\u2713[/]", f"status page (live): {status_url}/")
            with _signals(stop, service):
                code = _cycle(service, stop, progress, store)
                if code is None:
                    # Ctrl-C is how the long-running demo ends; with --once it cut the cycle short.
                    return 130 if options.once else 0
                dashboard = dashboard_number(store, world.nur_repository)
                if dashboard is not None:
                    progress.line("[green]\u2713[/]", f"dashboard issue #{dashboard} up to date")
                where = WhereToLook(
                    world=options.root,
                    status_url=status_url,
                    pulls_url=f"{viewer.url}/pulls",
                    dashboard_url=f"{viewer.url}/issue/{dashboard}" if dashboard else None,
                    nur=world.nur_path,
                    branches=updater_branches(world.nur_path),
                    state_db=state_db,
                    open_pulls=sum(1 for p in viewer.get("/pulls") if p.get("state") == "open"),
                    snapshot=write_snapshot(viewer, options.root / "forge-snapshot", dashboard)
                    if options.once
                    else None,
                )
                for line in where.lines():
                    out.print(line, highlight=False, soft_wrap=True)
                if not options.once:
                    while not stop.wait(0.5):
                        pass
                    progress.phase("stop", "stopping the status page and the local world")
            return code
        except KeyboardInterrupt:
            # A second Ctrl-C: do not wait for the unit in progress any longer.
            forced = True
            raise
        finally:
            service.stop(_FORCED_STOP_TIMEOUT if forced else _STOP_TIMEOUT)
            viewer.stop()
            close = getattr(lock, "close", None)
            if close is not None:
                close()
            progress.end()


def _cycle(
    service: Service, stop: threading.Event, progress: DemoProgress, store: StateStore
) -> int | None:
    """Run the one cycle; its exit code, or None when Ctrl-C came first."""
    worker = service.worker
    worker.submit(CycleRequest("startup"))
    while not worker.wait_idle(0.2):
        if stop.is_set():
            progress.end()
            progress.line("[yellow]![/]", "stopping: the unit in progress finishes first")
            worker.wait_idle(_STOP_TIMEOUT)
            return None
    result = worker.last
    if result is None or result.report is None:
        why = result.refused if result is not None else "the cycle did not run"
        progress.line("[red]\u2717[/]", f"cycle not run: {why}")
        return 1
    report = result.report
    if report.status == "cancelled":
        return None
    if report.causes:
        # One shared cause failed (or would fail) every unit alike: said once, nothing else.
        for cause in report.causes:
            progress.line("[red]\u2717[/]", escape(cause))
        return 1
    progress.line(
        "[bold]=[/]", f"cycle {report.status} in {report.duration:.0f}s: {report.summary()}"
    )
    left = _not_updated(store, report.packages)
    if left:
        progress.line(
            "[yellow]-[/]",
            f"{len(left)} package(s) not updated (the fixture NUR has some on purpose, see "
            "sandbox/updater_sandbox/nur/PATTERNS.md):",
        )
        for name, state, why in left:
            progress.line(" ", f"  {name}: {state}: {why}")
    return 1 if "crash" in report.failures else 0


@contextmanager
def _signals(stop: threading.Event, service: Service) -> Iterator[None]:
    """Ctrl-C / SIGTERM: stop after the unit in progress; a second Ctrl-C stops waiting."""

    def handle(signum: int, _frame: FrameType | None) -> None:
        if stop.is_set() and signum == signal.SIGINT:
            raise KeyboardInterrupt
        stop.set()
        service.worker.cancel.cancel()

    if threading.current_thread() is not threading.main_thread():
        yield
        return
    old = {s: signal.signal(s, handle) for s in (signal.SIGINT, signal.SIGTERM)}
    try:
        yield
    finally:
        for s, h in old.items():
            signal.signal(s, h)
