"""Benchmark: `updater run` on the fixture NUR against the floor of raw hash-fixing builds.

The world: the fixture NUR with its atproto organization trimmed to 10 packages that share one
`src` (let-bound in pkgs/atproto/default.nix, passed by callPackage), and a new atproto release;
plus 10 independent packages with newer upstream versions (Go, npm, pnpm, cargo, yarn and deno
dependency hashes, hand-written FODs, tags, commits, base32 and malformed hashes).

- bot: the pipeline's target search and engine for those 11 units (upstream check included, then the engine alone),
  sequentially (--jobs 1) and with --jobs = CPU count;
- floor: every fixed-output derivation the bot computed a hash for, built directly with
  `nix-build -A <attr>` with only that hash faked (all others already right), one after another:
  what a person does by hand, with no scanning, planning, git or verification.
Before every measured run the new release's fixed outputs are deleted from the store, so each
run starts as a real update does (a dependency step downloads the source it builds from again,
for the bot as for a person: a mismatching build registers nothing).

Prints wall times, the number of Nix builds, the bot's overhead over the floor (target < 15 %),
and checks exactly one source-hash build per distinct source. The fixture's downloads are tiny
and local (a build takes ~0.1 s), so the bot's fixed cost per unit dominates: beyond the
floor's one `nix-build` per hash, each unit evaluates once more (the verification of the final
files, ~0.04 s), adds and removes a scratch worktree (~0.04 s), runs ~9 other git calls
(~0.04 s: status, add, commit, rev-parse, branch checks, update-ref) and re-scans the repository
(~0.04 s); the verification evaluation overlaps the re-scan and the commit. `--latency` makes
each request to the forge take as long as a real download would, which is what the overhead is
relative to in practice. Parallel units (--jobs) share the machine's CPUs with Nix's
evaluations, and hash-fixing builds of fake `source` fetchers share one output path, so they
run one at a time (nix/buildlocks.py).

    .venv/bin/python bench/bench_run.py [--rounds 3] [--jobs N]
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import subprocess
import tempfile
import time
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

from updater.config import Endpoints, Secrets, parse_config
from updater.context import AppContext
from updater.engine.parallel import run_units, settings_for
from updater.engine.result import Outcome, UpdateResult
from updater.engine.units import select, units_of
from updater.logs import configure_logging
from updater.nix.runner import NixRunner
from updater.nixfile.repository import scan_repository
from updater.nixhash import FAKE_SRI, parse
from updater.pipeline.targets import resolve
from updater_sandbox.world import NUR_SOURCE, World

SHARED = ["atproto-api"]  # the unit of the 10 packages sharing one src
INDEPENDENT = [
    "jetstream-jetstream",
    "webapp-skyview",
    "deno-deno-bot",
    "legacy-feed-proxy",
    "labeler-ozone-labeler",
    "plc-plc-mirror",
    "pdsadmin-gatekeeper",
    "feeds-blobstore",
    "firehose-firehose-tools",
    "resolver-did-resolver",
]


def trimmed_nur(dest: Path) -> Path:
    """The fixture NUR with atproto's `sync` package removed: 10 packages share one src."""
    shutil.copytree(NUR_SOURCE, dest, ignore=shutil.ignore_patterns("__pycache__"))
    org = dest / "pkgs/atproto/default.nix"
    org.write_text(
        org.read_text().replace("  sync = callPackage ./sync.nix { inherit src version; };\n", "")
    )
    (dest / "pkgs/atproto/sync.nix").unlink()
    return dest


def context(w: World, repo: Path, config_text: str) -> AppContext:
    import tomllib

    config = parse_config(tomllib.loads(config_text), "bench")
    return AppContext(
        repo=repo,
        config=config,
        config_path=None,
        secrets=Secrets.from_env(w.env),
        endpoints=Endpoints.resolve(config, w.env),
    )


def clone(w: World, dest: Path) -> Path:
    subprocess.run(["git", "clone", "--quiet", str(w.nur_path), str(dest)], check=True, timeout=60)
    return dest


@dataclass(frozen=True)
class BotRun:
    check_seconds: float
    engine_seconds: float
    results: list[UpdateResult]
    repo: Path

    @property
    def builds(self) -> int:
        return sum(r.builds for r in self.results)

    @property
    def evaluations(self) -> int:
        return sum(r.evaluations for r in self.results)


def bot(w: World, root: Path, config_text: str, jobs: int) -> BotRun:
    root.mkdir(parents=True, exist_ok=True)
    repo = clone(w, root / f"nur-jobs{jobs}")
    ctx = context(w, repo, config_text)
    settings = settings_for(ctx, runner=NixRunner(base_env=w.process_env()))
    started = time.monotonic()
    scan = scan_repository(repo)
    units = select(units_of(scan), SHARED + INDEPENDENT)
    import asyncio

    works = asyncio.run(resolve(ctx, units, scan, None))
    checked = time.monotonic()
    results = run_units(repo, works, ctx.config, settings, jobs, base_scan=scan)
    done = time.monotonic()
    return BotRun(checked - started, done - checked, results, repo)


_HOW = re.compile(r"build of (?P<attr>\S+)")


def floor(w: World, run: BotRun, root: Path) -> tuple[float, int]:
    """Each computed hash faked alone at the bot's result, its FOD built by nix-build -A."""
    env = w.process_env()
    total = 0.0
    builds = 0
    for result in run.results:
        if result.outcome is not Outcome.UPDATED or result.branch is None:
            continue
        work = root / "floor" / result.packages[0]
        work.parent.mkdir(parents=True, exist_ok=True)
        subprocess.run(
            ["git", "clone", "--quiet", "--branch", result.branch, str(run.repo), str(work)],
            check=True,
            timeout=60,
        )
        for change in result.changes:
            m = _HOW.match(change.how)
            if not change.kind.is_hash or m is None:
                continue  # copies served by the same build, or not a hash
            path = work / change.location.file
            original = path.read_text()
            written = parse(change.new)
            for text in (written.sri, written.base32):
                if text in original:
                    path.write_text(
                        original.replace(
                            text, FAKE_SRI if text == written.sri else parse(FAKE_SRI).base32, 1
                        )
                    )
                    break
            else:
                raise SystemExit(f"{change.location}: cannot find the written hash")
            # A derivation with no attribute path (found by evaluation) is built the way a person
            # would: through the package that needs it.
            nameless = "(found by evaluation)" in change.how or "(no attribute path)" in change.how
            attr = result.packages[0] if nameless else m["attr"]
            t0 = time.monotonic()
            proc = subprocess.run(
                ["nix-build", "--no-out-link", str(work), "-A", attr],
                env=env,
                capture_output=True,
                text=True,
                timeout=600,
                check=False,
            )
            total += time.monotonic() - t0
            builds += 1
            if "hash mismatch" not in proc.stderr or written.sri not in proc.stderr:
                raise SystemExit(
                    f"floor build of {attr} did not report {written.sri}:\n{proc.stderr[-2000:]}"
                )
            path.write_text(original)
    return total, builds


def forget(w: World, run: BotRun) -> int:
    """Delete from the store the outputs of the new fixed-output derivations (right hashes).

    A hash-fixing build registers nothing (its hash is fake), but a later step registers the
    source it builds from. Deleting them before every measured run makes each start cold, as
    a real update does: nothing of the new release is in the store yet.
    """
    env = w.process_env()
    attrs: dict[str, list[str]] = {}
    for result in run.results:
        if result.branch is None:
            continue
        for change in result.changes:
            m = _HOW.match(change.how)
            if m is not None and "." in m["attr"]:
                attrs.setdefault(result.branch, []).append(m["attr"])
    deleted = 0
    for branch, names in attrs.items():
        tree = Path(tempfile.mkdtemp(prefix="bench-forget-"))
        try:
            subprocess.run(
                ["git", "clone", "--quiet", "--branch", branch, str(run.repo), str(tree / "t")],
                check=True,
                timeout=60,
            )
            args = ["nix-instantiate", str(tree / "t")] + [a for n in names for a in ("-A", n)]
            drvs = subprocess.run(args, env=env, capture_output=True, text=True, timeout=300)
            for drv in drvs.stdout.split():
                outs = subprocess.run(
                    ["nix-store", "--query", "--outputs", drv],
                    env=env,
                    capture_output=True,
                    text=True,
                    timeout=60,
                ).stdout.split()
                for out in outs:
                    if Path(out).exists():
                        gone = subprocess.run(
                            ["nix-store", "--delete", out], env=env, capture_output=True, timeout=60
                        )
                        deleted += gone.returncode == 0
        finally:
            shutil.rmtree(tree, ignore_errors=True)
    return deleted


def one_source_build_per_source(run: BotRun) -> bool:
    counts = Counter(d for r in run.results for d in r.build_drvs if d.endswith("-source.drv"))
    shared = next(r for r in run.results if "atproto-api" in r.packages)
    return (
        all(n == 1 for n in counts.values()) and shared.builds == 1 and len(shared.packages) == 10
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--jobs", type=int, default=os.cpu_count() or 1)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument(
        "--latency",
        type=float,
        default=0.0,
        help="seconds the forge adds to every request (real downloads are not instant)",
    )
    args = parser.parse_args()
    configure_logging(-1, "console")
    root = Path(tempfile.mkdtemp(prefix="bench-run-"))
    root.chmod(0o755)
    try:
        nur = trimmed_nur(root / "nur-source")
        with World(root / "world", nur_source=nur) as w:
            os.environ.update(w.env)  # upstream git (ls-remote) follows the world's insteadOf rules
            w.upstream("atproto").add_release("0.3.0")
            w.forge.faults.latency = args.latency
            config_text = (
                f'[forges."codeberg.org"]\ntype = "forgejo"\napi_url = "{w.forge.url}/api/v1"\n'
                f'[forges."gitlab.com"]\ntype = "gitlab"\napi_url = "{w.forge.url}/api/v4"\n'
            )
            # warm Nix's evaluation of the fixture nixpkgs and the non-fixed-output inputs
            subprocess.run(
                ["nix-instantiate", str(w.nur_path), "-A", "jetstream-jetstream"],
                env=w.process_env(),
                capture_output=True,
                timeout=300,
                check=False,
            )
            # The machine may be shared: alternate the measurements over several rounds and
            # keep each one's best time (the least disturbed).
            runs: dict[int, list[BotRun]] = {}
            floors: list[tuple[float, int]] = []
            for n in range(args.rounds):
                for jobs in sorted({1, args.jobs}):
                    if runs:
                        forget(w, runs[1][0])
                    runs.setdefault(jobs, []).append(bot(w, root / f"round{n}", config_text, jobs))
                forget(w, runs[1][0])
                floors.append(floor(w, runs[1][0], root / f"round{n}"))
            seq = runs[1][0]
            floor_seconds = min(f for f, _ in floors)
            floor_builds = floors[0][1]
            print(
                f"units: {len(seq.results)} (1 source shared by 10 packages + 10 independent); "
                f"forge latency {args.latency:g} s per request"
            )
            for r in seq.results:
                print(
                    f"  {r.outcome.value:8} {r.unit[:60]:60} {r.old} -> {r.new}  builds={r.builds} "
                    f"{r.reason[:60]}"
                )
            failed = [r for r in seq.results if r.outcome is not Outcome.UPDATED]
            print(
                f"floor: {floor_builds} raw `nix-build -A` hash-fixing builds, best of "
                f"{args.rounds}: {floor_seconds:.2f} s (all: "
                + ", ".join(f"{f:.2f}" for f, _ in floors)
                + ")"
            )
            best: dict[int, float] = {}
            for jobs, tries in runs.items():
                best[jobs] = min(t.engine_seconds for t in tries)
                overhead = (best[jobs] - floor_seconds) / floor_seconds * 100
                print(
                    f"bot --jobs {jobs}: engine best {best[jobs]:.2f} s (all: "
                    + ", ".join(f"{t.engine_seconds:.2f}" for t in tries)
                    + f"; upstream check {tries[0].check_seconds:.2f} s), {tries[0].builds} Nix "
                    f"hash builds, {tries[0].evaluations} batched evaluations; overhead over the "
                    f"floor: {overhead:+.1f} %"
                )
            ok = all(one_source_build_per_source(t) for tries in runs.values() for t in tries)
            print(f"exactly one source-hash build per distinct source: {'yes' if ok else 'NO'}")
            jobs = max(best)
            target = (best[jobs] - floor_seconds) / floor_seconds * 100
            print(f"target overhead < 15 % (--jobs {jobs}): {'met' if target < 15 else 'NOT met'}")
            if target >= 15:
                units = sum(1 for r in seq.results if r.outcome is Outcome.UPDATED)
                per_unit = (best[1] - floor_seconds) / max(1, units)
                print(
                    f"  why: the fixture's builds take {floor_seconds / max(1, floor_builds):.2f} s "
                    f"each, and each of the {units} units adds {per_unit:.2f} s (--jobs 1) the floor "
                    "does not pay: a verification evaluation of the final files, a scratch "
                    "worktree, ~9 git calls and a re-scan; real downloads (--latency) dwarf them"
                )
            if failed or not ok:
                raise SystemExit(1)
    finally:
        shutil.rmtree(root, ignore_errors=True)


if __name__ == "__main__":
    main()
