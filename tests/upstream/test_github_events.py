"""Incremental GitHub runs: event feeds with ETags decide which repositories GraphQL asks again."""

from __future__ import annotations

import asyncio
import subprocess
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Literal

import httpx
import pytest
from upstream_fixtures import TOKEN, Tag, build_repo

from updater.state.store import StateStore
from updater.upstream.github import GitHubApi, GitHubQuery, GitHubSource, Result
from updater.upstream.github_events import owners_worth_a_feed
from updater.upstream.http import HttpClient, HttpSettings
from updater.upstream.model import SourceSpec, UpstreamSnapshot
from updater_sandbox.forge.local_forge import LocalForge

FAST = HttpSettings(backoff_base=0.01, max_attempts=4)
REPOS = [("acme", "one"), ("acme", "two"), ("acme", "three"), ("bob", "solo")]
QUERIES = [GitHubQuery(SourceSpec.github(o, r)) for o, r in REPOS]


@pytest.fixture
def world(forge: LocalForge, tmp_path: Path) -> StateStore:
    """Organization acme with three repositories, user bob with one; an empty state store."""
    forge.add_organization("acme")
    for owner, name in REPOS:
        build_repo(forge.repo_path("github.com", owner, name), [Tag("v1.0.0", 1)], head_day=2)
        forge.add_release("github.com", owner, name, "v1.0.0")
    return StateStore.open(f"sqlite:///{tmp_path / 'state.db'}")


def _run(
    forge: LocalForge,
    store: StateStore,
    token: str = TOKEN,
    clock: Callable[[], datetime] | None = None,
    feeds: Literal["auto", "always"] = "always",
) -> Result:
    host = forge.api_url.split("/")[2]
    # The feeds' mechanics are tested on four repositories, where "auto" would use no feed.
    api = GitHubApi(forge.api_url, forge.graphql_url, token, feeds=feeds)
    forge.clear_requests()

    async def go() -> Result:
        async with HttpClient(FAST, tokens={host: token}) as http:
            source = GitHubSource(http, api, store)
            if clock is not None:
                source.clock = clock
            return await source.fetch(QUERIES)

    return asyncio.run(go())


def _points(forge: LocalForge) -> int:
    return forge.rate_limit.core.used + forge.rate_limit.graphql.used


def _graphql_repos(forge: LocalForge) -> list[set[str]]:
    """The repositories each GraphQL request asked about (owner kinds queries excluded)."""
    out = []
    for r in forge.requests:
        if r.path == "/api/graphql" and "repository(" in r.json["query"]:
            v = r.json["variables"]
            out.append({f"{v[k]}/{v['n' + k[1:]]}" for k in v if k.startswith("o")})
    return out


def _latest_tags(results: Result) -> dict[str, str]:
    out = {}
    for q, snap in results.items():
        assert isinstance(snap, UpstreamSnapshot), snap
        out[q.source.repo] = max(t.tag for t in snap.tags)
    return out


def test_cold_run_learns_feeds_and_a_warm_run_with_nothing_changed_costs_nothing(
    forge: LocalForge, world: StateStore
) -> None:
    cold = _run(forge, world)
    kinds = [
        r
        for r in forge.requests
        if r.path == "/api/graphql" and "repositoryOwner" in r.json["query"]
    ]
    feeds = sorted(r.path for r in forge.requests if r.path.endswith("/events"))
    assert len(kinds) == 1
    # acme's three repositories share the organization's feed; bob's repository has its own.
    assert feeds == ["/api/v3/orgs/acme/events", "/api/v3/repos/bob/solo/events"]
    assert _graphql_repos(forge) == [{f"{o}/{r}" for o, r in REPOS}]
    assert len(forge.requests) == 4

    before = _points(forge)
    warm = _run(forge, world)
    assert _points(forge) == before
    assert sorted(r.status for r in forge.requests) == [304, 304]
    assert warm == cold


def test_a_release_in_one_repository_requeries_only_that_repository(
    forge: LocalForge, world: StateStore
) -> None:
    _run(forge, world)
    bare = forge.repo_path("github.com", "acme", "two")
    subprocess.run(["git", "--git-dir", str(bare), "tag", "v2.0.0", "main"], check=True, timeout=30)
    forge.add_release("github.com", "acme", "two", "v2.0.0")
    before = _points(forge)

    warm = _run(forge, world)
    statuses = {r.path: r.status for r in forge.requests if r.path.endswith("/events")}
    assert statuses == {"/api/v3/orgs/acme/events": 200, "/api/v3/repos/bob/solo/events": 304}
    assert _graphql_repos(forge) == [{"acme/two"}]
    assert _points(forge) - before == 2  # the changed feed's page and one GraphQL query
    assert _latest_tags(warm) == {
        "one": "v1.0.0",
        "two": "v2.0.0",
        "three": "v1.0.0",
        "solo": "v1.0.0",
    }

    _run(forge, world)
    assert _graphql_repos(forge) == []  # the change is now the newest event seen


def test_a_new_token_gets_new_etags_but_event_ids_show_nothing_changed(
    forge: LocalForge, world: StateStore
) -> None:
    cold = _run(forge, world)
    response = httpx.post(
        f"{forge.api_url}/app/installations/1/access_tokens",
        headers={"Authorization": "Bearer aaa.bbb.ccc"},
    )
    new_token = response.json()["token"]
    before = _points(forge)

    warm = _run(forge, world, token=new_token)
    assert sorted(r.status for r in forge.requests) == [200, 200]
    assert _graphql_repos(forge) == []
    assert _points(forge) - before == 2  # one point per feed, none for GraphQL
    assert warm == cold
    _run(forge, world, token=new_token)
    assert sorted(r.status for r in forge.requests) == [304, 304]


def test_after_the_refresh_interval_every_repository_is_queried_again(
    forge: LocalForge, world: StateStore
) -> None:
    _run(forge, world)
    later = datetime.now(UTC) + timedelta(hours=7)
    _run(forge, world, clock=lambda: later)
    assert _graphql_repos(forge) == [{f"{o}/{r}" for o, r in REPOS}]
    # The owners' kinds were as old: asked again in the same pass.
    assert any("repositoryOwner" in (r.json or {}).get("query", "") for r in forge.requests)
    _run(forge, world, clock=lambda: later + timedelta(minutes=1))
    assert _graphql_repos(forge) == []


def test_a_failing_feed_sends_its_repositories_to_graphql(
    forge: LocalForge, world: StateStore
) -> None:
    _run(forge, world)
    forge.faults.fail_next(4, status=503, path_prefix="/api/v3/orgs/acme/events")
    _run(forge, world)
    assert _graphql_repos(forge) == [{"acme/one", "acme/two", "acme/three"}]


def test_feeds_are_used_only_where_they_save_requests() -> None:
    # Ten organizations of a hundred repositories: ten feeds replace ten GraphQL requests (a
    # tie in requests, and a 304 costs no point).
    assert owners_worth_a_feed({f"org{i}": 100 for i in range(10)}, 100) == {
        f"org{i}" for i in range(10)
    }
    # Hundreds of owners with a few repositories each: a feed per owner would cost far more
    # requests than the four GraphQL requests that cover them all.
    assert owners_worth_a_feed({f"o{i}": 3 for i in range(300)}, 100) == frozenset()
    # One big organization beside them: its feed takes 150 repositories off GraphQL.
    spread = {**{f"o{i}": 1 for i in range(299)}, "big": 150}
    assert owners_worth_a_feed(spread, 100) == {"big"}
    # Repositories no feed covers still need their GraphQL requests.
    assert owners_worth_a_feed({"acme": 10}, 100, others=60) == frozenset()
    assert owners_worth_a_feed({"acme": 100}, 100, others=60) == {"acme"}


def test_auto_asks_no_feed_and_no_owner_kinds_where_feeds_cannot_pay(
    forge: LocalForge, world: StateStore
) -> None:
    _run(forge, world, feeds="auto")
    assert not [r for r in forge.requests if r.path.endswith("/events")]
    assert _graphql_repos(forge) == [{f"{o}/{r}" for o, r in REPOS}]
    assert len(forge.requests) == 1
