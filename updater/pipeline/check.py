"""The check: one decision per unit from its upstream, all requests in one concurrent round.

Read-only and abandoned as a whole when the run is cancelled (its results are then not
reported). The answers' `x-ratelimit-remaining` from GitHub is kept for the service's metrics.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import httpx

from updater.context import AppContext
from updater.engine.tracking import Checked, Tracked, check
from updater.pipeline.cause import Cause, circuit_causes
from updater.pipeline.scope import Cancelled, CancelToken
from updater.state.store import StateStore
from updater.upstream.connect import tokens_of, upstream_apis
from updater.upstream.http import HttpClient, HttpSettings


class RateLimitObserver(httpx.AsyncBaseTransport):
    """Remembers GitHub's x-ratelimit-remaining from the answers of the check, for /metrics."""

    def __init__(self, api_hosts: frozenset[str]) -> None:
        # The connection limits HttpClient gives its own transport.
        limits = httpx.Limits(max_connections=None, max_keepalive_connections=64)
        self._inner = httpx.AsyncHTTPTransport(limits=limits)
        self._hosts = api_hosts
        self.remaining: int | None = None

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        response = await self._inner.handle_async_request(request)
        if request.url.host in self._hosts:
            value = response.headers.get("x-ratelimit-remaining", "")
            if value.isdigit():
                self.remaining = int(value)
        return response

    async def aclose(self) -> None:
        await self._inner.aclose()


@dataclass(frozen=True)
class CheckRound:
    """What one check round gave: a decision (or an error, or a problem) per unit, in order."""

    results: tuple[Checked, ...]
    seconds: float
    rate_limit_remaining: int | None = None
    # Hosts that stopped answering or refused the token during the round (said once).
    causes: tuple[Cause, ...] = ()


def check_units(
    ctx: AppContext,
    tracked: Sequence[Tracked],
    *,
    store: StateStore | None,
    cancel: CancelToken | None = None,
    on_done: Callable[[int], None] | None = None,
) -> CheckRound:
    """Check every tracked unit. With a store, answers are cached (ETags), failing sources are
    backed off and recorded; `on_done(n)` counts answers. Raises Cancelled when `cancel` is set
    before the round is over."""
    ep = ctx.endpoints
    observer = RateLimitObserver(frozenset(httpx.URL(u).host for u in (ep.api_url, ep.graphql_url)))
    started = time.monotonic()
    results, causes = asyncio.run(
        _check(ctx, tracked, store, cancel or CancelToken(), observer, on_done)
    )
    return CheckRound(tuple(results), time.monotonic() - started, observer.remaining, causes)


async def _check(
    ctx: AppContext,
    tracked: Sequence[Tracked],
    store: StateStore | None,
    cancel: CancelToken,
    observer: RateLimitObserver,
    on_done: Callable[[int], None] | None,
) -> tuple[list[Checked], tuple[Cause, ...]]:
    async with HttpClient(
        HttpSettings(one_shot=True), tokens=tokens_of(ctx), transport=observer
    ) as http:
        task = asyncio.ensure_future(
            check(tracked, http, upstream_apis(ctx), store, on_done=on_done)
        )
        while not task.done():
            if cancel.cancelled:
                task.cancel()
                await asyncio.gather(task, return_exceptions=True)
                raise Cancelled("shutdown during the check")
            await asyncio.wait({task}, timeout=0.1)
        return task.result(), circuit_causes(http.circuit.unreachable, http.circuit.refused)
