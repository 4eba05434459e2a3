"""The HTTP endpoints on a real socket: /healthz, /metrics, /, POST /run and its guards."""

from __future__ import annotations

import json
import socket
import threading
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from prometheus_client import REGISTRY
from prometheus_client.parser import text_string_to_metric_families
from service_support import RUN_TOKEN, http, wait_for

from updater.pipeline.scope import CancelToken
from updater.service.app import Service
from updater.service.cycle import CycleReport, CycleRequest
from updater.state.runlock import FileRunLock
from updater.state.status import PackageState, save_package_states
from updater.state.store import CheckRecord, StateStore

PACKAGES = ("acme-tool", "acme-daemon", "acme-evil")
HOSTILE = '<img src=x onerror="alert(1)">'


class ReportingCycle:
    def __init__(self) -> None:
        self.requests: list[CycleRequest] = []
        self.done = threading.Event()

    def __call__(self, request: CycleRequest, cancel: CancelToken) -> CycleReport:
        self.requests.append(request)
        self.done.set()
        return CycleReport(
            "failed",
            2.5,
            checked=3,
            outdated=2,
            updates={"pr-opened": 1, "failed": 1},
            failures={"nix": 1, "rate_limited": 2},
            prs_opened=1,
            prs_updated=0,
            rate_limit_remaining=4321,
            check_duration=0.7,
            update_durations=(1.5, 0.2),
            packages=PACKAGES,
        )


@pytest.fixture
def service(tmp_path: Path) -> Iterator[tuple[Service, ReportingCycle, str]]:
    store = StateStore.open(f"sqlite:///{tmp_path / 'state.db'}")
    now = datetime.now(UTC)
    store.save_check_results(
        [
            CheckRecord("acme-tool", "1.0.0", "1.1.0", True, "github:acme/tool", checked_at=now),
            CheckRecord("acme-daemon", "0.1", "0.1", False, "github:acme/daemon", checked_at=now),
            CheckRecord("acme-evil", "1", HOSTILE, True, "github:acme/evil", error="<script>x</script>"),
        ]
    )  # fmt: skip
    save_package_states(
        store,
        [
            PackageState("acme-tool", "pr open", now - timedelta(days=3), "https://github.com/o/r/pull/7"),
            PackageState("acme-evil", "failed", None, "javascript:alert(1)", "<b>bold</b>"),
        ],
    )  # fmt: skip
    cycle = ReportingCycle()
    svc = Service(
        cycle=cycle,
        store=store,
        lock=FileRunLock(tmp_path / "run.lock"),
        trigger=None,
        listen="127.0.0.1:0",
        run_token=RUN_TOKEN,
        packages=lambda: PACKAGES,
        title="updater: acme/nur",
    )
    svc.start()
    assert svc.http is not None
    try:
        yield svc, cycle, svc.http.url
    finally:
        svc.stop(10)
        store.close()


def _post(
    url: str, token: str | None = RUN_TOKEN, scheme: str = "Bearer"
) -> tuple[int, dict[str, str], bytes]:
    headers = {"Authorization": f"{scheme} {token}"} if token is not None else {}
    return http("POST", url, headers)


def test_healthz_and_metrics_before_and_after_a_run(
    service: tuple[Service, ReportingCycle, str],
) -> None:
    svc, cycle, base = service
    status, headers, body = http("GET", base + "/healthz")
    health = json.loads(body)
    assert status == 200 and headers["content-type"] == "application/json"
    assert health["status"] == "ok" and health["last_run"] is None and health["packages"] == 3

    status, _h, _b = _post(base + "/run")
    assert status == 202
    wait_for(lambda: svc.worker.last is not None, 10, "the run")
    health = json.loads(http("GET", base + "/healthz")[2])
    assert health["last_run"]["status"] == "failed" and health["last_run"]["trigger"] == "http"

    status, headers, body = http("GET", base + "/metrics")
    assert status == 200 and headers["content-type"].startswith("text/plain")
    samples = {
        (s.name, tuple(sorted(s.labels.items()))): s.value
        for family in text_string_to_metric_families(body.decode())
        for s in family.samples
    }
    assert samples[("updater_checks_total", ())] == 3
    assert samples[("updater_updates_total", (("result", "pr-opened"),))] == 1
    assert samples[("updater_failures_total", (("reason", "rate_limited"),))] == 2
    assert samples[("updater_failures_total", (("reason", "nix"),))] == 1
    assert samples[("updater_pull_requests_total", (("action", "opened"),))] == 1
    assert samples[("updater_github_rate_limit_remaining", ())] == 4321
    assert samples[("updater_run_duration_seconds_count", ())] == 1
    assert samples[("updater_run_duration_seconds_sum", ())] == 2.5
    assert samples[("updater_update_duration_seconds_count", ())] == 2
    assert samples[("updater_packages_tracked", ())] == 3
    assert samples[("updater_run_in_progress", ())] == 0
    # A registry per service: nothing leaks into the process-global one.
    assert not [m for m in REGISTRY.collect() if m.name.startswith("updater_")]


def test_run_trigger_auth(service: tuple[Service, ReportingCycle, str]) -> None:
    svc, cycle, base = service
    status, headers, _b = _post(base + "/run", token=None)
    assert status == 401 and headers["www-authenticate"].startswith("Bearer")
    assert _post(base + "/run", scheme="Basic")[0] == 401
    assert _post(base + "/run", token="")[0] == 401
    assert _post(base + "/run", token=RUN_TOKEN + "x")[0] == 403
    assert _post(base + "/run", token=RUN_TOKEN[:-1])[0] == 403
    assert _post(base + "/run", token="ünïcode")[0] == 403
    assert cycle.requests == []
    status, _h, body = _post(base + "/run?package=acme-tool")
    assert status == 202 and json.loads(body) == {"accepted": "queued", "package": "acme-tool"}
    assert cycle.done.wait(10)
    assert cycle.requests == [CycleRequest("http", "acme-tool")]


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("package=../../etc/passwd", 400),
        ("package=%3Cscript%3Ealert(1)%3C/script%3E", 400),
        ("package=a%00b", 400),
        ("package=a%0d%0aSet-Cookie:x", 400),
        ("package=" + "a" * 300, 400),
        ("package=", 400),
        ("package=acme-tool&package=acme-daemon", 400),
        ("pkg=acme-tool", 400),
        ("package=acme-nope", 404),
        ("package=acme-tool;rm%20-rf", 400),
    ],
)
def test_hostile_package_parameter_is_refused(
    service: tuple[Service, ReportingCycle, str], query: str, expected: int
) -> None:
    svc, cycle, base = service
    status, _h, body = _post(f"{base}/run?{query}")
    assert status == expected, body
    assert "error" in json.loads(body)
    assert cycle.requests == [] and svc.worker.pending == ()


def test_disabled_trigger_other_methods_and_limits(
    service: tuple[Service, ReportingCycle, str], tmp_path: Path
) -> None:
    svc, _cycle, base = service
    assert http("GET", base + "/run")[0] == 405
    assert http("GET", base + "/nope")[0] == 404
    assert _post(base + "/healthz")[0] == 404
    assert http("GET", base + "/?" + "x" * 3000)[0] == 414
    host, port = base.removeprefix("http://").split(":")
    with socket.create_connection((host, int(port)), timeout=5) as s:
        s.sendall(b"POST /run HTTP/1.1\r\nHost: x\r\nContent-Length: 100000\r\n\r\n")
        assert s.recv(100).startswith(b"HTTP/1.1 413")
    svc._run_token = None  # as when UPDATER_RUN_TOKEN is unset
    status, _h, body = _post(base + "/run")
    assert status == 403 and b"disabled" in body


def test_status_page_escapes_upstream_data(service: tuple[Service, ReportingCycle, str]) -> None:
    _svc, _cycle, base = service
    status, headers, body = http("GET", base + "/")
    page = body.decode()
    assert status == 200 and headers["content-type"] == "text/html; charset=utf-8"
    csp = headers["content-security-policy"]
    assert "default-src 'none'" in csp and "script-src 'sha256-" in csp
    assert "<img" not in page and "&lt;img src=x onerror=&quot;alert(1)&quot;&gt;" in page
    # The update's error (newer than the check's) is the one shown, escaped.
    assert "&lt;b&gt;bold&lt;/b&gt;" in page and "<b>" not in page and "<script>x" not in page
    assert "javascript:" not in page  # a hostile PR URL is not a link
    assert (
        '<a class="pr" href="https://github.com/o/r/pull/7" rel="noopener noreferrer">#7</a>'
        in page
    )
    assert page.count('<tr class="row"') == 3 and 'name="viewport"' in page
    assert 'class="state c-up-to-date">up to date<' in page
