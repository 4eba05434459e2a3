"""The status page of the demo world, as a maintainer opens it: `updater demo` runs its cycle
(Nix, the local forge, real PRs), then headless Chromium renders the page at desktop and phone
widths. It shows the counts, a commit pin's two revisions, the compare links and the run chart;
the screenshots are kept under artifacts/service/."""

from __future__ import annotations

import html
import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from chromium_support import CHROMIUM, counts, dom, packages_in_order, screenshot

pytestmark = [
    pytest.mark.skipif(CHROMIUM is None, reason="Debian's chromium is not installed"),
    pytest.mark.nix,
    pytest.mark.slow,
]
CYCLE_TIMEOUT = 300.0


def _env() -> dict[str, str]:
    # The caller's git, GitHub and Nix settings must not reach the demo (it brings its own).
    env = {k: v for k, v in os.environ.items() if not k.startswith(("GIT_", "GITHUB_", "NIX_"))}
    return {**env, "GIT_CONFIG_NOSYSTEM": "1", "GIT_CONFIG_GLOBAL": os.devnull}


def _row(page: str, package: str) -> str:
    m = re.search(
        rf'<tr class="row"[^>]*data-package="{re.escape(html.escape(package))}">.*?</tr>',
        page,
        re.S,
    )
    assert m, package
    return m[0]


def test_demo_status_page_in_chromium(tmp_path: Path) -> None:
    root = tmp_path / "demo"
    out, err = tmp_path / "stdout", tmp_path / "stderr"
    with out.open("w") as stdout, err.open("w") as stderr:
        proc = subprocess.Popen(
            [sys.executable, "-m", "updater", "demo", "--dir", str(root)],
            env=_env(), stdout=stdout, stderr=stderr, start_new_session=True,
        )  # fmt: skip
    try:
        deadline = time.monotonic() + CYCLE_TIMEOUT
        while "Press Ctrl-C" not in out.read_text():
            assert proc.poll() is None, err.read_text()[-3000:]
            assert time.monotonic() < deadline, "no where-to-look block"
            time.sleep(0.5)
        m = re.search(r"^  status page +(\S+)", out.read_text(), re.M)
        assert m, out.read_text()
        url = m[1]

        page = dom(tmp_path, url)
        rows = packages_in_order(page)
        shown = counts(page)
        # The counts add up to the packages listed, and the cycle's PRs are counted as open.
        assert sum(shown.values()) == len(rows) and len(rows) >= 20
        assert shown["pr open"] >= 5, shown
        assert page.count('class="state c-pr-open"') == shown["pr open"]

        # A commit pin with a PR open shows both short revisions and links their comparison.
        commit_rows = [
            _row(page, p) for p in rows
            if 'data-pin="commit"' in (r := _row(page, p)) and 'data-state="pr open"' in r
        ]  # fmt: skip
        assert commit_rows, "no commit-pinned package with a PR open"
        row = commit_rows[0]
        revs = re.findall(r'<code class="rev" title="([0-9a-f]{40})">([0-9a-f]{7})</code>', row)
        assert len(revs) == 2 and revs[0][0] != revs[1][0], row
        assert all(full.startswith(short) for full, short in revs)
        compare = re.search(r'<a class="compare" href="([^"]+)"', row)
        assert compare and compare[1].endswith(f"/compare/{revs[0][0]}...{revs[1][0]}"), row
        assert re.search(r'<a class="pr" href="http://127\.0\.0\.1:\d+/pull/\d+"', row), row
        # Releases compare their tags.
        assert re.search(
            r'<a class="compare" href="https://[^"]+/compare/v?[0-9.]+\.\.\.v?[0-9.]+"', page
        )

        # The run chart has the cycle that just ran, with its counts.
        chart = re.search(r'<svg id="run-chart".*?</svg>', page, re.S)
        assert chart, "no run chart"
        runs = re.findall(r'<g class="run" data-run="\d+" data-status="(\w+)">', chart[0])
        assert runs == ["ok"], runs
        assert re.search(r"pr-opened \d+", chart[0])

        for name, width, height in (
            ("demo-status-desktop.png", 1280, 900),
            ("demo-status-phone.png", 390, 844),
        ):
            screenshot(tmp_path, url, name, width, height)
        assert proc.poll() is None
        os.killpg(proc.pid, signal.SIGINT)
        code = proc.wait(timeout=30)
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
    assert code == 0, err.read_text()[-3000:]
