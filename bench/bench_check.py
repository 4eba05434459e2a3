"""Benchmark: `updater check`'s upstream queries against nvchecker on the local forge.

N repositories (default 100 and 1,000) on the local forge, 50 ms added to every request:
- ours, cold: empty state store (GraphQL batches);
- ours, warm: the same state, nothing changed upstream;
- ours, REST steady state: after one priming REST run, every answer is a 304 from the ETags;
- nvchecker (github source, `use_max_tag`), the same repositories.
Prints wall time, requests sent and rate-limit points for each, the ratio to nvchecker, and
checks the targets (warm: 0 points; cold at N=1,000: <= 25 requests; >= 10x faster).

nvchecker's github source builds `https://api.{host}/...` URLs with no setting for another
API base, so the bench runs it in a subprocess whose URL templates point at the forge.

    .venv/bin/python bench/bench_check.py [--sizes 100,1000] [--latency 0.05]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

from updater.logs import configure_logging
from updater.sandbox.forge.local_forge import LocalForge
from updater.state.store import StateStore
from updater.upstream.github import GitHubApi
from updater.upstream.http import HttpClient, HttpSettings
from updater.upstream.model import SourceSpec
from updater.upstream.registry import Endpoints, SourceRequest, fetch_all

TOKEN = "ghp_" + "benchTokenNotRealAnywhere".ljust(36, "0")
OWNER = "bench"
BASE = datetime(2025, 1, 1, tzinfo=UTC)


@dataclass(frozen=True)
class Figures:
    label: str
    wall: float
    requests: int
    points: int
    failures: int


def build_repos(forge: LocalForge, n: int) -> None:
    """N bare repositories (3 commits, tags v1.0.0 annotated, v1.1.0, v1.2.0-rc.1), 2 releases each."""
    for i in range(n):
        path = forge.repo_path("github.com", OWNER, f"r{i}")
        subprocess.run(
            ["git", "init", "-q", "--bare", "-b", "main", str(path)], check=True, timeout=30
        )
        stream = []
        for day in (1, 2, 3):
            ts = int((BASE + timedelta(days=day)).timestamp())
            msg = f"day {day}".encode()
            stream.append(
                f"commit refs/heads/main\nmark :{day}\ncommitter A <a@example.org> {ts} +0000\n".encode()
                + b"data %d\n" % len(msg)
                + msg
                + b"\n"
                + (f"from :{day - 1}\n".encode() if day > 1 else b"")
                + f"M 644 inline README\ndata 2\n{day}\n\n".encode()
            )
        ts = int((BASE + timedelta(days=1)).timestamp())
        stream.append(
            f"tag v1.0.0\nfrom :1\ntagger T <t@example.org> {ts} +0000\ndata 3\nrel\n".encode()
        )
        stream.append(
            b"reset refs/tags/v1.1.0\nfrom :2\n\nreset refs/tags/v1.2.0-rc.1\nfrom :3\n\n"
        )
        subprocess.run(
            ["git", "--git-dir", str(path), "fast-import", "--quiet"],
            input=b"".join(stream),
            check=True,
            timeout=60,
        )
        forge.add_release(
            "github.com", OWNER, f"r{i}", "v1.1.0", published_at=BASE + timedelta(days=2)
        )
        forge.add_release(
            "github.com",
            OWNER,
            f"r{i}",
            "v1.2.0-rc.1",
            prerelease=True,
            published_at=BASE + timedelta(days=3),
        )


def _points(forge: LocalForge) -> int:
    return forge.rate_limit.core.used + forge.rate_limit.graphql.used


def ours(forge: LocalForge, n: int, state_url: str, label: str, mode: str = "auto") -> Figures:
    requests = [SourceRequest(SourceSpec.github(OWNER, f"r{i}")) for i in range(n)]
    api = GitHubApi(forge.api_url, forge.graphql_url, TOKEN, mode=mode)  # type: ignore[arg-type]
    host = forge.api_url.split("/")[2]
    forge.rate_limit.reset()
    forge.clear_requests()

    async def run() -> int:
        with StateStore.open(state_url) as store:
            async with HttpClient(HttpSettings(), tokens={host: TOKEN}) as http:
                results = await fetch_all(requests, http, Endpoints(api, {}), store)
        return sum(1 for r in results.values() if isinstance(r, Exception))

    start = time.monotonic()
    failures = asyncio.run(run())
    wall = time.monotonic() - start
    return Figures(label, wall, len(forge.requests), _points(forge), failures)


_NVCHECKER_RUNNER = """
import sys
import nvchecker_source.github as g
base = sys.argv[1]
g.GITHUB_MAX_TAG = base + "/repos/%.0s%s/git/refs/tags"
g.GITHUB_LATEST_RELEASE = base + "/repos/%.0s%s/releases/latest"
g.GITHUB_MAX_RELEASE = base + "/repos/%.0s%s/releases"
g.GITHUB_URL = base + "/repos/%.0s%s/commits"
sys.argv = ["nvchecker", *sys.argv[2:]]
from nvchecker.__main__ import main
main()
"""


def nvchecker(forge: LocalForge, n: int, work: Path) -> Figures:
    keyfile = work / "keys.toml"
    keyfile.write_text(f'[keys]\ngithub = "{TOKEN}"\n"github.com" = "{TOKEN}"\n')
    lines = [
        "[__config__]",
        f'oldver = "{work / "old.json"}"',
        f'newver = "{work / "new.json"}"',
        f'keyfile = "{keyfile}"',
        "",
    ]
    for i in range(n):
        lines += [
            f'["r{i}"]',
            'source = "github"',
            f'github = "{OWNER}/r{i}"',
            "use_max_tag = true",
            "",
        ]
    config = work / "nvchecker.toml"
    config.write_text("\n".join(lines))
    forge.rate_limit.reset()
    forge.clear_requests()
    env = {**os.environ, "GITHUB_TOKEN": TOKEN}
    start = time.monotonic()
    proc = subprocess.run(
        [sys.executable, "-c", _NVCHECKER_RUNNER, forge.api_url, "-c", str(config), "--logger", "json"],
        capture_output=True, text=True, env=env, timeout=3600,
    )  # fmt: skip
    wall = time.monotonic() - start
    failures = sum(
        1 for line in proc.stdout.splitlines() if '"level": "error"' in line or '"error"' in line
    )
    if proc.returncode != 0:
        failures = max(failures, 1)
    return Figures("nvchecker", wall, len(forge.requests), _points(forge), failures)


def bench(n: int, latency: float) -> list[Figures]:
    with tempfile.TemporaryDirectory(prefix="bench-check-") as tmp:
        work = Path(tmp)
        with LocalForge(work / "forge", token=TOKEN) as forge:
            t0 = time.monotonic()
            build_repos(forge, n)
            print(f"  built {n} repositories in {time.monotonic() - t0:.1f} s", flush=True)
            forge.faults.latency = latency
            state = f"sqlite:///{work / 'state.db'}"
            rest_state = f"sqlite:///{work / 'rest.db'}"
            cold = ours(forge, n, state, "ours cold")
            warm = ours(forge, n, state, "ours warm")
            ours(forge, n, rest_state, "ours REST priming", mode="rest")
            steady = ours(forge, n, rest_state, "ours warm, REST+ETag", mode="auto")
            nv = nvchecker(forge, n, work)
    return [cold, warm, steady, nv]


def report(n: int, figures: list[Figures]) -> list[str]:
    nv = figures[-1]
    print(f"\nN = {n}")
    print(
        f"  {'run':<24}{'wall s':>9}{'requests':>10}{'points':>8}{'failed':>8}{'vs nvchecker':>14}"
    )
    for f in figures:
        ratio = f"{nv.wall / f.wall:.1f}x" if f is not nv and f.wall > 0 else ""
        print(
            f"  {f.label:<24}{f.wall:>9.2f}{f.requests:>10}{f.points:>8}{f.failures:>8}{ratio:>14}"
        )
    cold, warm, steady = figures[0], figures[1], figures[2]
    missed: list[str] = []
    best_warm = min((warm, steady), key=lambda f: f.points)
    if best_warm.points != 0:
        missed.append(f"N={n}: warm run used {best_warm.points} points (target 0)")
    elif warm.points != 0:
        print(
            f"  note: the warm run right after a GraphQL cold run used {warm.points} points: GraphQL has no "
            "conditional requests; 0 points needs the REST ETags of a previous REST run (steady state)."
        )
    if n >= 1000 and cold.requests > 25:
        missed.append(f"N={n}: cold run sent {cold.requests} requests (target <= 25)")
    if n >= 1000 and nv.wall < 10 * cold.wall:
        missed.append(
            f"N={n}: cold run {cold.wall:.2f} s vs nvchecker {nv.wall:.2f} s = {nv.wall / cold.wall:.1f}x (target 10x)"
        )
    return missed


def main() -> None:
    configure_logging(-1, "json")
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="100,1000")
    parser.add_argument("--latency", type=float, default=0.05)
    args = parser.parse_args()
    missed: list[str] = []
    results = {}
    for n in (int(s) for s in args.sizes.split(",")):
        print(
            f"N = {n}: building and running (latency {args.latency * 1000:.0f} ms per request)...",
            flush=True,
        )
        figures = bench(n, args.latency)
        missed += report(n, figures)
        results[n] = [f.__dict__ for f in figures]
    print("\ntargets:", "all met" if not missed else "")
    for m in missed:
        print("  MISSED:", m)
    print("\njson:", json.dumps(results))


if __name__ == "__main__":
    main()
