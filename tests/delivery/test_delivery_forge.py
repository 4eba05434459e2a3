"""Delivery on the local forge without Nix: a commit made by hand stands for the engine's.

The default pacing (writes at least a second apart), a merged PR's branch deleted once, and
pushing through the configured URL with the token only in askpass.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from delivery_support import (
    BOT_EMAIL,
    Bot,
    api_requests,
    check_requests_against_openapi,
    git,
    open_pulls,
    remote_sha,
    world_environment,
)

from updater.delivery import Delivery, DeliveryReport, push_url_of, wanted
from updater.engine.result import Outcome, PinChange, UpdateResult
from updater.nixfile.model import Location, PinKind
from updater_sandbox.world import World

OWNER, REPO = "nur-owner", "nur"


@pytest.fixture
def world(tmp_path: Path) -> Iterator[World]:
    with World(tmp_path / "world") as w:
        yield w


def bot_commit(w: World, branch: str, version: str) -> UpdateResult:
    """What the engine leaves behind: a bot commit on a local branch of the package repo."""
    repo = w.nur_path
    base = git(w, repo, "rev-parse", "HEAD")
    git(w, repo, "checkout", "-q", "-b", f"tmp-{version}")
    (repo / "pkgs" / "legacy" / "feed-proxy.nix").write_text(f"# {version}\n")
    git(w, repo, "commit", "-q", "-am", f"legacy-feed-proxy: -> {version}", email=BOT_EMAIL)
    sha = git(w, repo, "rev-parse", "HEAD")
    git(w, repo, "checkout", "-q", "main")
    git(w, repo, "branch", "-q", "-f", branch, sha)
    git(w, repo, "branch", "-q", "-D", f"tmp-{version}")
    change = PinChange(
        Location("pkgs/legacy/feed-proxy.nix", 4, 0, 1),
        PinKind.VERSION,
        "version",
        "0.1.0",
        version,
    )
    return UpdateResult(
        unit="tangled.sh/@legacy.example.net/feed-proxy",
        packages=("legacy-feed-proxy",),
        outcome=Outcome.UPDATED,
        old="0.1.0",
        new=version,
        changes=(change,),
        verified=True,
        commit=sha,
        branch=branch,
        base=base,
    )


def deliver(bot: Bot, *results: UpdateResult) -> tuple[float, DeliveryReport]:
    ctx = bot.context()
    with world_environment(bot.world), Delivery.open(ctx) as delivery:
        delivery.sync()
        started = time.monotonic()
        report = delivery.deliver(list(results))
        return time.monotonic() - started, report


def test_default_pacing_keeps_writes_a_second_apart(world: World, tmp_path: Path) -> None:
    bot = Bot(world, tmp_path / "state.db", {"write_interval": 1.0})
    assert bot.context().config.pull_requests.write_interval == 1.0  # the default, spelled out
    result = bot_commit(world, "updater/legacy-feed-proxy", "0.2.0")
    elapsed, _ = deliver(bot, result)
    paced = [r for r in api_requests(world) if r.method in ("POST", "PATCH", "PUT", "DELETE")]
    # open, labels, reviewers, dashboard: each after a full second
    assert len(paced) == 4
    assert elapsed >= len(paced) - 1
    # The push is a write too: every content-creating request, as the forge saw them arrive,
    # comes at least a second after the one before.
    writes = [
        r for r in world.forge.requests
        if r.path.endswith("/git-receive-pack")
        or (r.path.startswith("/api/v3/") and r.method in ("POST", "PATCH", "PUT", "DELETE"))
    ]  # fmt: skip
    assert len(writes) == 5 and writes[0].path.endswith("/git-receive-pack")
    gaps = [b.at - a.at for a, b in zip(writes, writes[1:], strict=False)]
    assert min(gaps) >= 1.0, gaps
    assert remote_sha(world, "updater/legacy-feed-proxy") == result.commit
    check_requests_against_openapi(world)


def test_merged_pr_branch_is_deleted_once(world: World, tmp_path: Path) -> None:
    bot = Bot(world, tmp_path / "state.db")
    result = bot_commit(world, "updater/legacy-feed-proxy", "0.2.0")
    _, report = deliver(bot, result)
    (pull,) = open_pulls(world).values()
    world.forge.merge_pull(OWNER, REPO, pull.number)

    _, report = deliver(bot)
    assert report.deleted_branches == ("updater/legacy-feed-proxy",)
    assert remote_sha(world, "updater/legacy-feed-proxy") is None
    sent = len(world.forge.requests)
    _, report = deliver(bot)
    assert report.deleted_branches == ()
    assert not [r for r in world.forge.requests[sent:] if r.method == "DELETE"]
    check_requests_against_openapi(world)


def test_push_url_and_whether_to_deliver(world: World, tmp_path: Path) -> None:
    ctx = Bot(world, tmp_path / "state.db").context()
    assert wanted(ctx)
    assert push_url_of(ctx) == f"{world.forge.server_url}/{OWNER}/{REPO}.git"
    disabled = Bot(world, tmp_path / "state.db", {"enabled": False}).context()
    assert not wanted(disabled)
