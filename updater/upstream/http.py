"""The one HTTP layer every source uses: one httpx AsyncClient, per-host limits, polite retries.

Follows GitHub's guidance (docs in /work/shared/README.md): honour `Retry-After`; when
`X-RateLimit-Remaining` is 0 wait until `X-RateLimit-Reset`. A wait up to `short_rate_wait`
(60 s) is waited out even in a one-shot run; a longer one stops a one-shot run at once with
`RateLimitedError(retry_at)` (the service waits up to `max_rate_wait`). While a host is known to
be limited, no request is sent to it before the time it named. Back off exponentially on 5xx
and dropped connections; give up after a bounded number of attempts. Tokens go into headers
only for the hosts they belong to and are never logged (only method, URL and status are).
"""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from email.utils import parsedate_to_datetime
from types import TracebackType
from typing import Any
from urllib.parse import urlsplit

import httpx
from tenacity import AsyncRetrying, RetryCallState, retry_if_exception_type, stop_after_attempt

from updater import __version__
from updater.errors import (
    HostUnreachableError,
    RateLimitedError,
    TokenRejectedError,
    UpstreamError,
)
from updater.logs import get_logger


def _log() -> Any:
    # Looked up per call: a logger bound at import time would miss configure_logging().
    return get_logger("upstream.http")


_MAX_BODY = 20 * 1024 * 1024


@dataclass(frozen=True)
class HttpSettings:
    max_attempts: int = 5
    per_host_connections: int = 16
    timeout: float = 30.0
    backoff_base: float = 1.0
    backoff_max: float = 60.0
    # One-shot CLI run: a rate limit longer than `short_rate_wait` stops the run with the time
    # to retry; a shorter one is waited out.
    one_shot: bool = True
    short_rate_wait: float = 60.0
    # The longest single sleep for a rate limit (Retry-After or a reset); beyond it we stop.
    max_rate_wait: float = 120.0
    # GitHub: with no hint, a rate-limited request waits at least a minute.
    min_rate_wait: float = 60.0
    # Consecutive connection failures after which a host is not asked again in this run.
    circuit_failures: int = 3


@dataclass(frozen=True)
class HttpResponse:
    url: str
    status: int
    headers: Mapping[str, str]
    text: str

    def json(self) -> Any:
        try:
            return json.loads(self.text)
        except ValueError:
            raise UpstreamError(f"{self.url}: answer is not JSON (HTTP {self.status})") from None

    def header(self, name: str) -> str | None:
        return self.headers.get(name.lower())


@dataclass
class HttpStats:
    sent: int = 0
    by_host: dict[str, int] = field(default_factory=dict)


class _Retry(Exception):
    def __init__(self, reason: str, wait: float | None = None) -> None:
        super().__init__(reason)
        self.reason = reason
        self.wait = wait


def _float(value: str | None) -> float | None:
    try:
        return float(value) if value is not None else None
    except ValueError:
        return None


def retry_after_seconds(value: str | None, now: float) -> float | None:
    """`Retry-After` as seconds: either delta-seconds or an HTTP date."""
    if value is None:
        return None
    seconds = _float(value)
    if seconds is not None:
        return max(0.0, seconds)
    try:
        return max(0.0, parsedate_to_datetime(value).timestamp() - now)
    except (TypeError, ValueError):
        return None


class HttpClient:
    """`async with HttpClient(settings, tokens={"api.github.com": token}) as http: ...`"""

    def __init__(
        self,
        settings: HttpSettings | None = None,
        tokens: Mapping[str, str] | None = None,
        transport: httpx.AsyncBaseTransport | None = None,
    ) -> None:
        self.settings = settings or HttpSettings()
        self._tokens = dict(tokens or {})
        self._transport = transport
        self._client: httpx.AsyncClient | None = None
        self._limits: dict[str, asyncio.Semaphore] = {}
        # Host -> UNIX time before which its primary limit is known to be exhausted.
        self._exhausted: dict[str, float] = {}
        self.circuit = HostCircuit(self.settings.circuit_failures)
        self.stats = HttpStats()

    async def __aenter__(self) -> HttpClient:
        self._client = httpx.AsyncClient(
            timeout=self.settings.timeout,
            follow_redirects=True,
            headers={"User-Agent": f"updater/{__version__}"},
            limits=httpx.Limits(max_connections=None, max_keepalive_connections=64),
            transport=self._transport,
        )
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if self._client is not None:
            await self._client.aclose()
            self._client = None

    def _host(self, url: str) -> str:
        return urlsplit(url).netloc

    def _semaphore(self, host: str) -> asyncio.Semaphore:
        sem = self._limits.get(host)
        if sem is None:
            sem = self._limits[host] = asyncio.Semaphore(self.settings.per_host_connections)
        return sem

    async def request(
        self,
        method: str,
        url: str,
        *,
        headers: Mapping[str, str] | None = None,
        json_body: Any = None,
        params: Mapping[str, str] | None = None,
    ) -> HttpResponse:
        """Send with retries. Raises RateLimitedError or UpstreamError; 4xx other than rate
        limits are returned to the caller (a 404 is an answer, not a failure of the transport)."""
        if self._client is None:
            raise RuntimeError("HttpClient used outside `async with`")
        host = self._host(url)
        send_headers = dict(headers or {})
        token = self._tokens.get(host)
        if token:
            send_headers["Authorization"] = f"Bearer {token}"

        def wait(state: RetryCallState) -> float:
            exc = state.outcome.exception() if state.outcome else None
            if isinstance(exc, _Retry) and exc.wait is not None:
                return exc.wait
            base = self.settings.backoff_base * (2 ** (state.attempt_number - 1))
            return float(min(base, self.settings.backoff_max))

        retrying = AsyncRetrying(
            stop=stop_after_attempt(self.settings.max_attempts),
            retry=retry_if_exception_type(_Retry),
            wait=wait,
            reraise=True,
        )
        try:
            async for attempt in retrying:
                with attempt:
                    return await self._send_once(method, url, host, send_headers, json_body, params)
        except _Retry as exc:
            raise UpstreamError(
                f"{_redact_url(url)}: {exc.reason} (gave up after {self.settings.max_attempts} attempts)"
            ) from None
        raise AssertionError("unreachable")  # pragma: no cover

    async def _send_once(
        self,
        method: str,
        url: str,
        host: str,
        headers: Mapping[str, str],
        json_body: Any,
        params: Mapping[str, str] | None,
    ) -> HttpResponse:
        assert self._client is not None
        self.circuit.raise_if_open(host)
        await self._wait_for_host(url, host)
        async with self._semaphore(host):
            self.circuit.raise_if_open(host)  # it may have opened while this one waited
            self.stats.sent += 1
            self.stats.by_host[host] = self.stats.by_host.get(host, 0) + 1
            try:
                resp = await self._client.request(
                    method, url, headers=headers, json=json_body, params=params
                )
                body = resp.content[:_MAX_BODY].decode(resp.encoding or "utf-8", "replace")
            except (httpx.ConnectError, httpx.ConnectTimeout) as exc:
                # Never connected: the host (or the way to it) is down, not this request.
                self.circuit.failed(host, type(exc).__name__)
                _log().debug(
                    "http.dropped", method=method, url=_redact_url(url), error=type(exc).__name__
                )
                self.circuit.raise_if_open(host)
                raise _Retry(f"connection failed ({type(exc).__name__})") from None
            except (httpx.TransportError, httpx.DecodingError) as exc:
                _log().info(
                    "http.dropped", method=method, url=_redact_url(url), error=type(exc).__name__
                )
                raise _Retry(f"connection failed ({type(exc).__name__})") from None
        self.circuit.answered(host)
        _log().debug("http", method=method, url=_redact_url(url), status=resp.status_code)
        response = HttpResponse(
            url=_redact_url(url),
            status=resp.status_code,
            headers={k.lower(): v for k, v in resp.headers.items()},
            text=body,
        )
        if resp.status_code == 401 and "authorization" in {k.lower() for k in headers}:
            self.circuit.reject(host, url)
        self._check_rate_limit(response, host)
        if resp.status_code >= 500:
            raise _Retry(f"HTTP {resp.status_code}")
        return response

    async def _wait_for_host(self, url: str, host: str) -> None:
        """Sleep until the host's announced reset, or stop when that is beyond the bound."""
        while (blocked := self._exhausted.get(host, 0.0)) > (now := time.time()):
            delay = self._rate_wait_or_stop(url, blocked - now, blocked, "rate limited")
            await asyncio.sleep(delay)

    async def wait_rate_limit(self, url: str, retry_at: float | None, why: str) -> None:
        """A rate limit the caller found in an answer's body (GraphQL's RATE_LIMITED): hold
        the host until `retry_at` and wait it out when that is within the bound, else raise
        RateLimitedError."""
        now = time.time()
        until = retry_at + 1.0 if retry_at is not None else now + self.settings.min_rate_wait
        host = self._host(url)
        self._hold(host, until)
        await self._wait_for_host(url, host)

    def _hold(self, host: str, until: float) -> None:
        self._exhausted[host] = max(self._exhausted.get(host, 0.0), until)

    def _check_rate_limit(self, resp: HttpResponse, host: str) -> None:
        now = time.time()
        remaining = resp.header("x-ratelimit-remaining")
        reset = _float(resp.header("x-ratelimit-reset"))
        retry_after = retry_after_seconds(resp.header("retry-after"), now)
        limited = resp.status == 429 or (
            resp.status == 403
            and (remaining == "0" or retry_after is not None or "rate limit" in resp.text.lower())
        )
        if not limited:
            return
        if retry_after is not None:
            wanted, why = retry_after, f"HTTP {resp.status}, Retry-After"
        elif remaining == "0" and reset is not None:
            # A second past the reset: GitHub's clock and ours may differ by a little.
            wanted, why = max(0.0, reset - now) + 1.0, "primary rate limit exhausted"
        else:
            # A secondary limit without hints: at least a minute.
            wanted, why = self.settings.min_rate_wait, f"HTTP {resp.status} secondary rate limit"
        # Held before deciding: whether we wait or stop, nothing more goes to the host before.
        self._hold(host, now + wanted)
        delay = self._rate_wait_or_stop(resp.url, wanted, now + wanted, why)
        raise _Retry(why, wait=delay)

    def _rate_wait_or_stop(self, url: str, delay: float, retry_at: float, why: str) -> float:
        """`delay` when it is within the bound (logged), else RateLimitedError(retry_at)."""
        bound = (
            self.settings.short_rate_wait if self.settings.one_shot else self.settings.max_rate_wait
        )
        if delay > bound:
            until = time.strftime("%H:%M:%S", time.localtime(retry_at))
            raise RateLimitedError(
                f"{_redact_url(url)}: {why} until {until}; retry after {int(delay) + 1} s",
                retry_at=retry_at,
            )
        _log().info("http.rate_limited", url=_redact_url(url), wait=round(delay, 1), reason=why)
        return delay


class HostCircuit:
    """Per host: consecutive connection failures, and whether it refused our token.

    A host that failed `limit` times in a row without an answer between is open: no request
    goes to it again (HostUnreachableError at once), so a run with one forge down ends in
    seconds instead of retrying every source with back-off. A 401 to our token opens it too.
    The HTTP client's circuit is also the one `git ls-remote` reports to (upstream/git.py), so
    a plain git host that is down is said once like a forge."""

    def __init__(self, limit: int) -> None:
        self.limit = max(1, limit)
        self._failures: dict[str, int] = {}
        self.unreachable: dict[str, str] = {}  # host -> why (the last connection error)
        self.refused: set[str] = set()  # hosts that answered 401 to the token

    def failed(self, host: str, why: str) -> None:
        self._failures[host] = self._failures.get(host, 0) + 1
        if self._failures[host] >= self.limit and host not in self.unreachable:
            self.unreachable[host] = f"{why} {self._failures[host]} times in a row"
            _log().debug("http.circuit_open", host=host, reason=self.unreachable[host])

    def answered(self, host: str) -> None:
        self._failures[host] = 0

    def reject(self, host: str, url: str) -> None:
        """The host answered 401 to our token: raises TokenRejectedError, now and from now on."""
        self.refused.add(host)
        raise TokenRejectedError(f"{_redact_url(url)}: {host} rejected the token (HTTP 401)", host)

    def raise_if_open(self, host: str) -> None:
        if host in self.refused:
            raise TokenRejectedError(f"{host} rejected the token (HTTP 401)", host)
        why = self.unreachable.get(host)
        if why is not None:
            raise HostUnreachableError(f"{host} is unreachable ({why}); not asked again", host)


def _redact_url(url: str) -> str:
    parts = urlsplit(url)
    if parts.username or parts.password:
        netloc = parts.hostname or ""
        if parts.port:
            netloc += f":{parts.port}"
        parts = parts._replace(netloc=netloc)
    return parts.geturl()
