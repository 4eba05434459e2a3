"""`updater serve`: run on a schedule, serve /healthz, /metrics, a status page and POST /run.

`--once` runs one cycle under the run lock and exits (for cron-like callers); `--shard i/n`
takes only the source groups that hash to shard i of n.
"""

from __future__ import annotations

import signal
import threading
from types import FrameType
from typing import TYPE_CHECKING

import click

from updater.context import AppContext

if TYPE_CHECKING:
    from updater.service.app import Service


@click.command("serve")
@click.option(
    "--shard",
    "shard_text",
    default="1/1",
    show_default=True,
    metavar="I/N",
    help="Work on shard I of N only (a stable hash of each source group).",
)
@click.option("--once", is_flag=True, help="Run one cycle now and exit (no schedule, no HTTP).")
@click.option(
    "--listen",
    default=None,
    metavar="HOST:PORT",
    help="Address of the HTTP server (default: serve.listen of the config).",
)
@click.pass_obj
def command(ctx: AppContext, shard_text: str, once: bool, listen: str | None) -> None:
    """Keep running: check on the configured cron schedule, update, open PRs; serve status."""
    # Imported here: `updater --help` and the other commands do not pay for the service.
    from updater.cron import cron_trigger
    from updater.nixfile.cache import scan_cached
    from updater.pipeline.configured import check_configured_packages
    from updater.pipeline.shard import Shard
    from updater.pipeline.step import EngineStep
    from updater.service.app import Service
    from updater.service.cycle import PipelineCycle
    from updater.state.runlock import run_lock
    from updater.state.store import StateStore

    shard = Shard.parse(shard_text)
    trigger = None if once else cron_trigger(ctx.config.schedule)
    # A [packages.X] for no package is refused before the service starts, not in every cycle.
    check_configured_packages(
        scan_cached(ctx.repo, ctx.config.repository.pkgs_dir, ctx.config.repository.exclude),
        ctx.config,
        ctx.config_path,
    )
    with StateStore.open(ctx.state_url) as store:
        lock = run_lock(ctx.state_url, ctx.repo, None if shard.is_whole else shard.label)
        try:
            cycle = PipelineCycle(ctx, store, shard, EngineStep(ctx))
            service = Service(
                cycle=cycle,
                store=store,
                lock=lock,
                trigger=trigger,
                listen=listen or ctx.config.serve.listen,
                run_token=ctx.secrets.run_token,
                shard=shard.label,
                packages=cycle.package_names,
                title=f"updater: {ctx.endpoints.repository or ctx.repo.name}",
            )
            if once:
                _run_once(service)
                return
            service.install_signal_handlers()
            service.start()
            service.wait()
        finally:
            close = getattr(lock, "close", None)
            if close is not None:
                close()


def _run_once(service: Service) -> None:
    from updater.service.cycle import CycleRequest

    worker = service.worker

    def handle(_signum: int, _frame: FrameType | None) -> None:
        # Cancels between units; the unit in progress finishes, then the run ends cleanly.
        worker.cancel.cancel()

    if threading.current_thread() is threading.main_thread():
        signal.signal(signal.SIGTERM, handle)
        signal.signal(signal.SIGINT, handle)
    result = worker.run_now(CycleRequest("once"))
    if result.report is None:
        click.echo(f"updater: {result.refused}", err=True)
        raise click.exceptions.Exit(1)
    report = result.report
    click.echo(f"updater serve --once: {report.status}: {report.summary()}", err=True)
    if report.status == "failed":
        raise click.exceptions.Exit(1)
