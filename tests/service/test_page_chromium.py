"""The status page in headless Chromium: counts, failures first by cause, commit revisions,
compare links, the run chart, sorting (numeric versions) and the filter; hostile values inert.

Screenshots (phone 390x844 and desktop 1280x800) are kept under artifacts/service/.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from chromium_support import CHROMIUM, counts, dom, packages_in_order, screenshot
from service_support import RUN_TOKEN

from updater.pipeline.scope import CancelToken
from updater.service.app import Service
from updater.service.cycle import CycleReport, CycleRequest
from updater.state.runlock import FileRunLock
from updater.state.status import PackageState, finish_run, save_package_states, start_run
from updater.state.store import CheckRecord, StateStore

pytestmark = pytest.mark.skipif(CHROMIUM is None, reason="Debian's chromium is not installed")

PWN = "\"><script>document.title='pwned'</script><img src=x onerror=\"document.title='pwned'\">"
OLD, NEW = "a" * 7 + "1" * 33, "b" * 7 + "2" * 33
NOT_FOUND = "github:acme/gone: repository not found (HTTP 404)"
ROWS = [
    # package, current, latest, outdated, error, state, days since release, pr
    ("acme-tool", "1.9.0", "1.10.0", True, None, "pr open", 2, "https://github.com/acme/nur/pull/12"),
    ("acme-daemon", "unstable-2025-01-02", "unstable-2025-02-10", True, None, "outdated", 40, None),
    ("acme-cli", "1.0.0-rc.5", "1.0.0-rc.6", True, None, "updated", 1, None),
    ("acme-lib", "2.0.0", "2.0.0", False, NOT_FOUND, "error", None, None),
    ("acme-lib-dev", "2.0.0", "2.0.0", False, NOT_FOUND, "error", None, None),
    ("acme-web", "0.2.0", "1.2.0", True, None, "failed", 200, None),
    ("acme-old", "3.0.0", "3.0.0", False, None, "up to date", 90, None),
    ("zz-hostile", "1", PWN, True, PWN, "failed", 5, "javascript:document.title='pwned'"),
]  # fmt: skip


class IdleCycle:
    def __call__(self, request: CycleRequest, cancel: CancelToken) -> CycleReport:
        return CycleReport("ok", 0.0)


def _record(i: int, row: tuple[object, ...], now: datetime) -> CheckRecord:
    p, cur, lat, out, err, _s, _d, _pr = row
    assert isinstance(p, str)
    commit = p == "acme-daemon"  # a commit pin: revisions are commits
    return CheckRecord(
        p, cur, lat, out, f"github:acme/{p}", error=err,  # type: ignore[arg-type]
        checked_at=now - timedelta(minutes=i * 7),
        mode="branch" if commit else "release",
        current_rev=OLD if commit else f"v{cur}",
        latest_rev=(NEW if commit else f"v{lat}") if out else None,
        current_date=datetime(2025, 1, 2, 9, tzinfo=UTC) if commit else None,
        latest_date=datetime(2025, 2, 10, 17, tzinfo=UTC) if commit else None,
        compare_url=(
            f"https://github.com/acme/{p}/compare/{OLD}...{NEW}" if commit
            else "javascript:alert(1)" if p == "zz-hostile"
            else f"https://github.com/acme/{p}/compare/v{cur}...v{lat}" if out else None
        ),
    )  # fmt: skip


def _runs(store: StateStore, now: datetime) -> None:
    for i in range(35):  # more than the chart shows
        started = now - timedelta(hours=35 - i)
        run = start_run(store, "1/1", "schedule", None, now=started)
        counts = {"checked": 8, "pr-opened": i % 3, "failures": 1 if i % 4 == 0 else 0}
        status = "failed" if i % 4 == 0 else "ok"
        finish_run(store, run, status, "x", now=started + timedelta(seconds=20 + i), counts=counts)  # type: ignore[arg-type]


@pytest.fixture
def page_url(tmp_path: Path) -> Iterator[str]:
    store = StateStore.open(f"sqlite:///{tmp_path / 'state.db'}")
    now = datetime.now(UTC)
    store.save_check_results([_record(i, r, now) for i, r in enumerate(ROWS)])
    save_package_states(
        store,
        [
            PackageState(p, st, now - timedelta(days=d) if d is not None else None, pr, err)  # type: ignore[arg-type]
            for p, _c, _l, _o, err, st, d, pr in ROWS
        ],
    )
    _runs(store, now)
    svc = Service(
        cycle=IdleCycle(),
        store=store,
        lock=FileRunLock(tmp_path / "run.lock"),
        trigger=None,
        listen="127.0.0.1:0",
        run_token=RUN_TOKEN,
        packages=lambda: tuple(r[0] for r in ROWS),
        title="updater: acme/nur",
    )
    svc.start()
    assert svc.http is not None
    try:
        yield svc.http.url + "/"
    finally:
        svc.stop(10)
        store.close()


def test_page_shows_counts_failures_first_revisions_and_the_chart(
    page_url: str, tmp_path: Path
) -> None:
    page = dom(tmp_path, page_url)
    assert "<title>updater: acme/nur</title>" in page  # the hostile values ran no script
    assert "<img" not in page and "pwned" in page  # shown as text only
    assert 'href="javascript' not in page
    assert counts(page) == {
        "failing": 4,
        "pr open": 2,
        "outdated": 1,
        "up to date": 1,
        "skipped": 0,
    }

    # Failures first, the two packages of the missing repository as one cause; then the rest
    # by state (PR open, outdated, up to date), then name.
    causes = re.findall(r'<tbody class="failing" data-cause="([^"]*)"', page)
    assert causes[0] == "repository not found" and len(causes) == 3
    assert packages_in_order(page) == [
        "acme-lib", "acme-lib-dev", "zz-hostile", "acme-web",
        "acme-cli", "acme-tool", "acme-daemon", "acme-old",
    ]  # fmt: skip

    # The commit pin shows both short revisions and their commit dates, and links the compare view.
    row = re.search(r'<tr class="row"[^>]*data-package="acme-daemon">.*?</tr>', page, re.S)
    assert row and 'data-pin="commit"' in row[0]
    assert re.findall(r'<code class="rev"[^>]*>([0-9a-f]+)</code>', row[0]) == [
        "aaaaaaa",
        "bbbbbbb",
    ]
    assert ">2025-01-02</time>" in row[0] and ">2025-02-10</time>" in row[0]
    assert f'href="https://github.com/acme/acme-daemon/compare/{OLD}...{NEW}"' in row[0]
    tool = re.search(r'data-package="acme-tool">.*?</tr>', page, re.S)
    assert tool and 'href="https://github.com/acme/acme-tool/compare/v1.9.0...v1.10.0"' in tool[0]
    assert 'href="https://github.com/acme/nur/pull/12"' in tool[0]

    # The chart: the last 30 of 35 runs, the failed ones drawn so, each with its figures.
    chart = re.search(r'<svg id="run-chart".*?</svg>', page, re.S)
    assert chart is not None
    runs = re.findall(r'<g class="run" data-run="(\d+)" data-status="(\w+)">', chart[0])
    assert [int(r) for r, _ in runs] == list(range(6, 36))
    assert sum(1 for _, s in runs if s == "failed") == 7
    assert "run 35 (schedule)" in chart[0] and "checked 8" in chart[0]


def test_sort_and_filter_run_in_the_page(page_url: str, tmp_path: Path) -> None:
    # By latest version, descending, numeric (1.10 > 1.9); failures stay above the rest.
    page = dom(tmp_path, page_url + "#sort=-latest")
    assert re.search(r'<th data-col="latest"[^>]*aria-sort="descending"', page)
    order = packages_in_order(page)
    assert order[4:] == ["acme-daemon", "acme-old", "acme-tool", "acme-cli"]
    assert set(order[:4]) == {"acme-lib", "acme-lib-dev", "acme-web", "zz-hostile"}
    # The filter: every word must match; a cause with no match left is hidden.
    page = dom(tmp_path, page_url + "#q=acme%20commit")
    assert packages_in_order(page) == ["acme-daemon"]
    assert page.count('<tbody class="failing hidden"') == 3
    page = dom(tmp_path, page_url + "#q=not%20found")
    assert packages_in_order(page) == ["acme-lib", "acme-lib-dev"]


def test_screenshots_phone_and_desktop(page_url: str, tmp_path: Path) -> None:
    for name, width, height in (("status-phone.png", 390, 844), ("status-desktop.png", 1280, 800)):
        screenshot(tmp_path, page_url + "#sort=-latest", name, width, height)
