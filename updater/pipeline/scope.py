"""What one run of the pipeline shares with its steps: the cancel token and per-run sessions.

The service cancels through the token on SIGTERM/SIGINT; the pipeline checks it between
batches of units (a unit in progress always finishes in its worktree). A step that works better
once per run than once per batch (one forge connection, one sync, one dashboard write) opens
its session through `RunScope.session()`; the run closes every session at its end, also when
cancelled or after a failed batch.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import TYPE_CHECKING, Protocol, TypeVar, cast

if TYPE_CHECKING:
    from updater.delivery.report import DeliveryReport
    from updater.nixfile.model import ScanResult


class Cancelled(Exception):
    """Raised between units of work once shutdown was asked for."""


class CancelToken:
    """Set once by the service on SIGTERM/SIGINT; a run checks it between units of work."""

    def __init__(self) -> None:
        self._event = threading.Event()

    def cancel(self) -> None:
        self._event.set()

    @property
    def cancelled(self) -> bool:
        return self._event.is_set()

    def raise_if_cancelled(self) -> None:
        if self._event.is_set():
            raise Cancelled("shutdown requested")

    def wait(self, timeout: float) -> bool:
        return self._event.wait(timeout)


class Session(Protocol):
    """Something a step keeps open for one run (e.g. one forge connection)."""

    def close(self) -> None: ...


SessionT = TypeVar("SessionT", bound=Session)


class RunScope(CancelToken):
    """One run's cancel token (sharing the caller's event), the scan its units come from, and
    the sessions of its steps; a delivery session leaves the run's DeliveryReport here."""

    def __init__(
        self, token: CancelToken, *, scheduled: bool = False, scan: ScanResult | None = None
    ) -> None:
        super().__init__()
        self._event = token._event
        # Whether a schedule runs these runs (what a step may say about the next one).
        self.scheduled = scheduled
        self.scan = scan
        self.delivery: DeliveryReport | None = None
        self._sessions: dict[int, tuple[object, Session]] = {}

    def session(self, owner: object, open_session: Callable[[], SessionT]) -> SessionT:
        """`owner`'s session of this run: opened by `open_session` on first use (when that
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
