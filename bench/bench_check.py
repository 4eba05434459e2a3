"""Benchmark: `updater check`'s upstream queries against nvchecker on the local forge.

N repositories (default 100 and 1,000) on the local forge, 50 ms added to every request, in two
layouts of owners: `orgs`, 10 organizations sharing them evenly, and `spread`, as real NURs track
them: 299 owners (one in three a user, the rest organizations), a few with dozens of
repositories, most with one or two. Each run is a separate process, as the bot and GitHub are:
- ours, cold: empty state store (owner kinds, one event feed per organization, GraphQL batches);
- ours, warm: the same state, nothing changed upstream (every feed answers 304);
- ours, after releases: a few repositories got a new tag and release (only they are re-queried);
- nvchecker (github source, `use_max_tag`), the same repositories.
Prints wall time, requests sent and rate-limit points for each, the ratio to nvchecker, and
checks the targets (N=1,000, cold and warm: <= 25 requests, <= 25 points, >= 10x faster than
nvchecker in-run; the `orgs` layout's warm runs: 0 points), and the bot's CPU per repository.

Before timing, the forge reads every repository's refs once (`LocalForge.prime`): GitHub answers
from its databases, the test double from git, and that start-up cost belongs to neither client.

nvchecker's github source builds `https://api.{host}/...` URLs with no setting for another
API base, so the bench runs it in a subprocess whose URL templates point at the forge.

    .venv/bin/python bench/bench_check.py [--sizes 100,1000] [--latency 0.05] [--layouts orgs,spread]
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

from updater.logs import configure_logging
from updater_sandbox.forge.local_forge import LocalForge

TOKEN = "ghp_" + "benchTokenNotRealAnywhere".ljust(36, "0")
BASE = datetime(2025, 1, 1, tzinfo=UTC)
# Repositories that get a new release between the warm runs.
CHANGED = 5


@dataclass(frozen=True)
class Figures:
    label: str
    wall: float
    requests: int
    points: int
    failures: int
    # The run after the interpreter started and imported its modules (both clients the same).
    inside: float | None = None
    # CPU seconds (user + system) of the client process.
    cpu: float | None = None


SPREAD_OWNERS = 299


def repos(n: int, layout: str) -> list[tuple[str, str]]:
    if layout == "orgs":
        return [(f"org{i % 10}", f"r{i}") for i in range(n)]
    # Owner k holds the repositories j with k <= 299 (j/n)^2 < k+1: the first ones dozens,
    # the last ones one or two, every owner at least one (for n >= 600).
    return [(f"owner{int(SPREAD_OWNERS * (i / n) ** 2)}", f"r{i}") for i in range(n)]


def users(names: list[tuple[str, str]]) -> set[str]:
    """The owners that are users (one in three of the spread layout), not organizations."""
    return {o for o, _ in names if o.startswith("owner") and int(o[5:]) % 3 == 2}


def _import_stream() -> bytes:
    """3 commits on main, tags v1.0.0 (annotated), v1.1.0, v1.2.0-rc.1."""
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
    stream.append(b"reset refs/tags/v1.1.0\nfrom :2\n\nreset refs/tags/v1.2.0-rc.1\nfrom :3\n\n")
    return b"".join(stream)


def build_repos(forge: LocalForge, names: list[tuple[str, str]]) -> None:
    """Bare repositories (in parallel: git's start-up dominates), then 2 releases each."""
    stream = _import_stream()

    def one(owner_repo: tuple[str, str]) -> None:
        path = forge.repo_path("github.com", *owner_repo)
        path.parent.mkdir(parents=True, exist_ok=True)
        subprocess.run(
            ["git", "init", "-q", "--bare", "-b", "main", str(path)], check=True, timeout=30
        )
        subprocess.run(
            ["git", "--git-dir", str(path), "fast-import", "--quiet"],
            input=stream, check=True, timeout=60,
        )  # fmt: skip

    with ThreadPoolExecutor(max_workers=4) as pool:
        list(pool.map(one, names))
    for owner in sorted({o for o, _ in names} - users(names)):
        forge.add_organization(owner)
    for owner, name in names:
        forge.add_release(
            "github.com", owner, name, "v1.1.0", published_at=BASE + timedelta(days=2)
        )
        forge.add_release(
            "github.com", owner, name, "v1.2.0-rc.1", prerelease=True,
            published_at=BASE + timedelta(days=3),
        )  # fmt: skip


def release_some(forge: LocalForge, names: list[tuple[str, str]]) -> list[tuple[str, str]]:
    """A new tag (as a push would make it) and release in CHANGED repositories."""
    # One step more than an even spread, so the changes land in different organizations.
    step = max(1, len(names) // CHANGED + 1)
    changed = names[::step][:CHANGED]
    for owner, name in changed:
        path = forge.repo_path("github.com", owner, name)
        subprocess.run(
            ["git", "--git-dir", str(path), "tag", "v2.0.0", "main"], check=True, timeout=30
        )
        forge.add_release("github.com", owner, name, "v2.0.0")
    return changed


def _median(runs: list[Figures]) -> Figures:
    ordered = sorted(runs, key=lambda f: f.inside if f.inside is not None else f.wall)
    middle = ordered[len(ordered) // 2]
    label = f"{middle.label} (median of {len(runs)})"
    return Figures(
        label,
        middle.wall,
        middle.requests,
        max(f.points for f in runs),
        middle.failures,
        middle.inside,
        middle.cpu,
    )


def _points(forge: LocalForge) -> int:
    return forge.rate_limit.core.used + forge.rate_limit.graphql.used


_OURS_RUNNER = """
import asyncio, json, resource, sys, time
from updater.logs import configure_logging
from updater.state.store import StateStore
from updater.upstream.github_query import GitHubApi
from updater.upstream.http import HttpClient, HttpSettings
from updater.upstream.model import SourceSpec
from updater.upstream.registry import UpstreamApis, SourceRequest, fetch_all

args = json.loads(sys.argv[1])
configure_logging(-1, "json")
requests = [SourceRequest(SourceSpec.github(o, r)) for o, r in args["repos"]]
api = GitHubApi(args["api"], args["graphql"], args["token"])
host = args["api"].split("/")[2]

async def run():
    start = time.monotonic()
    with StateStore.open(args["state"]) as store:
        async with HttpClient(HttpSettings(), tokens={host: args["token"]}) as http:
            results = await fetch_all(requests, http, UpstreamApis(api, {}), store)
    inside = time.monotonic() - start
    failed = [str(r) for r in results.values() if isinstance(r, Exception)]
    latest = {
        f"{q.source.owner}/{q.source.repo}": max((t.tag for t in r.tags), default=None)
        for q, r in results.items() if not isinstance(r, Exception)
    }
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return {"inside": inside, "failures": len(failed), "first_failure": failed[:1], "latest": latest,
            "cpu": usage.ru_utime + usage.ru_stime}

print(json.dumps(asyncio.run(run())))
"""


def ours(
    forge: LocalForge, names: list[tuple[str, str]], state_url: str, label: str
) -> tuple[Figures, dict[str, str | None]]:
    forge.rate_limit.reset()
    forge.clear_requests()
    args = {
        "repos": names,
        "api": forge.api_url,
        "graphql": forge.graphql_url,
        "token": TOKEN,
        "state": state_url,
    }
    start = time.monotonic()
    proc = subprocess.run(
        [sys.executable, "-c", _OURS_RUNNER, json.dumps(args)],
        capture_output=True, text=True, timeout=3600,
    )  # fmt: skip
    wall = time.monotonic() - start
    if proc.returncode != 0:
        raise SystemExit(f"{label}: the run failed:\n{proc.stderr[-3000:]}")
    out = json.loads(proc.stdout.strip().splitlines()[-1])
    if out["first_failure"]:
        print(f"  {label}: first failure: {out['first_failure'][0]}")
    figures = Figures(
        label, wall, len(forge.requests), _points(forge), out["failures"], out["inside"], out["cpu"]
    )
    return figures, out["latest"]


_NVCHECKER_RUNNER = """
import sys
import nvchecker_source.github as g
base = sys.argv[1]
g.GITHUB_MAX_TAG = base + "/repos/%.0s%s/git/refs/tags"
g.GITHUB_LATEST_RELEASE = base + "/repos/%.0s%s/releases/latest"
g.GITHUB_MAX_RELEASE = base + "/repos/%.0s%s/releases"
g.GITHUB_URL = base + "/repos/%.0s%s/commits"
sys.argv = ["nvchecker", *sys.argv[2:]]
import time
from nvchecker.__main__ import main
start = time.monotonic()
try:
    main()
finally:
    sys.stderr.write("BENCH_INSIDE %f\\n" % (time.monotonic() - start))
"""


def nvchecker(forge: LocalForge, names: list[tuple[str, str]], work: Path) -> Figures:
    keyfile = work / "keys.toml"
    keyfile.write_text(f'[keys]\ngithub = "{TOKEN}"\n"github.com" = "{TOKEN}"\n')
    lines = [
        "[__config__]",
        f'oldver = "{work / "old.json"}"',
        f'newver = "{work / "new.json"}"',
        f'keyfile = "{keyfile}"',
        "",
    ]
    for owner, name in names:
        lines += [
            f'["{owner}-{name}"]',
            'source = "github"',
            f'github = "{owner}/{name}"',
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
    inside = [float(x.split()[1]) for x in proc.stderr.splitlines() if x.startswith("BENCH_INSIDE")]
    return Figures(
        "nvchecker",
        wall,
        len(forge.requests),
        _points(forge),
        failures,
        inside[-1] if inside else None,
    )


def bench(n: int, latency: float, layout: str) -> list[Figures]:
    names = repos(n, layout)
    with tempfile.TemporaryDirectory(prefix="bench-check-") as tmp:
        work = Path(tmp)
        with LocalForge(work / "forge", token=TOKEN) as forge:
            t0 = time.monotonic()
            build_repos(forge, names)
            time.sleep(1.1)  # past the forge's racy window for ref snapshots
            forge.prime()
            print(f"  built {n} repositories in {time.monotonic() - t0:.1f} s", flush=True)
            forge.faults.latency = latency
            state = f"sqlite:///{work / 'state.db'}"
            # Cold and warm runs three times each (cold on fresh state stores), the median kept:
            # the machine is shared and one run's wall time is noisy.
            colds = [
                ours(forge, names, f"sqlite:///{work / f'cold{i}.db'}", "ours cold")[0]
                for i in range(2)
            ]
            cold, _ = ours(forge, names, state, "ours cold")
            cold = _median([*colds, cold])
            warms = [ours(forge, names, state, "ours warm (nothing new)") for _ in range(3)]
            warm, before = _median([w for w, _ in warms]), warms[-1][1]
            changed = release_some(forge, names)
            after_label = f"ours warm ({len(changed)} releases)"
            after, latest = ours(forge, names, state, after_label)
            missed = [f"{o}/{r}" for o, r in changed if latest.get(f"{o}/{r}") != "v2.0.0"]
            others = [
                k
                for k, v in latest.items()
                if v != before.get(k) and k not in {f"{o}/{r}" for o, r in changed}
            ]
            if missed or others:
                raise SystemExit(f"wrong answers after releases: missed {missed}, changed {others}")
            again, _ = ours(forge, names, state, "ours warm again")
            nv = nvchecker(forge, names, work)
    return [cold, warm, after, again, nv]


def _ratio(nv: float | None, ours: float | None) -> str:
    return f"{nv / ours:.1f}x" if nv and ours else ""


def report(n: int, layout: str, figures: list[Figures]) -> list[str]:
    nv = figures[-1]
    owners = len({o for o, _ in repos(n, layout)})
    print(f"\nN = {n}, layout {layout} ({owners} owners)")
    print(
        f"  {'run':<36}{'process s':>10}{'in-run s':>10}{'requests':>10}{'points':>8}"
        f"{'failed':>8}{'vs nv (process)':>17}{'vs nv (in-run)':>16}{'CPU ms/repo':>13}"
    )
    for f in figures:
        mine = f is not nv
        inside = f"{f.inside:.2f}" if f.inside is not None else ""
        cpu = f"{f.cpu * 1000 / n:.2f}" if f.cpu is not None else ""
        print(
            f"  {f.label:<36}{f.wall:>10.2f}{inside:>10}{f.requests:>10}{f.points:>8}{f.failures:>8}"
            f"{_ratio(nv.wall, f.wall) if mine else '':>17}"
            f"{_ratio(nv.inside, f.inside) if mine else '':>16}{cpu:>13}"
        )
    cold, warm, after, again = figures[0], figures[1], figures[2], figures[3]
    missed: list[str] = []
    tag = f"N={n} {layout}"
    for f in (warm, again):
        if layout == "orgs" and f.points != 0:
            missed.append(f"{tag}: {f.label} used {f.points} points (target 0)")
        if n >= 1000 and (f.points > 25 or f.requests > 25):
            missed.append(f"{tag}: {f.label}: {f.requests} requests, {f.points} points (<= 25)")
    print(
        f"  after releases: {after.points} points for {CHANGED} changed repositories "
        "(one page per changed feed, one GraphQL query)"
    )
    if n >= 1000 and (cold.requests > 25 or cold.points > 25):
        missed.append(f"{tag}: cold: {cold.requests} requests, {cold.points} points (<= 25)")
    if n >= 1000:
        for f in (cold, warm):
            if nv.inside is None or f.inside is None or nv.inside < 10 * f.inside:
                missed.append(
                    f"{tag}: {f.label} {f.inside or 0:.2f} s vs nvchecker {nv.inside or 0:.2f} s "
                    f"= {_ratio(nv.inside, f.inside)} in-run (target 10x)"
                )
    return missed


def main() -> None:
    configure_logging(-1, "json")
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="100,1000")
    parser.add_argument("--latency", type=float, default=0.05)
    parser.add_argument("--layouts", default="orgs,spread")
    args = parser.parse_args()
    missed: list[str] = []
    results = {}
    for n in (int(s) for s in args.sizes.split(",")):
        for layout in args.layouts.split(","):
            print(
                f"N = {n}, {layout}: building and running "
                f"(latency {args.latency * 1000:.0f} ms per request)...",
                flush=True,
            )
            figures = bench(n, args.latency, layout)
            missed += report(n, layout, figures)
            results[f"{n}-{layout}"] = [f.__dict__ for f in figures]
    print("\ntargets:", "all met" if not missed else "")
    for m in missed:
        print("  MISSED:", m)
    print("\njson:", json.dumps(results))


if __name__ == "__main__":
    main()
