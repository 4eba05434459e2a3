"""Fault knobs: latency, 5xx, 403/429 with Retry-After, secondary limits, dropped connections.

Each armed fault answers the next `n` requests whose path starts with `path_prefix` (all requests
when None) and then disarms itself. `reset()` clears everything.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass

SECONDARY_LIMIT_MESSAGE = (
    "You have exceeded a secondary rate limit. Please wait a few minutes before you try again. "
    "If you reach out to GitHub Support for help, please include the request ID."
)


@dataclass(frozen=True)
class FaultAction:
    """What to do instead of answering: drop the connection or send this status."""

    kind: str  # "drop" | "status" | "rate_limited" | "secondary"
    status: int = 0
    retry_after: int | None = None


@dataclass
class _Armed:
    action: FaultAction
    left: int
    path_prefix: str | None


class Faults:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._latency = 0.0
        self._armed: list[_Armed] = []

    @property
    def latency(self) -> float:
        """Seconds added to every request."""
        with self._lock:
            return self._latency

    @latency.setter
    def latency(self, seconds: float) -> None:
        with self._lock:
            self._latency = max(0.0, seconds)

    def _arm(self, action: FaultAction, n: int, path_prefix: str | None) -> None:
        if n > 0:
            with self._lock:
                self._armed.append(_Armed(action, n, path_prefix))

    def fail_next(self, n: int = 1, status: int = 500, path_prefix: str | None = None) -> None:
        """Answer the next `n` requests with a server error (500, 502, 503...)."""
        self._arm(FaultAction("status", status), n, path_prefix)

    def rate_limit_next(
        self, n: int = 1, status: int = 429, retry_after: int = 60, path_prefix: str | None = None
    ) -> None:
        """Answer 403 or 429 with `Retry-After` (GitHub's 'rate limited, come back later')."""
        self._arm(FaultAction("rate_limited", status, retry_after), n, path_prefix)

    def secondary_limit_next(
        self, n: int = 1, retry_after: int = 60, path_prefix: str | None = None
    ) -> None:
        """GitHub's secondary-rate-limit 403 with its message and `Retry-After`."""
        self._arm(FaultAction("secondary", 403, retry_after), n, path_prefix)

    def drop_next(self, n: int = 1, path_prefix: str | None = None) -> None:
        """Close the socket without any response for the next `n` requests."""
        self._arm(FaultAction("drop"), n, path_prefix)

    def take(self, path: str) -> FaultAction | None:
        """The fault for this request, if one is armed for its path (consumes one use)."""
        with self._lock:
            for armed in self._armed:
                if armed.path_prefix is None or path.startswith(armed.path_prefix):
                    armed.left -= 1
                    if armed.left <= 0:
                        self._armed.remove(armed)
                    return armed.action
        return None

    def pending(self) -> int:
        with self._lock:
            return sum(a.left for a in self._armed)

    def reset(self) -> None:
        with self._lock:
            self._latency = 0.0
            self._armed.clear()
