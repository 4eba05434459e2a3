"""The configuration: the file read (or the defaults), valid, every `[packages.X]` a package
the repository has, and the schedule."""

from __future__ import annotations

from updater.context import AppContext
from updater.cron import next_run_of
from updater.doctor.model import CheckResult
from updater.nixfile.model import ScanResult
from updater.pipeline.configured import unknown_sections


def configuration_checks(
    ctx: AppContext, load_error: str | None, scan: ScanResult | None
) -> list[CheckResult]:
    where = str(ctx.config_path) if ctx.config_path else "no file: every default"
    if load_error is not None:
        return [CheckResult("configuration", "valid", "fail", load_error)]
    out = [CheckResult("configuration", "valid", "ok", where)]
    if scan is None:
        out.append(CheckResult("configuration", "packages", "skip", "the scan failed"))
    else:
        unknown = unknown_sections(scan, ctx.config)
        if unknown:
            names = "; ".join(
                f"[packages.{key}]" + (f" (closest: {', '.join(close)})" if close else "")
                for key, close in unknown
            )
            out.append(
                CheckResult(
                    "configuration",
                    "packages",
                    "fail",
                    f"no such package in the repository: {names}",
                    "fix the names; `updater scan` lists the packages",
                )
            )
        else:
            out.append(
                CheckResult(
                    "configuration",
                    "packages",
                    "ok",
                    f"{len(ctx.config.packages)} [packages.X] section(s), all known",
                )
            )
    schedule = ctx.config.schedule
    when = next_run_of(schedule)
    out.append(
        CheckResult(
            "configuration",
            "schedule",
            "ok" if when is not None else "fail",
            f"cron {schedule.cron!r}"
            + (f", next run {when:%Y-%m-%d %H:%M} UTC" if when else ": never fires"),
        )
    )
    return out
