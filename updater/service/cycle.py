"""What the service runs: a `Cycle` takes a request and a cancel token and returns a report.

The service (scheduler, HTTP, lock, metrics) depends only on this protocol; the standard cycle
(check, then updates and PRs) lives in standard_cycle.py, and tests drive the service with
cycles of their own.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Literal, Protocol, TypeVar, cast

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


class CycleSession(Protocol):
    """Something an update stage keeps open for one cycle (e.g. one forge connection)."""

    def close(self) -> None: ...


SessionT = TypeVar("SessionT", bound=CycleSession)


class CycleScope(CancelToken):
    """One cycle's cancel token, and the sessions its update stages keep for that cycle.

    It shares the service's cancel event, so it is the token: the standard cycle hands it to the
    update stage in place of the service's token, and wrappers around a stage (the demo's
    progress lines) pass it on untouched. A stage that works better once per cycle than once
    per source group opens its session through `session()` at the first group; the cycle closes
    every session at its end, also when cancelled or after a failed group.
    """

    def __init__(self, token: CancelToken, *, scheduled: bool = False) -> None:
        super().__init__()
        self._event = token._event
        # Whether a schedule runs this service's cycles (what a stage may say about the next).
        self.scheduled = scheduled
        self._sessions: dict[int, tuple[object, CycleSession]] = {}

    def session(self, owner: object, open_session: Callable[[], SessionT]) -> SessionT:
        """`owner`'s session of this cycle: opened by `open_session` on first use (when that
        raises, nothing is kept and the next call tries again), the same object afterwards."""
        held = self._sessions.get(id(owner))
        if held is None:
            # The owner is kept beside its session so its id stays its own until the end.
            held = (owner, open_session())
            self._sessions[id(owner)] = held
        return cast(SessionT, held[1])

    def close(self) -> None:
        """Close every session, the last opened first; one that fails does not keep the others
        open, and the first failure is raised once all are closed."""
        failure: Exception | None = None
        while self._sessions:
            _key, (_owner, session) = self._sessions.popitem()
            try:
                session.close()
            except Exception as exc:
                failure = failure or exc
        if failure is not None:
            raise failure


@dataclass(frozen=True)
class CycleRequest:
    """Run everything (package None) or the source group feeding one package."""

    trigger: Trigger
    package: str | None = None
    # A schedule runs this service's cycles (`updater serve` without --once), so the next run
    # is known; the demo and --once schedule nothing, and the dashboard must not claim one.
    scheduled: bool = False

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
