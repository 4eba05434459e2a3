"""The HTTP layer against the forge's faults: retries, rate limits, dropped connections, tokens."""

from __future__ import annotations

import asyncio
import logging
import time

import pytest
from upstream_fixtures import TOKEN

from updater.errors import RateLimitedError, UpstreamError
from updater.logs import configure_logging
from updater.upstream.http import HttpClient, HttpResponse, HttpSettings
from updater_sandbox.forge.local_forge import LocalForge

FAST = HttpSettings(backoff_base=0.01, max_attempts=4, min_rate_wait=0.05)


def _get(
    forge: LocalForge, settings: HttpSettings = FAST, path: str = "/rate_limit"
) -> tuple[HttpResponse, int]:
    host = forge.api_url.split("/")[2]

    async def go() -> tuple[HttpResponse, int]:
        async with HttpClient(settings, tokens={host: TOKEN}) as http:
            resp = await http.request("GET", forge.api_url + path)
            return resp, http.stats.sent

    return asyncio.run(go())


def test_5xx_is_retried_with_backoff_then_succeeds(forge: LocalForge) -> None:
    forge.faults.fail_next(2, status=502)
    resp, sent = _get(forge)
    assert resp.status == 200 and sent == 3


def test_gives_up_after_bounded_attempts(forge: LocalForge) -> None:
    forge.faults.fail_next(10, status=503)
    with pytest.raises(UpstreamError, match="gave up after 4 attempts"):
        _get(forge)
    assert forge.faults.pending() == 6


def test_dropped_connections_are_retried(forge: LocalForge) -> None:
    forge.faults.drop_next(2)
    resp, sent = _get(forge)
    assert resp.status == 200 and sent == 3


def test_retry_after_is_honoured(forge: LocalForge) -> None:
    forge.faults.rate_limit_next(1, status=429, retry_after=1)
    start = time.monotonic()
    resp, _ = _get(forge)
    assert resp.status == 200 and time.monotonic() - start >= 0.95


def test_secondary_limit_waits_then_succeeds(forge: LocalForge) -> None:
    forge.faults.secondary_limit_next(1, retry_after=1)
    resp, sent = _get(forge)
    assert resp.status == 200 and sent == 2


def test_long_retry_after_stops_with_retry_time(forge: LocalForge) -> None:
    forge.faults.rate_limit_next(1, status=403, retry_after=3600)
    with pytest.raises(RateLimitedError) as err:
        _get(forge)
    assert err.value.retry_at is not None and err.value.retry_at > time.time() + 3000


def test_exhausted_primary_limit_stops_one_shot_run_without_more_requests(
    forge: LocalForge,
) -> None:
    forge.rate_limit.exhaust("core", reset_in=900)
    forge.clear_requests()
    with pytest.raises(RateLimitedError) as err:
        _get(forge, path="/repos/acme/none")
    assert err.value.retry_at == pytest.approx(forge.rate_limit.core.reset, abs=2)
    assert len(forge.requests) == 1


def test_exhausted_primary_limit_waits_for_reset_in_service_mode(forge: LocalForge) -> None:
    forge.rate_limit.exhaust("core", reset_in=1)
    settings = HttpSettings(backoff_base=0.01, one_shot=False, max_rate_wait=10)
    resp, _ = _get(forge, settings, path="/repos/acme/none")
    assert resp.status == 404  # an answer after the reset, not a rate-limit error


def test_token_is_sent_but_never_logged(
    forge: LocalForge, capsys: pytest.CaptureFixture[str]
) -> None:
    configure_logging(2, "json")
    try:
        forge.faults.fail_next(1, status=500)
        resp, _ = _get(forge, path="/repos/acme/none")
        assert resp.status == 404  # the forge accepted the token (401 otherwise)
    finally:
        configure_logging(0, "json")
        logging.getLogger().handlers.clear()
    captured = capsys.readouterr()
    assert "http" in captured.err + captured.out
    assert TOKEN not in captured.err + captured.out
