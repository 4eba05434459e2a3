"""The one connection to the forge: a PyGithub `Github` with pacing, limits, retries, dry-run.

- Writes are serialized and at least `write_interval` seconds apart (GitHub asks for writes to be
  serial and >= 1 s apart), measured from the end of the previous write.
- Retries (urllib3 through PyGithub's GithubRetry): rate limits (403/429) are retried for every
  method after `Retry-After` (capped at `max_rate_limit_wait`, beyond which the call fails with
  RateLimitedError); server errors only for idempotent methods, so a POST is never repeated
  after GitHub may have carried it out.
- New pull requests are limited by `max_open` and `max_new_per_hour` (`PullBudget`).
- In dry-run no write request is sent: each is recorded as a `WriteIntent` and logged.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from typing import Any, TypeVar

import github
import github.Auth
import requests
from github.GithubException import GithubException, RateLimitExceededExceedsMaxWait
from github.GithubRetry import GithubRetry
from github.Repository import Repository

from updater.config import Config, Endpoints, PullRequestConfig
from updater.errors import ConfigError, ForgeError, RateLimitedError
from updater.forge.auth import USER_AGENT, TokenProvider
from updater.forge.lifecycle import limit_reason
from updater.forge.models import WriteIntent
from updater.logs import get_logger, redact_text

T = TypeVar("T")

_log = get_logger("forge.client")

IDEMPOTENT = frozenset({"GET", "HEAD", "OPTIONS", "PUT", "DELETE", "TRACE"})
RATE_LIMIT_STATUSES = (403, 429)
HOUR = 3600.0


class ForgeRetry(GithubRetry):
    """GithubRetry that never repeats a non-idempotent request after a server error and refuses
    to sleep longer than `max_rate_limit_wait` for a Retry-After."""

    def is_retry(self, method: str, status_code: int, has_retry_after: bool = False) -> bool:
        if status_code not in RATE_LIMIT_STATUSES and method.upper() not in IDEMPOTENT:
            return False
        return bool(super().is_retry(method, status_code, has_retry_after))

    def increment(  # type: ignore[override]
        self,
        method: str | None = None,
        url: str | None = None,
        response: Any = None,
        error: Exception | None = None,
        _pool: Any = None,
        _stacktrace: Any = None,
    ) -> Any:
        retry = super().increment(method, url, response, error, _pool, _stacktrace)
        if (
            response is not None
            and response.status == 429
            and "Retry-After" not in response.headers
        ):
            # GitHub: without Retry-After wait until the reset when the quota is spent, else at
            # least a minute (`secondary_rate_wait`), growing with the retry's own backoff.
            wait = max(self.secondary_rate_wait, float(retry.get_backoff_time()))
            reset = response.headers.get("X-RateLimit-Reset", "")
            if response.headers.get("X-RateLimit-Remaining") == "0" and reset.isdigit():
                wait = max(wait, int(reset) - time.time() + 1)
            if self.max_rate_limit_wait is not None and wait > self.max_rate_limit_wait:
                raise RateLimitExceededExceedsMaxWait(429, None, dict(response.headers), wait=wait)
            retry.get_backoff_time = lambda: wait  # type: ignore[method-assign]
        return retry

    def get_retry_after(self, response: Any) -> float | None:
        wait = super().get_retry_after(response)
        if (
            wait is not None
            and self.max_rate_limit_wait is not None
            and wait > self.max_rate_limit_wait
        ):
            raise RateLimitExceededExceedsMaxWait(
                response.status, None, dict(response.headers), wait=wait
            )
        return wait


def build_retry(
    total: int = 3,
    backoff_factor: float = 2.0,
    secondary_rate_wait: float = 60.0,
    max_rate_limit_wait: float = 900.0,
) -> ForgeRetry:
    return ForgeRetry(
        total=total,
        backoff_factor=backoff_factor,
        secondary_rate_wait=secondary_rate_wait,
        max_rate_limit_wait=max_rate_limit_wait,
        status_forcelist=[429, 500, 502, 503, 504],
        allowed_methods=None,  # every method; ForgeRetry.is_retry narrows server errors
        respect_retry_after_header=True,
        raise_on_status=False,  # the last answer reaches PyGithub, which raises with its status
    )


class WritePacer:
    """Serializes writes and keeps `interval` seconds between the end of one and the next."""

    def __init__(
        self,
        interval: float,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.interval = interval
        self._clock = clock
        self._sleep = sleep
        self._lock = threading.Lock()
        self._last_end: float | None = None

    @contextmanager
    def slot(self) -> Iterator[None]:
        with self._lock:
            if self._last_end is not None:
                wait = self._last_end + self.interval - self._clock()
                if wait > 0:
                    self._sleep(wait)
            try:
                yield
            finally:
                self._last_end = self._clock()


class PullBudget:
    """How many more PRs may be opened: `max_open` at once and `max_new_per_hour`."""

    def __init__(
        self, max_open: int, max_new_per_hour: int, clock: Callable[[], float] = time.time
    ) -> None:
        self.max_open = max_open
        self.max_new_per_hour = max_new_per_hour
        self._clock = clock
        self._lock = threading.Lock()
        self._open = 0
        self._opened: list[float] = []

    def seed(self, open_count: int, opened_at: Iterable[float]) -> None:
        """What the forge says: the bot's open PRs and when its recent PRs were created."""
        with self._lock:
            self._open = open_count
            self._opened = sorted(opened_at)

    @property
    def open_count(self) -> int:
        return self._open

    def opened_last_hour(self) -> int:
        cutoff = self._clock() - HOUR
        return sum(1 for t in self._opened if t > cutoff)

    def refusal(self) -> str | None:
        """Why a new PR may not be opened now, or None."""
        with self._lock:
            return limit_reason(
                self._open, self.opened_last_hour(), self.max_open, self.max_new_per_hour
            )

    def note_opened(self) -> None:
        with self._lock:
            self._open += 1
            self._opened.append(self._clock())

    def note_closed(self) -> None:
        with self._lock:
            self._open = max(0, self._open - 1)


class _ProviderAuth(github.Auth.Auth):
    """PyGithub auth asking the provider for the token on every request (App tokens rotate)."""

    def __init__(self, provider: TokenProvider) -> None:
        self._provider = provider

    @property
    def token_type(self) -> str:
        return "Bearer"

    @property
    def token(self) -> str:
        return self._provider.token()


def _header(headers: Any, name: str) -> str | None:
    if not headers:
        return None
    for key, value in dict(headers).items():
        if str(key).lower() == name.lower():
            return str(value)
    return None


def _message(data: Any) -> str:
    if not isinstance(data, dict):
        return ""
    parts = [str(data.get("message") or "")]
    errors = data.get("errors")
    if isinstance(errors, list):
        for err in errors[:3]:
            if isinstance(err, dict) and err.get("message"):
                parts.append(str(err["message"]))
            elif isinstance(err, dict) and err.get("field"):
                parts.append(f"{err.get('field')} {err.get('code', 'invalid')}")
    text = " ".join(" ".join(p for p in parts if p).split())
    return redact_text(text[:300])


def translate(what: str, exc: Exception) -> Exception:
    """A PyGithub/requests failure as the bot's named error, one line, no credentials."""
    if isinstance(exc, RateLimitExceededExceedsMaxWait):
        wait = exc.wait if exc.wait is not None else 60.0
        return RateLimitedError(f"{what}: rate limited for {wait:.0f}s", time.time() + wait)
    if isinstance(exc, GithubException):
        status = exc.status
        text = _message(exc.data)
        retry_after = _header(exc.headers, "retry-after")
        remaining = _header(exc.headers, "x-ratelimit-remaining")
        reset = _header(exc.headers, "x-ratelimit-reset")
        limited = status in RATE_LIMIT_STATUSES and (
            retry_after is not None or remaining == "0" or "rate limit" in text.lower()
        )
        if limited:
            retry_at: float | None = None
            if retry_after and retry_after.isdigit():
                retry_at = time.time() + int(retry_after)
            elif reset and reset.isdigit():
                retry_at = float(reset)
            return RateLimitedError(f"{what}: rate limited (HTTP {status})", retry_at)
        detail = f": {text}" if text else ""
        return ForgeError(f"{what}: HTTP {status}{detail}")
    if isinstance(exc, requests.RequestException):
        return ForgeError(f"{what}: {type(exc).__name__}")
    return exc


class ForgeClient:
    """The package repository on the forge, with every write going through `write`."""

    def __init__(
        self,
        *,
        api_url: str,
        repository: str,
        tokens: TokenProvider,
        pull_requests: PullRequestConfig,
        dry_run: bool = False,
        retry: ForgeRetry | None = None,
        timeout: int = 30,
        pacer: WritePacer | None = None,
        clock: Callable[[], float] = time.time,
    ) -> None:
        if "/" not in repository:
            raise ConfigError(f"repository {repository!r}: expected owner/name")
        self.repository = repository
        self.owner, self.name = repository.split("/", 1)
        self.settings = pull_requests
        self.dry_run = dry_run
        self.tokens = tokens
        self.pacer = pacer or WritePacer(pull_requests.write_interval)
        self.budget = PullBudget(pull_requests.max_open, pull_requests.max_new_per_hour, clock)
        self.clock = clock
        self._intents: list[WriteIntent] = []
        self._intents_lock = threading.Lock()
        self.github = github.Github(
            auth=_ProviderAuth(tokens),
            base_url=api_url.rstrip("/"),
            timeout=timeout,
            user_agent=USER_AGENT,
            per_page=100,
            retry=retry if retry is not None else build_retry(),
            # Pacing is ours (WritePacer): PyGithub's would sleep a second time.
            seconds_between_requests=None,
            seconds_between_writes=None,
            lazy=True,
        )
        self.repo: Repository = self.github.get_repo(repository)

    @classmethod
    def from_config(
        cls, config: Config, endpoints: Endpoints, tokens: TokenProvider, *, dry_run: bool = False
    ) -> ForgeClient:
        if not endpoints.repository:
            raise ConfigError(
                "no repository on the forge: set repository.github or GITHUB_REPOSITORY"
            )
        return cls(
            api_url=endpoints.api_url,
            repository=endpoints.repository,
            tokens=tokens,
            pull_requests=config.pull_requests,
            dry_run=dry_run,
        )

    @property
    def intents(self) -> tuple[WriteIntent, ...]:
        """Every write sent (or, in dry-run, not sent), in order."""
        with self._intents_lock:
            return tuple(self._intents)

    @property
    def requester(self) -> Any:
        return self.github.requester

    @property
    def api_repo_path(self) -> str:
        return f"/repos/{self.repository}"

    def read(self, what: str, call: Callable[[], T]) -> T:
        try:
            return call()
        except (GithubException, requests.RequestException) as exc:
            raise translate(what, exc) from None

    def record(self, method: str, path: str, summary: str) -> WriteIntent:
        """Remember a write (sent, or in dry-run only described); also for git pushes."""
        intent = WriteIntent(method=method, path=path, summary=summary, sent=not self.dry_run)
        with self._intents_lock:
            self._intents.append(intent)
        return intent

    def write(self, method: str, path: str, summary: str, call: Callable[[], T]) -> T | None:
        """Send one write request (paced), or in dry-run only record it; None in dry-run."""
        self.record(method, path, summary)
        if self.dry_run:
            _log.info("dry-run: write not sent", request=f"{method} {path}", summary=summary)
            return None
        with self.pacer.slot():
            _log.debug("forge write", request=f"{method} {path}", summary=summary)
            return self.read(f"{method} {path}", call)

    def close(self) -> None:
        self.github.close()
