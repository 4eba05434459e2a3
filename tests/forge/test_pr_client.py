"""The client's guarantees: paced serial writes, retries that honour Retry-After, limits, dry-run."""

from __future__ import annotations

import threading
import time

import pytest
from forge_helpers import OWNER, REPO, TOKEN, World, make_client

from updater.config import PullRequestConfig
from updater.errors import ForgeError, RateLimitedError
from updater.forge.auth import StaticToken
from updater.forge.client import ForgeClient, PullBudget, WritePacer, build_retry
from updater.forge.dashboard import Dashboard
from updater.forge.models import DashboardData, ProposedUpdate
from updater.forge.pulls import PullRequests

COMMENTS = f"/api/v3/repos/{OWNER}/{REPO}/issues/1/comments"


def proposal(name: str = "foo", new: str = "1.1") -> ProposedUpdate:
    return ProposedUpdate(name=name, old_version="1.0", new_version=new)


def writes(world: World) -> list[str]:
    return [f"{r.method} {r.path}" for r in world.forge.requests if r.method not in ("GET", "HEAD")]


def test_pacer_spaces_writes_from_the_end_of_the_previous_one() -> None:
    now = [100.0]
    slept: list[float] = []

    def sleep(seconds: float) -> None:
        slept.append(seconds)
        now[0] += seconds

    pacer = WritePacer(1.0, clock=lambda: now[0], sleep=sleep)
    with pacer.slot():
        now[0] += 0.3  # the request itself takes time
    with pacer.slot():
        pass
    now[0] += 5.0
    with pacer.slot():
        pass
    assert slept == [1.0]


def test_concurrent_writes_are_serial_and_spaced() -> None:
    pacer = WritePacer(0.05)
    spans: list[tuple[float, float]] = []
    lock = threading.Lock()

    def write() -> None:
        with pacer.slot():
            start = time.monotonic()
            time.sleep(0.01)
            with lock:
                spans.append((start, time.monotonic()))

    threads = [threading.Thread(target=write) for _ in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    spans.sort()
    for (_, end), (start, _) in zip(spans, spans[1:], strict=False):
        assert start - end >= 0.049


def test_writes_to_the_forge_are_paced(world: World) -> None:
    client = make_client(world, interval=0.25)
    pulls = PullRequests(client)
    world.commit_on("updater/foo", "f", "x")
    number = pulls.open(proposal())
    assert number is not None
    start = time.monotonic()
    for i in range(3):
        pulls.comment(number, f"comment {i}")
    # Three comments after the open: three full intervals.
    assert time.monotonic() - start >= 0.74


def test_dry_run_sends_no_write(world: World) -> None:
    client = make_client(
        world, dry_run=True, labels=["dependencies"], reviewers=["maintainer"], assignees=["x"]
    )
    pulls = PullRequests(client)
    world.commit_on("updater/foo", "f", "x")
    world.forge.clear_requests()
    assert pulls.open(proposal()) is None
    pulls.update(7, proposal(new="1.2"))
    pulls.comment(7, "hello")
    pulls.add_labels(7, ["dependencies"])
    pulls.close(7)
    Dashboard(client).publish(DashboardData())
    assert writes(world) == []
    described = [i.describe() for i in client.intents]
    assert all(d.startswith("[dry-run] would ") for d in described)
    assert (
        described[0]
        == "[dry-run] would POST /repos/acme/nur/pulls: open updater/foo -> main: foo: 1.0 -> 1.1"
    )
    assert [i.method for i in client.intents] == ["POST", "PATCH", "POST", "POST", "PATCH", "POST"]
    # Dry-run still counts toward the limits, so it shows what a real run would do.
    assert client.budget.open_count == 0  # opened then closed


def test_secondary_rate_limit_is_retried_after_retry_after(world: World) -> None:
    client = make_client(world)
    pulls = PullRequests(client)
    world.commit_on("updater/foo", "f", "x")
    number = pulls.open(proposal())
    assert number == 1
    # Retry-After (2 s) wins over the configured default wait for secondary limits (1 s).
    world.forge.faults.secondary_limit_next(1, retry_after=2, path_prefix=COMMENTS)
    start = time.monotonic()
    pulls.comment(number, "after a secondary limit")
    assert time.monotonic() - start >= 1.95
    assert writes(world).count(f"POST {COMMENTS}") == 2
    statuses = [r.status for r in world.forge.requests if r.path == COMMENTS]
    assert statuses == [403, 201]


def test_429_with_a_long_retry_after_fails_with_the_time_to_retry(world: World) -> None:
    client = make_client(world)
    pulls = PullRequests(client)
    world.commit_on("updater/foo", "f", "x")
    assert pulls.open(proposal()) == 1
    world.forge.faults.rate_limit_next(1, status=429, retry_after=120, path_prefix=COMMENTS)
    before = time.time()
    with pytest.raises(RateLimitedError) as info:
        pulls.comment(1, "x")
    assert info.value.retry_at is not None and info.value.retry_at >= before + 119
    assert writes(world).count(f"POST {COMMENTS}") == 1


def test_server_errors_retry_reads_but_never_repeat_a_post(world: World) -> None:
    client = make_client(world)
    pulls = PullRequests(client)
    world.commit_on("updater/foo", "f", "x")
    assert pulls.open(proposal()) == 1
    world.forge.faults.fail_next(1, status=502, path_prefix=COMMENTS)
    with pytest.raises(ForgeError, match="HTTP 502"):
        pulls.comment(1, "x")
    assert writes(world).count(f"POST {COMMENTS}") == 1
    world.forge.faults.fail_next(1, status=502, path_prefix=f"/api/v3/repos/{OWNER}/{REPO}/pulls")
    assert [p.number for p in pulls.for_branch("updater/foo")] == [1]


def test_limits_hold(world: World) -> None:
    client = make_client(world, max_open=2, max_new_per_hour=10)
    pulls = PullRequests(client)
    for name in ("a", "b", "c"):
        world.commit_on(f"updater/{name}", name, name)
    pulls.open(proposal("a"))
    pulls.open(proposal("b"))
    with pytest.raises(ForgeError, match="limit 2"):
        pulls.open(proposal("c"))
    # A new run learns the counts from the forge, not from memory.
    fresh = PullRequests(make_client(world, max_open=5, max_new_per_hour=2))
    fresh.seed_budget()
    assert fresh.client.budget.open_count == 2
    with pytest.raises(ForgeError, match="last hour"):
        fresh.open(proposal("c"))
    assert len([w for w in writes(world) if w.endswith("/pulls")]) == 2


def test_budget_forgets_after_an_hour() -> None:
    now = [10_000.0]
    budget = PullBudget(max_open=10, max_new_per_hour=1, clock=lambda: now[0])
    budget.note_opened()
    assert budget.refusal() is not None
    now[0] += 3601
    assert budget.refusal() is None


def test_bad_credentials_fail_without_showing_the_token(world: World) -> None:
    wrong = "ghp_" + "W" * 36
    client = ForgeClient(
        api_url=world.forge.api_url,
        repository=f"{OWNER}/{REPO}",
        tokens=StaticToken(wrong),
        pull_requests=PullRequestConfig(write_interval=0),
        retry=build_retry(backoff_factor=0),
    )
    with pytest.raises(ForgeError) as info:
        PullRequests(client).for_branch("updater/foo")
    assert "401" in str(info.value)
    assert wrong not in str(info.value) and TOKEN not in str(info.value)
    assert "\n" not in str(info.value)


def test_spent_primary_quota_fails_with_the_reset_time(world: World) -> None:
    client = make_client(world)
    reset = int(time.time()) + 1800
    world.forge.rate_limit.bucket("core").set(remaining=0, reset=reset)
    with pytest.raises(RateLimitedError) as info:
        PullRequests(client).for_branch("updater/foo")
    # Waiting 30 minutes exceeds the client's cap (5 s in tests): it reports when to come back.
    assert info.value.retry_at is not None and abs(info.value.retry_at - reset) < 5
    assert len(world.forge.requests) == 1


def test_429_without_retry_after_waits_the_configured_minimum(tmp_path: object) -> None:
    """No Retry-After: wait `secondary_rate_wait` (a minute by default; 1 s here), then retry."""
    import json
    from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

    seen: list[float] = []

    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args: object) -> None:
            pass

        def do_POST(self) -> None:
            self.rfile.read(int(self.headers.get("Content-Length") or 0))
            seen.append(time.monotonic())
            first = len(seen) == 1
            body = json.dumps(
                {"message": "slow down"} if first else {"id": 1, "body": "x"}
            ).encode()
            self.send_response(429 if first else 201)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        client = ForgeClient(
            api_url=f"http://127.0.0.1:{server.server_address[1]}/api/v3",
            repository=f"{OWNER}/{REPO}",
            tokens=StaticToken(TOKEN),
            pull_requests=PullRequestConfig(write_interval=0),
            retry=build_retry(backoff_factor=0, secondary_rate_wait=1.0, max_rate_limit_wait=5.0),
        )
        PullRequests(client).comment(1, "hello")
    finally:
        server.shutdown()
        server.server_close()
    assert len(seen) == 2 and seen[1] - seen[0] >= 0.95


def test_prs_older_than_an_hour_do_not_count_toward_the_hourly_limit(world: World) -> None:
    from datetime import UTC, datetime, timedelta

    pulls = PullRequests(make_client(world, max_new_per_hour=1))
    world.commit_on("updater/a", "a", "a")
    assert pulls.open(proposal("a")) == 1
    fresh = PullRequests(make_client(world, max_new_per_hour=1))
    fresh.seed_budget()
    assert "last hour" in (fresh.client.budget.refusal() or "")
    two_hours_ago = datetime.now(UTC) - timedelta(hours=2)
    world.forge.state.update_issue(("github.com", OWNER, REPO), 1, created_at=two_hours_ago)
    fresh.seed_budget()
    assert fresh.client.budget.refusal() is None
    assert fresh.client.budget.open_count == 1
