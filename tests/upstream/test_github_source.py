"""GitHub through GraphQL batches and REST with ETags, against the local forge."""

from __future__ import annotations

import asyncio
from datetime import timedelta
from pathlib import Path

from upstream_fixtures import BASE, TOKEN, Tag, build_repo

from updater.errors import RateLimitedError, UpstreamError
from updater.state.store import StateStore
from updater.upstream.github import GitHubSource
from updater.upstream.github_query import GitHubApi, GitHubQuery
from updater.upstream.http import HttpClient, HttpSettings
from updater.upstream.model import SourceSpec
from updater_sandbox.forge.local_forge import LocalForge

FAST = HttpSettings(backoff_base=0.01, max_attempts=4)


def _repo(forge: LocalForge, name: str, releases: bool = True) -> dict[str, str]:
    refs = build_repo(
        forge.repo_path("github.com", "acme", name),
        [
            Tag("v1.0.0", 1, annotated=True),
            Tag("v1.1.0", 3),
            Tag("v2.0.0-rc.1", 5),
            Tag("v0.9.0", 0),
        ],
        head_day=7,
    )
    if releases:
        forge.add_release(
            "github.com", "acme", name, "v1.0.0", published_at=BASE + timedelta(days=1)
        )
        forge.add_release(
            "github.com",
            "acme",
            name,
            "v1.1.0",
            published_at=BASE + timedelta(days=3),
            body="notes",
        )
        forge.add_release(
            "github.com",
            "acme",
            name,
            "v2.0.0-rc.1",
            prerelease=True,
            published_at=BASE + timedelta(days=5),
        )
        forge.add_release("github.com", "acme", name, "v3.0.0", draft=True)
    return refs


def _api(forge: LocalForge, **kw: object) -> GitHubApi:
    return GitHubApi(api_url=forge.api_url, graphql_url=forge.graphql_url, token=TOKEN, **kw)  # type: ignore[arg-type]


def _fetch(
    forge: LocalForge, queries: list[GitHubQuery], store: StateStore | None = None, **kw: object
):  # type: ignore[no-untyped-def]
    host = forge.api_url.split("/")[2]

    async def go():  # type: ignore[no-untyped-def]
        async with HttpClient(FAST, tokens={host: TOKEN}) as http:
            return await GitHubSource(http, _api(forge, **kw), store).fetch(queries)

    return asyncio.run(go())


def test_graphql_batch_reads_releases_tags_and_heads_in_one_request(forge: LocalForge) -> None:
    refs = _repo(forge, "one")
    _repo(forge, "two", releases=False)
    queries = [
        GitHubQuery(SourceSpec.github("acme", "one")),
        GitHubQuery(SourceSpec.github("acme", "two")),
        GitHubQuery(SourceSpec.github("acme", "one"), "branch"),
    ]
    forge.clear_requests()
    res = _fetch(forge, queries)
    assert [r.path for r in forge.requests] == ["/api/graphql"]
    one = res[queries[0]]
    assert not isinstance(one, UpstreamError)
    by_tag = {r.tag: r for r in one.releases}
    assert (
        by_tag["v2.0.0-rc.1"].prerelease
        and by_tag["v3.0.0"].draft
        and not by_tag["v1.1.0"].prerelease
    )
    assert by_tag["v1.1.0"].commit == refs["refs/tags/v1.1.0"] and by_tag["v1.1.0"].notes == "notes"
    tags = {t.tag: t for t in one.tags}
    assert tags["v1.0.0"].commit == refs["refs/tags/v1.0.0"]  # annotated tag peeled to its commit
    assert tags["v1.0.0"].date == BASE + timedelta(days=1)
    two = res[queries[1]]
    assert not isinstance(two, UpstreamError) and two.releases == () and len(two.tags) == 4
    head = res[queries[2]]
    assert not isinstance(head, UpstreamError) and head.head is not None
    assert (head.head.branch, head.head.commit, head.head.date) == (
        "main",
        refs["refs/heads/main"],
        BASE + timedelta(days=7),
    )


def test_batches_split_and_one_missing_repo_does_not_hide_others(forge: LocalForge) -> None:
    for n in range(4):
        _repo(forge, f"r{n}", releases=False)
    queries = [GitHubQuery(SourceSpec.github("acme", f"r{n}")) for n in range(4)]
    queries.append(GitHubQuery(SourceSpec.github("acme", "missing")))
    forge.clear_requests()
    res = _fetch(forge, queries, batch_size=2)
    assert len([r for r in forge.requests if r.path == "/api/graphql"]) == 3
    assert isinstance(res[queries[4]], UpstreamError) and "acme/missing" in str(res[queries[4]])
    assert all(not isinstance(res[q], UpstreamError) for q in queries[:4])


def test_graphql_rate_limited_with_http_200_fails_each_query_with_retry_time(
    forge: LocalForge,
) -> None:
    _repo(forge, "one")
    forge.rate_limit.exhaust("graphql", reset_in=600)
    q = GitHubQuery(SourceSpec.github("acme", "one"))
    forge.clear_requests()
    res = _fetch(forge, [q])
    err = res[q]
    assert isinstance(err, RateLimitedError)
    assert err.retry_at is not None and err.retry_at > BASE.timestamp()
    # A limit beyond the bound is the token's: not split, not asked again, not sent to REST.
    assert len([r for r in forge.requests if r.path.startswith("/api/")]) == 1


def test_rest_with_etags_costs_nothing_when_unchanged(forge: LocalForge, tmp_path: Path) -> None:
    _repo(forge, "one")
    q = GitHubQuery(SourceSpec.github("acme", "one"))
    with StateStore.open(f"sqlite:///{tmp_path / 'state.db'}") as store:
        first = _fetch(forge, [q], store, mode="rest")[q]
        used = forge.rate_limit.core.used
        forge.clear_requests()
        second = _fetch(forge, [q], store)[q]  # auto: cached ETags -> REST conditional requests
        assert forge.rate_limit.core.used == used
        assert forge.requests and all(r.was_304 for r in forge.requests)
        assert second == first
        forge.add_release("github.com", "acme", "one", "v0.9.0")
        third = _fetch(forge, [q], store)[q]
        assert (
            not isinstance(third, UpstreamError) and len(third.releases) == len(first.releases) + 1
        )  # type: ignore[union-attr]


def test_without_token_rest_is_used(tmp_path: Path) -> None:
    with LocalForge(tmp_path / "open") as forge:
        _without_token(forge)


def _without_token(forge: LocalForge) -> None:
    _repo(forge, "one")
    q = GitHubQuery(SourceSpec.github("acme", "one"), "branch")

    async def go():  # type: ignore[no-untyped-def]
        async with HttpClient(FAST) as http:
            api = GitHubApi(api_url=forge.api_url, graphql_url=forge.graphql_url, token=None)
            return await GitHubSource(http, api, None).fetch([q])

    forge.clear_requests()
    res = asyncio.run(go())
    assert all(r.path.startswith("/api/v3/") for r in forge.requests)
    snap = res[q]
    assert not isinstance(snap, UpstreamError) and snap.head is not None


def test_a_branch_query_dates_the_pinned_commit_too(tmp_path: Path, forge: LocalForge) -> None:
    # How old a commit pin is: the pinned commit's date comes along with the head, through
    # GraphQL (one request) and REST (one request more, ETag-cached); a pinned commit the
    # upstream no longer has leaves its date unknown, not the query failed.
    refs = _repo(forge, "one")
    pinned = refs["refs/tags/v1.1.0"]
    q = GitHubQuery(SourceSpec.github("acme", "one"), "branch", known_commit=pinned)
    gone = GitHubQuery(SourceSpec.github("acme", "one"), "branch", known_commit="f" * 40)
    forge.clear_requests()
    res = _fetch(forge, [q, gone])
    assert [r.path for r in forge.requests] == ["/api/graphql"]
    snap, lost = res[q], res[gone]
    assert not isinstance(snap, UpstreamError) and not isinstance(lost, UpstreamError)
    assert snap.date_of(pinned) == BASE + timedelta(days=3)
    assert snap.date_of(refs["refs/heads/main"]) == BASE + timedelta(days=7)
    assert lost.date_of("f" * 40) is None and lost.head is not None
    with LocalForge(tmp_path / "open") as open_forge:
        refs = _repo(open_forge, "one")

        async def go():  # type: ignore[no-untyped-def]
            async with HttpClient(FAST) as http:
                api = GitHubApi(open_forge.api_url, open_forge.graphql_url, token=None)
                return await GitHubSource(http, api, None).fetch(
                    [
                        GitHubQuery(q.source, "branch", known_commit=refs["refs/tags/v1.1.0"]),
                        GitHubQuery(q.source, "branch", known_commit="f" * 40),
                    ]
                )

        rest = list(asyncio.run(go()).values())
    assert all(not isinstance(s, UpstreamError) for s in rest), rest
    assert rest[0].date_of(refs["refs/tags/v1.1.0"]) == BASE + timedelta(days=3)  # type: ignore[union-attr]
    assert rest[1].date_of("f" * 40) is None  # type: ignore[union-attr]
