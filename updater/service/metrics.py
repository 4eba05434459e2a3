"""Prometheus metrics of one service, on a registry of its own (never the process-global one).

Names follow Prometheus conventions: counters end in _total, durations are in seconds.
"""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest
from prometheus_client.exposition import CONTENT_TYPE_LATEST

from updater.service.cycle import CycleReport

CONTENT_TYPE = CONTENT_TYPE_LATEST
# Runs take seconds (nothing to do) to an hour (many Nix builds).
_RUN_BUCKETS = (1, 5, 15, 30, 60, 120, 300, 600, 1200, 1800, 3600, 7200)
_CHECK_BUCKETS = (0.1, 0.5, 1, 2, 5, 10, 30, 60, 120, 300)


class ServiceMetrics:
    def __init__(self) -> None:
        self.registry = CollectorRegistry(auto_describe=True)
        r = self.registry
        self.runs = Counter("updater_runs", "Runs by final status.", ["status"], registry=r)
        self.checks = Counter("updater_checks", "Source groups checked upstream.", registry=r)
        self.outdated = Gauge(
            "updater_packages_outdated", "Packages with a newer version (last run).", registry=r
        )
        self.tracked = Gauge("updater_packages_tracked", "Packages this runner tracks.", registry=r)
        self.updates = Counter(
            "updater_updates", "Package updates by result.", ["result"], registry=r
        )
        self.failures = Counter(
            "updater_failures", "Failures by reason (check, update, forge).", ["reason"], registry=r
        )
        self.pull_requests = Counter(
            "updater_pull_requests", "Pull requests by action.", ["action"], registry=r
        )
        self.rate_limit = Gauge(
            "updater_github_rate_limit_remaining",
            "GitHub API requests left in the window (last answer seen; -1 unknown).",
            registry=r,
        )
        self.rate_limit.set(-1)
        self.run_seconds = Histogram(
            "updater_run_duration_seconds",
            "Duration of whole runs.",
            buckets=_RUN_BUCKETS,
            registry=r,
        )
        self.check_seconds = Histogram(
            "updater_check_duration_seconds",
            "Duration of the upstream check phase.",
            buckets=_CHECK_BUCKETS,
            registry=r,
        )
        self.update_seconds = Histogram(
            "updater_update_duration_seconds",
            "Duration of one package update (worktree, Nix, PR).",
            buckets=_RUN_BUCKETS,
            registry=r,
        )
        self.running = Gauge("updater_run_in_progress", "1 while a run is in progress.", registry=r)
        self.last_run = Gauge(
            "updater_last_run_timestamp_seconds", "When the last run finished.", registry=r
        )
        self.last_success = Gauge(
            "updater_last_run_success", "1 if the last run finished without failures.", registry=r
        )

    def observe(self, report: CycleReport, finished_at: float) -> None:
        self.runs.labels(report.status).inc()
        self.checks.inc(report.checked)
        self.outdated.set(report.outdated)
        for result, n in report.updates.items():
            self.updates.labels(result).inc(n)
        for reason, n in report.failures.items():
            self.failures.labels(reason).inc(n)
        if report.prs_opened:
            self.pull_requests.labels("opened").inc(report.prs_opened)
        if report.prs_updated:
            self.pull_requests.labels("updated").inc(report.prs_updated)
        if report.rate_limit_remaining is not None:
            self.rate_limit.set(report.rate_limit_remaining)
        self.run_seconds.observe(report.duration)
        if report.check_duration is not None:
            self.check_seconds.observe(report.check_duration)
        for seconds in report.update_durations:
            self.update_seconds.observe(seconds)
        self.last_run.set(finished_at)
        self.last_success.set(1 if report.status == "ok" else 0)

    def render(self) -> bytes:
        return generate_latest(self.registry)
