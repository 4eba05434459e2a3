"""The status page in headless Chromium: it renders, sorts (numeric versions), stays inert.

Screenshots (phone 390x844 and desktop) are kept under artifacts/service/ for people to look at.
"""

from __future__ import annotations

import html
import re
import shutil
import struct
import subprocess
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from service_support import RUN_TOKEN

from updater.pipeline.scope import CancelToken
from updater.service.app import Service
from updater.service.cycle import CycleReport, CycleRequest
from updater.state.runlock import FileRunLock
from updater.state.status import PackageState, save_package_states
from updater.state.store import CheckRecord, StateStore

ARTIFACTS = Path(__file__).resolve().parents[2] / "artifacts" / "service"
CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
pytestmark = pytest.mark.skipif(CHROMIUM is None, reason="Debian's chromium is not installed")

PWN = "\"><script>document.title='pwned'</script><img src=x onerror=\"document.title='pwned'\">"
ROWS = [
    # package, current, latest, outdated, error, state, days since release, pr
    ("acme-tool", "1.9.0", "1.10.0", True, None, "pr open", 2, "https://github.com/acme/nur/pull/12"),
    ("acme-daemon", "unstable-2025-01-02", "unstable-2025-02-10", True, None, "outdated", 40, None),
    ("acme-cli", "1.0.0-rc.5", "1.0.0-rc.6", True, None, "updated", 1, None),
    ("acme-lib", "2.0.0", "2.0.0", False, "github:acme/gone: repository not found (HTTP 404)", "error", None, None),
    ("acme-web", "0.2.0", "1.2.0", True, None, "failed", 200, None),
    ("zz-hostile", "1", PWN, True, PWN, "failed", 5, "javascript:document.title='pwned'"),
]  # fmt: skip


class IdleCycle:
    def __call__(self, request: CycleRequest, cancel: CancelToken) -> CycleReport:
        return CycleReport("ok", 0.0)


@pytest.fixture
def page_url(tmp_path: Path) -> Iterator[str]:
    store = StateStore.open(f"sqlite:///{tmp_path / 'state.db'}")
    now = datetime.now(UTC)
    store.save_check_results(
        [
            CheckRecord(p, cur, lat, out, f"github:acme/{p}", error=err, checked_at=now - timedelta(minutes=i * 7))
            for i, (p, cur, lat, out, err, _s, _d, _pr) in enumerate(ROWS)
        ]
    )  # fmt: skip
    save_package_states(
        store,
        [
            PackageState(p, st, now - timedelta(days=d) if d is not None else None, pr, err)  # type: ignore[arg-type]
            for p, _c, _l, _o, err, st, d, pr in ROWS
        ],
    )
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


def _chromium(tmp_path: Path, *args: str) -> subprocess.CompletedProcess[str]:
    assert CHROMIUM is not None
    profile = tmp_path / f"profile-{len(list(tmp_path.glob('profile-*')))}"
    return subprocess.run(
        [
            CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
            "--no-first-run", "--disable-background-networking", "--disable-component-update",
            "--disable-sync", "--disable-dev-shm-usage", f"--user-data-dir={profile}",
            "--hide-scrollbars", "--virtual-time-budget=3000", *args,
        ],
        capture_output=True, text=True, timeout=120, check=True,
    )  # fmt: skip


def _packages_in_order(dom: str) -> list[str]:
    body = dom[dom.index("<tbody>") : dom.index("</tbody>")]
    return [
        html.unescape(m)
        for m in re.findall(r'<td data-label="Package" data-v="[^"]*">([^<]*)</td>', body)
    ]


def _png_size(path: Path) -> tuple[int, int]:
    data = path.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    width, height = struct.unpack(">II", data[16:24])
    return width, height


def test_page_renders_and_sorts_in_chromium(page_url: str, tmp_path: Path) -> None:
    dom = _chromium(tmp_path, "--dump-dom", page_url).stdout
    assert "<title>updater: acme/nur</title>" in dom  # the hostile values ran no script
    assert _packages_in_order(dom) == sorted(r[0] for r in ROWS)
    assert "<img" not in dom and "pwned" in dom  # shown as text only
    assert 'href="javascript' not in dom

    # Sorting runs in the page's script: by latest version, descending, numeric (1.10 > 1.9).
    dom = _chromium(tmp_path, "--dump-dom", page_url + "#sort=-latest").stdout
    order = _packages_in_order(dom)
    # 1.10.0 above 1.2.0 (numeric, not text); punctuation sorts lowest.
    assert order == ["acme-daemon", "acme-lib", "acme-tool", "acme-web", "acme-cli", "zz-hostile"]
    assert re.search(r'<th data-col="latest"[^>]*aria-sort="descending"', dom)
    # Age ascending: the newest release first; the package with none last.
    dom = _chromium(tmp_path, "--dump-dom", page_url + "#sort=age").stdout
    assert _packages_in_order(dom) == [
        "acme-cli", "acme-tool", "zz-hostile", "acme-daemon", "acme-web", "acme-lib",
    ]  # fmt: skip


def test_screenshots_phone_and_desktop(page_url: str, tmp_path: Path) -> None:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    for name, size in (("status-phone.png", "390,844"), ("status-desktop.png", "1280,800")):
        shot = ARTIFACTS / name
        shot.unlink(missing_ok=True)
        _chromium(
            tmp_path, f"--screenshot={shot}", f"--window-size={size}", page_url + "#sort=-latest"
        )
        assert shot.is_file() and shot.stat().st_size > 10_000
        assert _png_size(shot) == tuple(int(x) for x in size.split(","))
