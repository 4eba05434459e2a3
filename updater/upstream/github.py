"""GitHub: releases, tags and branch heads for many repositories at once.

GraphQL first (github_graphql.py: up to 100 repositories per query).

With a state store and a token ("auto" mode), runs are incremental: GraphQL has no conditional
requests, so a warm run first asks GitHub's event feeds whether anything changed, with ETags (a
304 costs nothing), and queries again only the repositories named by new events, plus those
whose snapshot is older than `full_refresh` (see github_events.py for the trade-offs). A cold run
is one GraphQL query for the owners' kinds, one request per feed, then GraphQL for everything.

REST (github_rest.py) is the fallback (no token, GraphQL unavailable) and "rest" mode:
conditional requests with the ETags kept in the state store, so an unchanged repository answers
304 and costs no rate limit.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from typing import Any

from updater.errors import UpstreamError
from updater.logs import get_logger
from updater.state.store import StateStore
from updater.upstream import github_events
from updater.upstream.github_graphql import GitHubGraphQL
from updater.upstream.github_memory import GitHubMemory, OwnerKind
from updater.upstream.github_query import MAX_BATCH, GitHubApi, GitHubQuery, Result
from updater.upstream.github_rest import GitHubRest
from updater.upstream.http import HttpClient
from updater.upstream.model import UpstreamSnapshot


def _log() -> Any:
    # Looked up per call: a logger bound at import time would miss configure_logging().
    return get_logger("upstream.github")


def _utcnow() -> datetime:
    return datetime.now(UTC)


class GitHubSource:
    def __init__(
        self,
        http: HttpClient,
        api: GitHubApi,
        store: StateStore | None = None,
        clock: Callable[[], datetime] = _utcnow,
    ) -> None:
        self.http = http
        self.api = api
        self.store = store
        self.clock = clock
        self.graphql = GitHubGraphQL(http, api)
        self.rest = GitHubRest(http, api, store)

    async def fetch(self, queries: Sequence[GitHubQuery]) -> Result:
        """One answer per query; a failure of one repository never hides the others."""
        queries = list(dict.fromkeys(queries))
        if self.store is not None and self.api.token and self.api.mode == "auto":
            # Repositories already followed with REST ETags stay on them (a 304 is free too).
            by_rest = self.rest.with_etags(queries)
            skip = set(by_rest)
            results = await self._fetch_incremental(
                [q for q in queries if q not in skip], GitHubMemory(self.store)
            )
            await self._rest_all(by_rest, results)
            return results
        results = {}
        rest: list[GitHubQuery] = []
        graphql: list[GitHubQuery] = []
        etagged = set(self.rest.with_etags(queries)) if self.api.mode == "auto" else set()
        for q in queries:
            if self.api.mode == "rest" or (
                self.api.mode == "auto" and (not self.api.token or q in etagged)
            ):
                rest.append(q)
            else:
                graphql.append(q)
        if graphql:
            fallback = await self.graphql.all(graphql, results)
            rest.extend(fallback)
        await self._rest_all(rest, results)
        return results

    async def _rest_all(self, rest: list[GitHubQuery], results: Result) -> None:
        answers = await asyncio.gather(*(self.rest.one(q) for q in rest), return_exceptions=True)
        for q, a in zip(rest, answers, strict=True):
            # A rate limit too (RateLimitedError is one): each query keeps its own cause.
            if isinstance(a, UpstreamError):
                results[q] = a
            elif isinstance(a, BaseException):
                raise a
            else:
                results[q] = a

    # -- incremental runs: event feeds, then GraphQL for what changed --------------------------

    async def _fetch_incremental(self, queries: list[GitHubQuery], memory: GitHubMemory) -> Result:
        if not queries:
            return {}
        now = self.clock()
        stale_before = now - self.api.full_refresh
        keys = {q: _snapshot_key(q, self.api) for q in queries}
        stored = memory.snapshots({k: q.source for q, k in keys.items()})
        kinds = await self._owner_kinds(memory, self._feed_candidates(queries), now, stale_before)
        if self.api.feeds == "auto":
            kinds = self._worth_a_feed(queries, kinds)
        feeds, feed_of = _feeds(queries, kinds, self.api.api_url)
        previous = memory.feeds(list(feeds))
        # Feeds before GraphQL: a change landing in between shows in the feed next run.
        outcomes = await asyncio.gather(
            *(github_events.poll(self.http, f, previous.get(f.url), now) for f in feeds.values())
        )
        by_url = {o.feed.url: o for o in outcomes}
        ask: list[GitHubQuery] = []
        for q in queries:
            snap = stored.get(keys[q])
            url = feed_of.get(q)
            outcome = by_url.get(url) if url is not None else None
            if (
                snap is None
                or snap.fetched_at < stale_before
                or outcome is None
                or outcome.touches(q.source.owner, q.source.repo)
            ):
                ask.append(q)
        results: Result = {}
        if ask:
            fallback = await self.graphql.all(ask, results)
            await self._rest_all(fallback, results)
        fresh = {keys[q]: r for q in ask if isinstance(r := results.get(q), UpstreamSnapshot)}
        memory.put_snapshots(fresh, now)
        memory.forget_snapshots([keys[q] for q in ask if keys[q] not in fresh])
        memory.put_feeds(
            [o.record for o in outcomes if o.record is not None and not o.not_modified]
        )
        asked = set(ask)
        for q in queries:
            if q not in asked:
                results[q] = stored[keys[q]].snapshot
        _log().info(
            "github.incremental",
            queries=len(queries),
            feeds=len(feeds),
            unchanged_feeds=sum(1 for o in outcomes if o.not_modified),
            queried=len(ask),
        )
        return results

    def _feed_candidates(self, queries: list[GitHubQuery]) -> list[GitHubQuery]:
        """The queries whose owner's kind is worth learning: only a feed needs it."""
        if self.api.feeds == "always":
            return queries
        worth = github_events.owners_worth_a_feed(_repos_per_owner(queries), self.api.batch_size)
        return [q for q in queries if q.source.owner.lower() in worth]

    def _worth_a_feed(
        self, queries: list[GitHubQuery], kinds: dict[str, OwnerKind]
    ) -> dict[str, OwnerKind]:
        """The organizations of `kinds` whose feed saves requests (a user's never does)."""
        orgs = [q for q in queries if kinds.get(q.source.owner.lower()) == "Organization"]
        rest = set(queries).difference(orgs)
        others = sum(_repos_per_owner(list(rest)).values())
        worth = github_events.owners_worth_a_feed(
            _repos_per_owner(orgs), self.api.batch_size, others
        )
        return {o: k for o, k in kinds.items() if o in worth}

    async def _owner_kinds(
        self,
        memory: GitHubMemory,
        queries: list[GitHubQuery],
        now: datetime,
        stale_before: datetime,
    ) -> dict[str, OwnerKind]:
        """User or Organization by lower-case login; one GraphQL query for those not known."""
        logins = list(dict.fromkeys(q.source.owner.lower() for q in queries))
        known = memory.owners(logins)
        kinds: dict[str, OwnerKind] = {
            k: r.kind for k, r in known.items() if r.checked_at >= stale_before
        }
        unknown = [x for x in logins if x not in kinds]
        if not unknown:
            return kinds
        learned: dict[str, OwnerKind] = {}
        for i in range(0, len(unknown), MAX_BATCH):
            learned.update(await self.graphql.owner_kinds(unknown[i : i + MAX_BATCH]))
        memory.put_owners(learned, now)
        # An owner not learned now keeps a kind seen before, or has no feed this run.
        return {**{k: r.kind for k, r in known.items()}, **learned, **kinds}


def _repos_per_owner(queries: list[GitHubQuery]) -> dict[str, int]:
    counts: dict[str, int] = {}
    for repo in {(q.source.owner.lower(), q.source.repo.lower()) for q in queries}:
        counts[repo[0]] = counts.get(repo[0], 0) + 1
    return counts


def _snapshot_key(q: GitHubQuery, api: GitHubApi) -> str:
    """What a stored snapshot answers: the repository, the need and the page sizes asked."""
    repo = f"{q.source.owner}/{q.source.repo}".lower()
    if q.need == "branch":
        return f"{repo}|branch|{q.branch or ''}|{q.known_commit or ''}"
    return f"{repo}|releases|{api.releases}|{api.tags}"


def _feeds(
    queries: list[GitHubQuery], kinds: dict[str, OwnerKind], api_url: str
) -> tuple[dict[str, github_events.Feed], dict[GitHubQuery, str]]:
    """The event feeds covering the queries' repositories, and each query's feed.

    An organization's repositories share its feed; a user's repository has its own. A query
    whose owner's kind is unknown has no feed: it is queried every run until the kind is known.
    """
    members: dict[str, set[str]] = {}
    feed_of: dict[GitHubQuery, str] = {}
    for q in queries:
        owner = q.source.owner.lower()
        kind = kinds.get(owner)
        if kind is None:
            continue
        url = (
            github_events.org_feed(api_url, owner)
            if kind == "Organization"
            else github_events.repo_feed(api_url, owner, q.source.repo.lower())
        )
        members.setdefault(url, set()).add(f"{owner}/{q.source.repo}".lower())
        feed_of[q] = url
    feeds = {url: github_events.Feed(url, frozenset(repos)) for url, repos in members.items()}
    return feeds, feed_of
