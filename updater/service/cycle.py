"""What the service runs: a `Cycle` takes a request and a cancel token and returns a report.

The service (scheduler, HTTP, lock, metrics) depends only on this protocol; the standard cycle
(check, then updates and PRs) lives in standard_cycle.py, and tests drive the service with
cycles of their own.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Literal, Protocol

from updater.errors import UsageError

Trigger = Literal["schedule", "http", "once", "startup"]
CycleStatus = Literal["ok", "failed", "cancelled"]
# Exported attribute names and source group ids: letters, digits and . _ + - : / @ only.
PACKAGE_NAME_RE = re.compile(r"^[A-Za-z0-9_][A-Za-z0-9._+\-:/@]{0,199}$")


class CycleCancelled(Exception):
    """Raised between units of work once shutdown was asked for."""


class CancelToken:
    """Set once by the service on SIGTERM/SIGINT; a cycle checks it between units of work."""

    def __init__(self) -> None:
        self._event = threading.Event()

    def cancel(self) -> None:
        self._event.set()

    @property
    def cancelled(self) -> bool:
        return self._event.is_set()

    def raise_if_cancelled(self) -> None:
        if self._event.is_set():
            raise CycleCancelled("shutdown requested")

    def wait(self, timeout: float) -> bool:
        return self._event.wait(timeout)


@dataclass(frozen=True)
class CycleRequest:
    """Run everything (package None) or the source group feeding one package."""

    trigger: Trigger
    package: str | None = None

    def __post_init__(self) -> None:
        if self.package is not None and not PACKAGE_NAME_RE.match(self.package):
            raise UsageError(f"package {self.package[:60]!r}: not a package name")

    @property
    def key(self) -> str:
        return self.package or "*"


@dataclass(frozen=True)
class CycleReport:
    status: CycleStatus
    duration: float
    checked: int = 0
    outdated: int = 0
    # result -> count, e.g. {"updated": 2, "failed": 1}
    updates: Mapping[str, int] = field(default_factory=dict)
    # reason -> count, e.g. {"upstream": 1, "rate_limited": 3, "nix": 1}
    failures: Mapping[str, int] = field(default_factory=dict)
    prs_opened: int = 0
    prs_updated: int = 0
    rate_limit_remaining: int | None = None
    check_duration: float | None = None
    update_durations: tuple[float, ...] = ()
    # The packages this runner tracks (after --shard), as of this cycle's scan.
    packages: tuple[str, ...] = ()
    message: str = ""

    def summary(self) -> str:
        parts = [f"checked {self.checked}", f"outdated {self.outdated}"]
        parts += [f"{k} {v}" for k, v in sorted(self.updates.items())]
        if self.prs_opened or self.prs_updated:
            parts.append(f"PRs opened {self.prs_opened}, updated {self.prs_updated}")
        if self.failures:
            parts.append(
                "failures: " + ", ".join(f"{k} {v}" for k, v in sorted(self.failures.items()))
            )
        if self.message:
            parts.append(self.message)
        return "; ".join(parts)


class Cycle(Protocol):
    def __call__(self, request: CycleRequest, cancel: CancelToken) -> CycleReport: ...
