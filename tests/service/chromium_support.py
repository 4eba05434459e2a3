"""Headless Chromium for the status page tests: Debian's /usr/bin/chromium (bootstrap installs it
with UPDATER_WITH_BROWSER=1), a fresh profile per launch, no network of its own."""

from __future__ import annotations

import html
import re
import shutil
import struct
import subprocess
from pathlib import Path

ARTIFACTS = Path(__file__).resolve().parents[2] / "artifacts" / "service"
CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
FLAGS = (
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
    "--disable-dev-shm-usage", "--hide-scrollbars", "--virtual-time-budget=3000",
)  # fmt: skip


def chromium(tmp_path: Path, *args: str) -> subprocess.CompletedProcess[str]:
    assert CHROMIUM is not None
    profile = tmp_path / f"profile-{len(list(tmp_path.glob('profile-*')))}"
    return subprocess.run(
        [CHROMIUM, *FLAGS, f"--user-data-dir={profile}", *args],
        capture_output=True, text=True, timeout=120, check=True,
    )  # fmt: skip


def dom(tmp_path: Path, url: str, width: int = 1280) -> str:
    return chromium(tmp_path, f"--window-size={width},900", "--dump-dom", url).stdout


def screenshot(tmp_path: Path, url: str, name: str, width: int, height: int) -> Path:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    shot = ARTIFACTS / name
    shot.unlink(missing_ok=True)
    chromium(tmp_path, f"--screenshot={shot}", f"--window-size={width},{height}", url)
    assert shot.is_file() and shot.stat().st_size > 10_000
    assert png_size(shot) == (width, height)
    return shot


def png_size(path: Path) -> tuple[int, int]:
    data = path.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    width, height = struct.unpack(">II", data[16:24])
    return width, height


def packages_in_order(page: str) -> list[str]:
    """The package names of the table's rows, top to bottom, the rows the filter hid left out."""
    body = page[page.index("</thead>") : page.index("</table>")]
    return [
        html.unescape(m[2])
        for m in re.finditer(
            r'<tr class="row( hidden)?"[^>]*>\s*<td data-label="Package" [^>]*>([^<]*)</td>', body
        )
        if not m[1]
    ]


def counts(page: str) -> dict[str, int]:
    """The header's counts by state, as the legend shows them."""
    return {
        html.unescape(m[1]): int(m[2])
        for m in re.finditer(r'data-count="([^"]+)"><span class="num">(\d+)</span>', page)
    }
