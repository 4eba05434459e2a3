"""One bad repository in a GraphQL batch cannot sink the others (local forge, real git).

The forge's per-repository faults answer every request naming the repository, so a batch that
holds a bad one fails as a whole, as it did on GitHub when every repository went into one query.
"""

from __future__ import annotations

import asyncio
import time

from upstream_fixtures import TOKEN, Tag, build_repo

from updater.errors import RateLimitedError, UpstreamError
from updater.upstream.github import GitHubSource
from updater.upstream.github_query import GitHubApi, GitHubQuery, Result
from updater.upstream.http import HttpClient, HttpSettings
from updater.upstream.model import SourceSpec, UpstreamSnapshot
from updater_sandbox.forge.local_forge import LocalForge

FAST = HttpSettings(backoff_base=0.01, max_attempts=3)
NAMES = [f"r{n}" for n in range(7)]


def _repos(forge: LocalForge) -> list[GitHubQuery]:
    for name in NAMES:
        build_repo(
            forge.repo_path("github.com", "acme", name),
            [Tag("v1.0.0", 1), Tag("v1.1.0", 3)],
            head_day=4,
        )
    return [GitHubQuery(SourceSpec.github("acme", name)) for name in NAMES]


def _fetch(forge: LocalForge, queries: list[GitHubQuery]) -> Result:
    host = forge.api_url.split("/")[2]
    api = GitHubApi(api_url=forge.api_url, graphql_url=forge.graphql_url, token=TOKEN)

    async def go() -> Result:
        async with HttpClient(FAST, tokens={host: TOKEN}) as http:
            return await GitHubSource(http, api).fetch(queries)

    return asyncio.run(go())


def _graphql(forge: LocalForge) -> list[frozenset[str]]:
    return [r.repos for r in forge.requests if r.path == "/api/graphql"]


def test_down_rate_limited_429_and_dropping_repositories_in_one_batch(
    forge: LocalForge,
) -> None:
    queries = _repos(forge)
    forge.faults.repo_down("acme", "r1")
    window = forge.faults.repo_rate_limited("acme", "r3", reset_in=2)
    forge.faults.repo_retry_after("acme", "r4", seconds=1)
    forge.faults.repo_drop("acme", "r5", n=2)
    forge.clear_requests()
    started = time.time()
    res = _fetch(forge, queries)

    down = res[queries[1]]
    assert isinstance(down, UpstreamError) and not isinstance(down, RateLimitedError)
    assert "acme/r1" in str(down) and "HTTP 502" in str(down)
    for i in (0, 2, 3, 4, 5, 6):
        snap = res[queries[i]]
        assert isinstance(snap, UpstreamSnapshot), (i, snap)
        assert {t.tag for t in snap.tags} == {"v1.0.0", "v1.1.0"}
    # The down repository was asked about on its own before it was given up.
    assert frozenset({"acme/r1"}) in _graphql(forge)
    # Nothing was asked between the rate limit's first refusal and its reset (requests
    # already on their way when it was answered aside).
    first, reset = window.first, window.reset
    assert first is not None and reset is not None
    assert not [r for r in forge.requests if "acme/r3" in r.repos and first < r.at < reset]
    assert not [r for r in forge.requests if first + 0.5 < r.at < reset]
    assert any(r.at >= reset and "acme/r3" in r.repos for r in forge.requests)
    # The 2 s reset and the 1 s Retry-After were waited out, not reported.
    assert time.time() - started < 30


def test_a_repository_whose_connection_always_drops_is_isolated(forge: LocalForge) -> None:
    queries = _repos(forge)
    forge.faults.repo_drop("acme", "r6", n=None)
    forge.clear_requests()
    res = _fetch(forge, queries)
    dropped = res[queries[6]]
    assert isinstance(dropped, UpstreamError) and "connection failed" in str(dropped)
    assert "acme/r6" in str(dropped)
    assert all(isinstance(res[q], UpstreamSnapshot) for q in queries[:6])
    # The batch, then each repository once; only the bad one asked again (the retries).
    asked = _graphql(forge)
    assert len(asked) == FAST.max_attempts + 6 + FAST.max_attempts


def test_a_large_batch_is_bisected(forge: LocalForge) -> None:
    names = [f"big{n}" for n in range(40)]
    for name in names:
        build_repo(forge.repo_path("github.com", "acme", name), [Tag("v1.0.0", 1)], head_day=2)
    queries = [GitHubQuery(SourceSpec.github("acme", name)) for name in names]
    forge.faults.repo_down("acme", "big17")
    forge.clear_requests()
    res = _fetch(forge, queries)
    assert isinstance(res[queries[17]], UpstreamError)
    assert sum(isinstance(r, UpstreamSnapshot) for r in res.values()) == 39
    # Halves down to 8 or fewer, then single repositories: far fewer requests than 40.
    assert len(_graphql(forge)) < 25


def test_graphql_down_for_everyone_falls_back_to_rest(forge: LocalForge) -> None:
    queries = _repos(forge)
    forge.faults.fail_next(1000, status=503, path_prefix="/api/graphql")
    forge.clear_requests()
    res = _fetch(forge, queries)
    assert all(isinstance(res[q], UpstreamSnapshot) for q in queries)
    # Given up after one round of failed requests and a probe, then REST for everyone.
    graphql = _graphql(forge)
    assert len(graphql) == (1 + 7 + 1) * FAST.max_attempts  # the batch, each repo, one probe
