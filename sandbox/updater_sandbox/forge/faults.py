"""Fault knobs: latency, 5xx, 403/429 with Retry-After, secondary limits, dropped connections.

Each armed fault answers the next `n` requests whose path starts with `path_prefix` (all requests
when None) and then disarms itself. `reset()` clears everything.

Per-repository knobs (`repo_down`, `repo_rate_limited`, `repo_retry_after`, `repo_drop`) answer
every request that names the repository: a REST or git path under it, or a GraphQL query whose
variables or text name its owner and name, so one bad repository fails the whole batch it is
asked in, as one upstream in a batched query would.
"""

from __future__ import annotations

import math
import threading
import time
from dataclasses import dataclass

SECONDARY_LIMIT_MESSAGE = (
    "You have exceeded a secondary rate limit. Please wait a few minutes before you try again. "
    "If you reach out to GitHub Support for help, please include the request ID."
)


@dataclass(frozen=True)
class FaultAction:
    """What to do instead of answering: drop the connection or send this status."""

    kind: str  # "drop" | "status" | "rate_limited" | "secondary" | "exhausted"
    status: int = 0
    retry_after: int | None = None
    # "exhausted": the primary limit's reset (UNIX time) the answer announces.
    reset: int | None = None
    # The repository ("owner/name", lower case) a per-repository fault answered for.
    repo: str | None = None


@dataclass
class _RepoFault:
    kind: str
    status: int = 0
    retry_after: int | None = None
    until: float | None = None  # in force before this time (None: no end)
    left: int | None = None  # uses left (None: no limit)
    window: RateLimitWindow | None = None  # "exhausted": opened by the first request


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
        self._repos: dict[str, _RepoFault] = {}

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

    # per repository ------------------------------------------------------------------------
    def _repo(self, owner: str, repo: str, fault: _RepoFault) -> None:
        with self._lock:
            self._repos[f"{owner}/{repo}".lower()] = fault

    def repo_down(self, owner: str, repo: str, status: int = 502) -> None:
        """Every request naming the repository answers `status`, until `clear_repo`."""
        self._repo(owner, repo, _RepoFault("status", status))

    def repo_rate_limited(self, owner: str, repo: str, reset_in: float) -> RateLimitWindow:
        """From the first request naming the repository, requests naming it find the primary
        limit spent until a reset `reset_in` seconds after that request (REST: 403; GraphQL:
        200 with a RATE_LIMITED error; both with `X-RateLimit-Remaining: 0` and
        `X-RateLimit-Reset`); after the reset they are answered. The window's `reset` is known
        once the first request came."""
        window = RateLimitWindow(reset_in)
        self._repo(owner, repo, _RepoFault("exhausted", 403, window=window))
        return window

    def repo_retry_after(self, owner: str, repo: str, seconds: int = 1, n: int = 1) -> None:
        """The next `n` requests naming the repository answer 429 with `Retry-After`."""
        self._repo(owner, repo, _RepoFault("rate_limited", 429, retry_after=seconds, left=n))

    def repo_drop(self, owner: str, repo: str, n: int | None = 1) -> None:
        """Drop the connection of the next `n` requests naming the repository (None: all)."""
        self._repo(owner, repo, _RepoFault("drop", left=n))

    def clear_repo(self, owner: str, repo: str) -> None:
        with self._lock:
            self._repos.pop(f"{owner}/{repo}".lower(), None)

    def take_for(self, repos: set[str]) -> FaultAction | None:
        """The per-repository fault for a request naming `repos` ("owner/name", lower case)."""
        now = time.time()
        with self._lock:
            for name in sorted(repos):
                fault = self._repos.get(name)
                if fault is None:
                    continue
                if fault.window is not None and fault.until is None:
                    fault.until = fault.window.open(now)
                if (fault.until is not None and now >= fault.until) or fault.left == 0:
                    del self._repos[name]
                    continue
                if fault.left is not None:
                    fault.left -= 1
                reset = int(fault.until) if fault.until is not None else None
                return FaultAction(fault.kind, fault.status, fault.retry_after, reset, name)
        return None

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

    def has_repo_faults(self) -> bool:
        with self._lock:
            return bool(self._repos)

    def pending(self) -> int:
        with self._lock:
            return sum(a.left for a in self._armed)

    def reset(self) -> None:
        with self._lock:
            self._latency = 0.0
            self._armed.clear()
            self._repos.clear()


class RateLimitWindow:
    """A per-repository rate limit: it resets `span` seconds after the first request naming the
    repository (UNIX time, whole seconds as GitHub sends it); `reset` is None until then."""

    def __init__(self, span: float) -> None:
        self.span = span
        self.reset: int | None = None
        self.first: float | None = None

    def open(self, now: float) -> int:
        self.first = now
        self.reset = math.ceil(now + self.span)
        return self.reset
