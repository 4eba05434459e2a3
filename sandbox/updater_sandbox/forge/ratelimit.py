"""GitHub's primary rate limits, one bucket per resource (REST `core`, `graphql`), settable by tests."""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass

WINDOW_SECONDS = 3600


@dataclass(frozen=True)
class RateSnapshot:
    resource: str
    limit: int
    remaining: int
    reset: int

    @property
    def used(self) -> int:
        return self.limit - self.remaining


def rate_headers(snap: RateSnapshot) -> list[tuple[str, str]]:
    """The X-RateLimit-* headers GitHub sends with every API response."""
    return [
        ("X-RateLimit-Limit", str(snap.limit)),
        ("X-RateLimit-Remaining", str(snap.remaining)),
        ("X-RateLimit-Reset", str(snap.reset)),
        ("X-RateLimit-Used", str(snap.used)),
        ("X-RateLimit-Resource", snap.resource),
    ]


class RateBucket:
    """One resource's window; when `reset` has passed the window refills, as on GitHub."""

    def __init__(self, resource: str, limit: int = 5000) -> None:
        self.resource = resource
        self._lock = threading.Lock()
        self._limit = limit
        self._remaining = limit
        self._reset = int(time.time()) + WINDOW_SECONDS

    def _roll(self) -> None:
        now = int(time.time())
        if now >= self._reset:
            self._remaining = self._limit
            self._reset = now + WINDOW_SECONDS

    def set(
        self, *, limit: int | None = None, remaining: int | None = None, reset: int | None = None
    ) -> None:
        """Set any of limit, remaining, reset (UNIX time)."""
        with self._lock:
            if limit is not None:
                self._limit = limit
            if remaining is not None:
                self._remaining = max(0, remaining)
            if reset is not None:
                self._reset = reset

    @property
    def limit(self) -> int:
        return self.snapshot().limit

    @limit.setter
    def limit(self, value: int) -> None:
        self.set(limit=value)

    @property
    def remaining(self) -> int:
        return self.snapshot().remaining

    @remaining.setter
    def remaining(self, value: int) -> None:
        self.set(remaining=value)

    @property
    def reset(self) -> int:
        return self.snapshot().reset

    @reset.setter
    def reset(self, value: int) -> None:
        self.set(reset=value)

    @property
    def used(self) -> int:
        return self.snapshot().used

    def snapshot(self) -> RateSnapshot:
        with self._lock:
            self._roll()
            return RateSnapshot(self.resource, self._limit, self._remaining, self._reset)

    def try_consume(self, cost: int) -> tuple[bool, RateSnapshot]:
        """Take `cost` points if that many remain; the snapshot is taken after the attempt."""
        with self._lock:
            self._roll()
            ok = self._remaining >= cost and self._remaining > 0
            if ok:
                self._remaining -= cost
            return ok, RateSnapshot(self.resource, self._limit, self._remaining, self._reset)

    def restore(self, limit: int = 5000) -> None:
        with self._lock:
            self._limit = limit
            self._remaining = limit
            self._reset = int(time.time()) + WINDOW_SECONDS


class RateLimits:
    """`core` for REST, `graphql` for GraphQL points."""

    def __init__(self) -> None:
        self.core = RateBucket("core")
        self.graphql = RateBucket("graphql")

    def exhaust(self, resource: str = "core", reset_in: float = 60.0) -> None:
        """Primary limit used up until `reset_in` seconds from now."""
        self.bucket(resource).set(remaining=0, reset=int(time.time() + reset_in))

    def bucket(self, resource: str) -> RateBucket:
        return self.graphql if resource == "graphql" else self.core

    def reset(self) -> None:
        self.core.restore()
        self.graphql.restore()
