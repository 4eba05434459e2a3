"""The classes of issue 12 end to end: `updater check` and `updater run` on the classes world.

One world (sandbox/updater_sandbox/classes_world.py: its own upstreams on the local forge and
its own NUR), one `check --json` and one `run --all --json` that opens the pull requests; each
class is then asserted on what both commands said. The prerelease channel is run again after
its maintainer closed the PR for 1.5.0: 1.5.0-alpha is not proposed instead.
"""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from updater_sandbox.classes_world import ClassesWorld
from updater_sandbox.forge.state import ForgeIssue, ForgePull

NUR = ("github.com", "nur-owner", "nur")


@dataclass(frozen=True)
class Case:
    package: str
    latest: str  # what check reports as latest and run moves the version to
    rev: str | None  # the tag pinned afterwards (None: the version moves alone, via `${version}`)
    reasons: dict[str, str] = field(default_factory=dict)  # tag -> why passed over


CASES = [
    Case("classes-drafty", "3.2.0", "v3.2.0", {"v3.3.0": "draft"}),
    Case("classes-hidden", "3.2.0", None, {"v3.3.0": "unreleased"}),
    Case(
        "classes-pepper",
        "4.1.1",
        "4.1.1",
        {
            "4.2.0b2": "prerelease",
            "4.2.0a1": "prerelease",
            "4.2.0rc1": "prerelease",
            "4.2.0.dev0": "prerelease",
        },
    ),  # fmt: skip
    Case("classes-longterm", "2.5.0", "v2.5.0", {"v1.9.109": "older"}),
    Case("classes-crowd", "1.8.0", None, {"wasm-0.1.39": "shape"}),
    Case("classes-throng", "1.8.0", None, {"wasm-0.1.149": "shape"}),
    Case("classes-throngberg", "1.8.0", None, {"wasm-0.1.59": "shape"}),
    Case("classes-thronglab", "1.8.0", None, {"wasm-0.1.109": "shape"}),
    Case("classes-crowdberg", "1.8.0", None, {"wasm-0.1.44": "shape"}),
    Case("classes-crowdlab", "1.8.0", None, {"wasm-0.1.59": "shape"}),
    Case("classes-textile", "1.4.0", "loom-1.4.0"),
    Case("classes-knitting", "2.1.0", None),
    Case("classes-weave", "2.1.0", "shuttle-v2.1.0"),
    Case("classes-warp", "1.1.0", "warp-1.1.0-final"),
    Case("classes-dated", "1.2.0", "1.2.0", {"20231102": "shape", "20230101": "shape"}),
    Case("classes-datedgit", "1.2.0", "1.2.0", {"20231102": "shape"}),
]


@dataclass
class Ran:
    world: ClassesWorld
    config: Path
    check: dict[str, dict[str, Any]]
    run: dict[str, dict[str, Any]]
    run_stderr: str


def updater(w: ClassesWorld, config: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "updater", "--repo", str(w.nur_path), "--config", str(config),
         "--log-format", "json", *args],
        capture_output=True, text=True, timeout=540, env=w.process_env(), cwd=w.root,
    )  # fmt: skip


def pulls(w: ClassesWorld) -> list[tuple[ForgePull, ForgeIssue]]:
    return w.forge.state.pulls(NUR)


@pytest.fixture(scope="module")
def ran(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Ran]:
    root = tmp_path_factory.mktemp("classes")
    with ClassesWorld(root / "world") as w:
        config = root / "updater.toml"
        config.write_text(
            "[pull_requests]\nwrite_interval = 0.05\nmax_new_per_hour = 50\n" + w.config_text()
        )
        check = updater(w, config, "check", "--json")
        assert check.returncode == 0, check.stderr[-3000:]
        run = updater(w, config, "run", "--all", "--json")
        assert run.returncode == 0, run.stderr[-3000:]
        yield Ran(
            w,
            config,
            {r["package"]: r for r in json.loads(check.stdout)},
            {p: r for r in json.loads(run.stdout) for p in r["packages"]},
            run.stderr,
        )


@pytest.mark.nix
@pytest.mark.slow
@pytest.mark.parametrize("case", CASES, ids=lambda c: c.package)
def test_check_chooses_right(ran: Ran, case: Case) -> None:
    row = ran.check[case.package]
    assert (row["latest"], row["outdated"], row["error"]) == (case.latest, True, None), row
    got = {s["tag"]: s["reason"] for s in row["skipped"]}
    assert {t: got.get(t) for t in case.reasons} == case.reasons


@pytest.mark.nix
@pytest.mark.slow
@pytest.mark.parametrize("case", CASES, ids=lambda c: c.package)
def test_run_moves_to_the_same_version_and_opens_its_pr(ran: Ran, case: Case) -> None:
    result = ran.run[case.package]
    assert (result["outcome"], result["new"]) == ("updated", case.latest), result
    moved = {c["kind"]: c["new"] for c in result["changes"]}
    assert moved.get("version") == case.latest
    if case.rev is not None:
        assert case.rev in (moved.get("tag"), moved.get("rev")), moved
    else:
        assert not {"tag", "rev"} & set(moved), moved  # `v${version}` follows the version
    assert any(k in moved for k in ("hash", "sha256")), moved  # Nix proved the new source
    titles = [i.title for p, i in pulls(ran.world) if p.head_ref == result["branch"]]
    assert len(titles) == 1 and case.latest in titles[0], titles


@pytest.mark.nix
@pytest.mark.slow
def test_release_notes_of_a_latest_release_far_behind(ran: Ran) -> None:
    """2.5.0 came through latestRelease as a release object: its notes reach the PR."""
    branch = ran.run["classes-longterm"]["branch"]
    bodies = [i.body or "" for p, i in pulls(ran.world) if p.head_ref == branch]
    assert any("faster looms" in b for b in bodies), bodies


@pytest.mark.nix
@pytest.mark.slow
def test_check_and_run_name_the_same_new_commit(ran: Ran) -> None:
    head = ran.world.upstream("tip").head
    row, result = ran.check["classes-tip"], ran.run["classes-tip"]
    assert row["mode"] == "branch" and row["current"] == "0.1.0"
    assert row["latest"] == result["new"] == head.sha[:12]
    assert row["rev"] == head.sha and row["released_at"] == head.date.isoformat()
    # how old the pin is: the pinned commit's own date, asked along with the head
    pinned = ran.world.upstream("tip").commit(row["current_rev"])
    assert pinned.sha != head.sha and row["current_date"] == pinned.date.isoformat()


@pytest.mark.nix
@pytest.mark.slow
def test_declined_release_its_prerelease_never_proposed(ran: Ran) -> None:
    w = ran.world
    channel = ran.run["classes-channel"]
    assert channel["new"] == "1.5.0"  # the prerelease pin rejoins the stable channel
    (pull,) = [p for p, _ in pulls(w) if p.head_ref == channel["branch"]]
    w.forge.close_pull("nur-owner", "nur", pull.number)
    count = len(pulls(w))
    again = updater(w, ran.config, "run", "--package", "classes-channel", "--json")
    assert again.returncode == 0, again.stderr[-3000:]
    assert [r for r in json.loads(again.stdout) if r["outcome"] == "updated"] == []
    assert len(pulls(w)) == count
    (unit,) = json.loads(again.stdout)
    assert unit["new"] is None and "1.5.0-alpha: released" in unit["reason"], unit
