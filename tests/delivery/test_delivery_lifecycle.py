"""The PR lifecycle end to end: the engine with real Nix and real git on the world's fixture NUR,
delivery on the local forge, every REST request checked against GitHub's OpenAPI description."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from delivery_support import (
    BOT_EMAIL,
    Bot,
    check_requests_against_openapi,
    comments,
    dashboards,
    git,
    issue,
    open_pulls,
    person_pushes,
    pulls,
    remote_sha,
    writes,
)

from updater.engine.result import Outcome
from updater.forge.lifecycle import PERSON_PUSHED_MARKER
from updater.forge.metadata import parse_metadata
from updater.state.delivery import declined_records, pull_records
from updater.state.store import StateStore
from updater_sandbox.world import World

pytestmark = pytest.mark.nix

OWNER, REPO = "nur-owner", "nur"


@pytest.fixture
def world(tmp_path: Path) -> Iterator[World]:
    if shutil.which("nix-build") is None:
        pytest.skip("nix-build is not installed")
    with World(tmp_path / "world") as w:
        yield w


def _checkout(w: World) -> tuple[str, str, str]:
    repo = w.nur_path
    return (
        git(w, repo, "rev-parse", "HEAD"),
        git(w, repo, "symbolic-ref", "--short", "HEAD"),
        git(w, repo, "status", "--porcelain", "--untracked-files=all"),
    )


def test_run_all_opens_the_expected_prs_and_a_second_run_none(world: World, tmp_path: Path) -> None:
    bot = Bot(world, tmp_path / "state.db", {"max_new_per_hour": 50})
    before = _checkout(world)
    results, report = bot.run()

    updated = {r.branch: r for r in results if r.outcome is Outcome.UPDATED}
    assert len(updated) >= 8, [(r.unit, r.outcome, r.reason) for r in results]
    opened = open_pulls(world)
    assert set(opened) == set(updated)
    assert {u.pull for u in report.opened} == {p.number for p in opened.values()}
    for branch, pull in opened.items():
        result = updated[branch]
        assert remote_sha(world, branch) == result.commit == pull.head_sha
        meta = parse_metadata(issue(world, pull.number).body)
        assert meta is not None and meta.new_version == result.new
        assert meta.packages == result.packages and branch.endswith(meta.name)
        assert issue(world, pull.number).labels == ("dependencies",)
        assert pull.requested_reviewers == ("maintainer",)
    failed = [r for r in results if r.outcome is Outcome.FAILED]
    (board,) = dashboards(world)
    for pull in opened.values():
        assert f"#{pull.number}" in (board.body or "")
    for r in failed:
        assert r.unit in (board.body or "") or any(p in (board.body or "") for p in r.packages)
    assert _checkout(world) == before  # the user's checkout: same HEAD, branch, nothing new

    sent = len(world.forge.requests)
    results2, report2 = bot.run()
    assert report2.opened == () and report2.updated == ()
    again = world.forge.requests[sent:]
    assert not [r for r in again if r.method == "POST" and r.path.endswith("/pulls")]
    assert not [r for r in again if r.path.endswith("/git-receive-pack")]
    assert {b: p.number for b, p in open_pulls(world).items()} == {
        b: p.number for b, p in opened.items()
    }
    assert len(pulls(world)) == len(opened) and len(dashboards(world)) == 1
    assert {r.unit for r in results2 if r.outcome is Outcome.UPDATED} == {
        r.unit for r in updated.values()
    }
    assert check_requests_against_openapi(world) > 20


def test_new_release_updates_the_same_pr_with_a_comment(world: World, tmp_path: Path) -> None:
    bot = Bot(world, tmp_path / "state.db")
    _, first = bot.run("jetstream-jetstream")
    (unit,) = first.opened
    branch = "updater/jetstream-jetstream"
    first_sha = remote_sha(world, branch)
    assert unit.pull is not None and first_sha is not None

    world.upstream("jetstream").add_release("0.5.0", body="Fixes #12, thanks @alice")
    results, second = bot.run("jetstream-jetstream")
    (result,) = results
    assert result.new == "0.5.0"
    assert second.opened == () and [u.pull for u in second.updated] == [unit.pull]
    (pull,) = pulls(world)
    assert pull.number == unit.pull and pull.head_ref == branch
    assert remote_sha(world, branch) == result.commit != first_sha
    body = issue(world, pull.number)
    assert "0.5.0" in body.title
    meta = parse_metadata(body.body)
    assert meta is not None and (meta.old_version, meta.new_version) == ("0.2.0", "0.5.0")
    (comment,) = comments(world, pull.number)
    assert "0.5.0" in comment.body and "0.3.0" in comment.body
    assert check_requests_against_openapi(world) > 0


def _check_row(w: World, tmp: Path, package: str) -> dict[str, Any]:
    """`updater check --json -p package` with the Bot's state store, as a person runs it."""
    config = tmp / "check.toml"
    config.write_text(f'[state]\nurl = "sqlite:///{tmp / "state.db"}"\n')
    done = subprocess.run(
        [sys.executable, "-m", "updater", "--repo", str(w.nur_path), "--config", str(config),
         "--log-format", "json", "check", "--json", "-p", package],
        capture_output=True, text=True, timeout=300, env=w.process_env(),
    )  # fmt: skip
    assert done.returncode == 0, done.stderr[-2000:]
    (row,) = [r for r in json.loads(done.stdout) if r["package"] == package]
    return dict(row)


def test_a_declined_version_is_not_proposed_again_but_a_newer_one_is(
    world: World, tmp_path: Path
) -> None:
    bot = Bot(world, tmp_path / "state.db")
    _, first = bot.run("webapp-skyview")
    (opened,) = first.opened
    assert opened.pull is not None
    world.forge.close_pull(OWNER, REPO, opened.pull)

    results, second = bot.run("webapp-skyview")
    (result,) = results
    # The engine itself passes over 2.1.0 (the policy's ignore list): no Nix work, no PR.
    assert result.outcome is Outcome.SKIPPED, result
    assert [(d.name, d.version) for d in second.declined_now] == [("webapp-skyview", "2.1.0")]
    assert len(pulls(world)) == 1 and open_pulls(world) == {}
    # `check` reads the declined versions the run recorded: not outdated for 2.1.0 any more.
    row = _check_row(world, tmp_path, "webapp-skyview")
    assert not row["outdated"], row
    assert {"tag": "v2.1.0", "version": "2.1.0", "reason": "ignored"} in row["skipped"], row

    world.upstream("skyview").add_release("2.2.0")
    results, third = bot.run("webapp-skyview")
    (result,) = results
    assert result.new == "2.2.0"
    (reopened,) = third.opened
    assert reopened.pull is not None and reopened.pull != opened.pull
    (pull,) = open_pulls(world).values()
    assert pull.number == reopened.pull and pull.head_sha == result.commit
    assert issue(world, opened.pull).state == "closed"
    (board,) = dashboards(world)
    assert "Declined versions" in (board.body or "") and "2.1.0" in (board.body or "")
    assert check_requests_against_openapi(world) > 0


def test_a_persons_commit_on_the_bot_branch_survives(world: World, tmp_path: Path) -> None:
    bot = Bot(world, tmp_path / "state.db")
    _, first = bot.run("legacy-feed-proxy")
    (opened,) = first.opened
    assert opened.pull is not None
    branch = "updater/legacy-feed-proxy"
    hers = person_pushes(world, tmp_path, branch)
    assert remote_sha(world, branch) == hers

    for message in ("more work", "even more"):
        world.upstream("feedproxy").add_commit(message)
        results, report = bot.run("legacy-feed-proxy")
        assert results[0].outcome is Outcome.UPDATED
        assert report.updated == () and report.opened == ()
        assert remote_sha(world, branch) == hers
    notices = [c for c in comments(world, opened.pull) if PERSON_PUSHED_MARKER in c.body]
    assert len(notices) == 1
    assert len(pulls(world)) == 1
    # Only the bot's own identity makes a branch the bot's.
    assert git(world, world.nur_remote_path, "log", "-1", "--format=%ae", hers) != BOT_EMAIL
    assert check_requests_against_openapi(world) > 0


@pytest.mark.parametrize("status", [404, 502])
def test_a_compare_endpoint_failing_never_makes_a_persons_branch_look_absent(
    world: World, tmp_path: Path, status: int
) -> None:
    bot = Bot(world, tmp_path / "state.db")
    _, first = bot.run("legacy-feed-proxy")
    (opened,) = first.opened
    branch = "updater/legacy-feed-proxy"
    hers = person_pushes(world, tmp_path, branch)
    # GitHub's compare endpoint answering 404 (as if the branch were gone) or 5xx.
    world.forge.faults.fail_next(
        1000, status=status, path_prefix=f"/api/v3/repos/{OWNER}/{REPO}/compare"
    )
    world.upstream("feedproxy").add_commit("more work")
    sent = len(world.forge.requests)
    results, report = bot.run("legacy-feed-proxy")
    assert results[0].outcome is Outcome.UPDATED
    assert report.updated == () and report.opened == ()
    assert remote_sha(world, branch) == hers
    assert not [r for r in world.forge.requests[sent:] if r.path.endswith("/git-receive-pack")]
    assert any(PERSON_PUSHED_MARKER in c.body for c in comments(world, opened.pull or 0))


def test_a_branch_git_cannot_read_is_not_pushed(world: World, tmp_path: Path) -> None:
    bot = Bot(world, tmp_path / "state.db")
    bot.run("legacy-feed-proxy")
    branch = "updater/legacy-feed-proxy"
    before = remote_sha(world, branch)
    world.upstream("feedproxy").add_commit("more work")
    # Every git request to the NUR's repository fails: the bot cannot prove the branch is its own.
    world.forge.faults.fail_next(1000, status=500, path_prefix=f"/github.com/{OWNER}/{REPO}")
    results, report = bot.run("legacy-feed-proxy", delivery_errors=True)
    world.forge.faults.reset()
    assert results[0].outcome is Outcome.UPDATED
    assert report.updated == () and report.opened == ()
    assert any("cannot tell whose commits" in (u.error or "") for u in report.units)
    assert remote_sha(world, branch) == before


def test_a_failed_newer_update_keeps_the_open_pr(world: World, tmp_path: Path) -> None:
    bot = Bot(world, tmp_path / "state.db")
    _, first = bot.run("legacy-feed-proxy")
    (opened,) = first.opened
    branch = "updater/legacy-feed-proxy"
    sha = remote_sha(world, branch)
    # The upstream moves on, but its archive cannot be downloaded: the update fails.
    world.upstream("feedproxy").add_commit("newer")
    world.forge.faults.fail_next(
        1000, 500, path_prefix="/tangled.sh/@legacy.example.net/feed-proxy/archive/"
    )
    results, report = bot.run("legacy-feed-proxy")
    (result,) = results
    assert result.outcome is Outcome.FAILED
    (unit,) = report.units
    assert unit.pull == opened.pull and "kept" in unit.describe()
    assert remote_sha(world, branch) == sha and len(pulls(world)) == 1
    assert comments(world, opened.pull or 0) == []
    (board,) = dashboards(world)
    assert "legacy-feed-proxy" in (board.body or "").split("## Failures")[1]


def test_limits_hold(world: World, tmp_path: Path) -> None:
    state = tmp_path / "state.db"
    hourly = Bot(world, state, {"max_new_per_hour": 1, "max_open": 10})
    _, report = hourly.run("legacy-feed-proxy", "webapp-skyview")
    assert len(report.opened) == 1 and len(open_pulls(world)) == 1
    refused = [u for u in report.units if u.done == ("skip",)]
    assert len(refused) == 1 and "in the last hour (limit 1)" in refused[0].reason
    # Nothing pushed for the refused one: no orphan branch.
    assert remote_sha(world, f"updater/{refused[0].name}") is None

    at_most_one = Bot(world, state, {"max_new_per_hour": 10, "max_open": 1})
    _, report = at_most_one.run("legacy-feed-proxy", "webapp-skyview")
    assert report.opened == () and len(open_pulls(world)) == 1
    assert any("update PRs are open (limit 1)" in u.reason for u in report.units)
    assert check_requests_against_openapi(world) > 0


def test_store_loss_does_not_duplicate_prs(world: World, tmp_path: Path) -> None:
    state = tmp_path / "state.db"
    bot = Bot(world, state)
    _, first = bot.run("legacy-feed-proxy", "webapp-skyview")
    assert len(first.opened) == 2
    declined = next(u for u in first.opened if u.name == "legacy-feed-proxy")
    world.forge.close_pull(OWNER, REPO, declined.pull or 0)
    (dashboard,) = dashboards(world)

    for leftover in tmp_path.glob("state.db*"):
        leftover.unlink()
    results, second = bot.run("legacy-feed-proxy", "webapp-skyview")
    assert second.opened == () and second.updated == ()
    assert len(pulls(world)) == 2 and [d.number for d in dashboards(world)] == [dashboard.number]
    with StateStore.open(f"sqlite:///{state}") as store:
        rebuilt = {p.name: p.state for p in pull_records(store)}
        assert rebuilt == {"legacy-feed-proxy": "closed", "webapp-skyview": "open"}
        assert [d.name for d in declined_records(store)] == ["legacy-feed-proxy"]
    assert check_requests_against_openapi(world) > 0


def test_dry_run_sends_no_write_and_says_what_it_would_do(world: World, tmp_path: Path) -> None:
    bot = Bot(world, tmp_path / "state.db")
    results, report = bot.run("webapp-skyview", dry_run=True)
    assert results[0].outcome is Outcome.UPDATED and results[0].commit is None
    assert writes(world) == []
    assert not [r for r in world.forge.requests if r.query.get("service") == ["git-receive-pack"]]
    lines = report.lines()
    assert any(
        line.startswith(
            "[dry-run] would POST /repos/nur-owner/nur/pulls: open updater/webapp-skyview"
        )
        for line in lines
    ), lines
    assert any(
        line.startswith("[dry-run] would PUSH refs/heads/updater/webapp-skyview") for line in lines
    )
    assert any(
        "[dry-run] would POST /repos/nur-owner/nur/issues: create the dashboard" in line
        for line in lines
    )
    assert pulls(world) == [] and dashboards(world) == []
    assert check_requests_against_openapi(world) > 0
