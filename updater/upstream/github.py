"""GitHub: releases, tags and branch heads for many repositories at once.

GraphQL first: up to 100 aliased `repository` fields per query, fewer when the estimated node
count asks for it, a batch halved again when GitHub answers that it is too big. GraphQL errors
come back with HTTP 200 and are sorted out per alias. The query text depends only on the batch's
shape (names go in variables), so GitHub sees the same few documents every run.

With a state store and a token ("auto" mode), runs are incremental: GraphQL has no conditional
requests, so a warm run first asks GitHub's event feeds whether anything changed, with ETags (a
304 costs nothing), and queries again only the repositories named by new events, plus those
whose snapshot is older than `full_refresh` (see github_events.py for the trade-offs). A cold run
is one GraphQL query for the owners' kinds, one request per feed, then GraphQL for everything.

REST is the fallback (no token, GraphQL unavailable) and "rest" mode: conditional requests with
the ETags kept in the state store, so an unchanged repository answers 304 and costs no rate limit.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from typing import Any, Literal

from updater.errors import RateLimitedError, UpstreamError
from updater.logs import get_logger
from updater.state.store import StateStore
from updater.upstream import cached, github_events, parse
from updater.upstream.github_memory import GitHubMemory, OwnerKind
from updater.upstream.http import HttpClient, HttpResponse
from updater.upstream.model import BranchHead, SourceSpec, UpstreamRelease, UpstreamSnapshot


def _log() -> Any:
    # Looked up per call: a logger bound at import time would miss configure_logging().
    return get_logger("upstream.github")


MAX_BATCH = 100
DEFAULT_BATCH = 100
# Every snapshot is queried again after this long, whatever the event feeds say.
DEFAULT_FULL_REFRESH = timedelta(hours=6)
# GitHub refuses a query above 500,000 nodes; we stay far below and keep each query quick.
NODE_BUDGET = 50_000

Need = Literal["releases", "branch"]


@dataclass(frozen=True)
class GitHubQuery:
    """What to ask about one repository: releases+tags, or a branch head (None: default)."""

    source: SourceSpec
    need: Need = "releases"
    branch: str | None = None


@dataclass(frozen=True)
class GitHubApi:
    api_url: str
    graphql_url: str
    token: str | None
    releases: int = 30
    tags: int = 30
    # "auto": with a store and a token, event feeds then GraphQL for what changed; without a
    # store, REST for repositories with cached ETags and GraphQL for the rest.
    mode: Literal["auto", "graphql", "rest"] = "auto"
    batch_size: int = DEFAULT_BATCH
    full_refresh: timedelta = DEFAULT_FULL_REFRESH


Result = dict[GitHubQuery, UpstreamSnapshot | UpstreamError]


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

    async def fetch(self, queries: Sequence[GitHubQuery]) -> Result:
        """One answer per query; a failure of one repository never hides the others."""
        queries = list(dict.fromkeys(queries))
        if self.store is not None and self.api.token and self.api.mode == "auto":
            # Repositories already followed with REST ETags stay on them (a 304 is free too).
            by_rest = self._with_etags(queries)
            skip = set(by_rest)
            results = await self._fetch_incremental(
                [q for q in queries if q not in skip], GitHubMemory(self.store)
            )
            await self._rest_all(by_rest, results)
            return results
        results = {}
        rest: list[GitHubQuery] = []
        graphql: list[GitHubQuery] = []
        etagged = set(self._with_etags(queries)) if self.api.mode == "auto" else set()
        for q in queries:
            if self.api.mode == "rest" or (
                self.api.mode == "auto" and (not self.api.token or q in etagged)
            ):
                rest.append(q)
            else:
                graphql.append(q)
        if graphql:
            fallback = await self._graphql_all(graphql, results)
            rest.extend(fallback)
        await self._rest_all(rest, results)
        return results

    async def _rest_all(self, rest: list[GitHubQuery], results: Result) -> None:
        answers = await asyncio.gather(*(self._rest_one(q) for q in rest), return_exceptions=True)
        for q, a in zip(rest, answers, strict=True):
            if isinstance(a, RateLimitedError):
                raise a
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
        kinds = await self._owner_kinds(memory, queries, now, stale_before)
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
            fallback = await self._graphql_all(ask, results)
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
            learned.update(await self._ask_owner_kinds(unknown[i : i + MAX_BATCH]))
        memory.put_owners(learned, now)
        # An owner not learned now keeps a kind seen before, or has no feed this run.
        return {**{k: r.kind for k, r in known.items()}, **learned, **kinds}

    async def _ask_owner_kinds(self, logins: list[str]) -> dict[str, OwnerKind]:
        decl = ", ".join(f"$l{i}: String!" for i in range(len(logins)))
        body = " ".join(
            f"o{i}: repositoryOwner(login: $l{i}) {{ __typename }}" for i in range(len(logins))
        )
        variables = {f"l{i}": login for i, login in enumerate(logins)}
        try:
            resp = await self.http.request(
                "POST",
                self.api.graphql_url,
                json_body={"query": f"query({decl}) {{ {body} }}", "variables": variables},
            )
            payload = resp.json() if resp.status == 200 else None
        except UpstreamError as exc:
            _log().info("github.owner_kinds_failed", reason=str(exc))
            return {}
        data = payload.get("data") if isinstance(payload, dict) else None
        out: dict[str, OwnerKind] = {}
        for i, login in enumerate(logins):
            node = data.get(f"o{i}") if isinstance(data, dict) else None
            kind = node.get("__typename") if isinstance(node, dict) else None
            if kind == "Organization" or kind == "User":
                out[login] = kind
        return out

    # -- GraphQL --------------------------------------------------------------------------------

    def _batches(self, queries: list[GitHubQuery]) -> list[list[GitHubQuery]]:
        per_repo = 1 + self.api.releases + self.api.tags
        size = max(1, min(self.api.batch_size, MAX_BATCH, NODE_BUDGET // per_repo))
        return [queries[i : i + size] for i in range(0, len(queries), size)]

    async def _graphql_all(self, queries: list[GitHubQuery], results: Result) -> list[GitHubQuery]:
        """Run the batches concurrently; returns the queries that must go to REST instead."""
        fallback: list[GitHubQuery] = []
        outcomes = await asyncio.gather(
            *(self._graphql_batch(b, results) for b in self._batches(queries)),
            return_exceptions=True,
        )
        for batch, outcome in zip(self._batches(queries), outcomes, strict=True):
            if isinstance(outcome, RateLimitedError):
                raise outcome
            if isinstance(outcome, UpstreamError):
                _log().info("github.graphql_fallback", repos=len(batch), reason=str(outcome))
                fallback.extend(batch)
            elif isinstance(outcome, BaseException):
                raise outcome
        return fallback

    async def _graphql_batch(self, batch: list[GitHubQuery], results: Result) -> None:
        text, variables = self._query(batch)
        resp = await self.http.request(
            "POST", self.api.graphql_url, json_body={"query": text, "variables": variables}
        )
        if resp.status in (401, 404, 410) or resp.status >= 400:
            raise UpstreamError(f"GitHub GraphQL: HTTP {resp.status}")
        payload = resp.json()
        if not isinstance(payload, dict):
            raise UpstreamError("GitHub GraphQL: answer is not an object")
        errors = list(parse.objects(payload.get("errors")))
        data: dict[str, Any] | None = (
            payload["data"] if isinstance(payload.get("data"), dict) else None
        )
        by_alias: dict[str, str] = {}
        for err in errors:
            kind = str(err.get("type", ""))
            message = parse.text(err.get("message"), 300)
            if kind == "RATE_LIMITED" or "rate limit" in message.lower():
                raise RateLimitedError(
                    f"GitHub GraphQL: {message}", retry_at=_graphql_reset(data, resp)
                )
            path = err.get("path")
            if isinstance(path, list) and path and isinstance(path[0], str):
                by_alias.setdefault(path[0], f"{kind or 'error'}: {message}")
            elif data is None and len(batch) > 1 and _too_big(kind, message):
                # Too big or too slow for GitHub: halve and try again.
                half = len(batch) // 2
                await asyncio.gather(
                    self._graphql_batch(batch[:half], results),
                    self._graphql_batch(batch[half:], results),
                )
                return
        if data is None:
            raise UpstreamError(
                f"GitHub GraphQL: no data ({'; '.join(by_alias.values()) or 'errors'})"
            )
        for i, q in enumerate(batch):
            alias = f"r{i}"
            node = data.get(alias)
            if alias in by_alias or not isinstance(node, dict):
                reason = by_alias.get(alias, "repository not found")
                results[q] = UpstreamError(f"{q.source.id}: {reason}")
                continue
            try:
                results[q] = _snapshot_from_graphql(q, node)
            except UpstreamError as exc:
                results[q] = exc

    def _query(self, batch: list[GitHubQuery]) -> tuple[str, dict[str, str]]:
        """The query text (the same for every batch of the same shape) and its variables."""
        decls: list[str] = []
        parts: list[str] = []
        variables: dict[str, str] = {}
        for i, q in enumerate(batch):
            decls += [f"$o{i}: String!", f"$n{i}: String!"]
            variables[f"o{i}"], variables[f"n{i}"] = q.source.owner, q.source.repo
            if q.need == "branch":
                if q.branch:
                    decls.append(f"$b{i}: String!")
                    variables[f"b{i}"] = "refs/heads/" + q.branch
                    body = (
                        f"branch: ref(qualifiedName: $b{i}) "
                        "{ name target { oid ... on Commit { committedDate } } }"
                    )
                else:
                    body = (
                        "defaultBranchRef { name target { oid ... on Commit { committedDate } } }"
                    )
            else:
                body = (
                    f"releases(first: {self.api.releases}, orderBy: {{field: CREATED_AT, direction: DESC}}) "
                    # No tagCommit: the tag list below gives each tag's commit for less work.
                    "{ nodes { tagName isPrerelease isDraft publishedAt createdAt url description } } "
                    f'refs(refPrefix: "refs/tags/", first: {self.api.tags}, '
                    "orderBy: {field: TAG_COMMIT_DATE, direction: DESC}) "
                    "{ nodes { name target { oid ... on Commit { committedDate } "
                    "... on Tag { target { oid ... on Commit { committedDate } } } } } }"
                )
            parts.append(f"r{i}: repository(owner: $o{i}, name: $n{i}) {{ {body} }}")
        text = (
            f"query({', '.join(decls)}) {{ "
            + " ".join(parts)
            + " rateLimit { cost remaining resetAt } }"
        )
        return text, variables

    # -- REST -----------------------------------------------------------------------------------

    def _rest_urls(self, q: GitHubQuery) -> list[str]:
        base = f"{self.api.api_url}/repos/{q.source.owner}/{q.source.repo}"
        if q.need == "branch":
            return [f"{base}/commits/{q.branch or 'HEAD'}"]
        return [
            f"{base}/releases?per_page={self.api.releases}",
            f"{base}/tags?per_page={self.api.tags}",
        ]

    def _with_etags(self, queries: list[GitHubQuery]) -> list[GitHubQuery]:
        """The queries whose REST answers all have ETags kept in the store (one lookup)."""
        if self.store is None or not queries:
            return []
        urls = {q: self._rest_urls(q) for q in queries}
        known = self.store.get_etags([u for us in urls.values() for u in us])
        return [q for q in queries if all(u in known for u in urls[q])]

    async def _get_cached(self, url: str) -> Any:
        headers = {"Accept": "application/vnd.github+json", "X-GitHub-Api-Version": "2022-11-28"}
        return await cached.get_json(self.http, url, self.store, headers)

    async def _rest_one(self, q: GitHubQuery) -> UpstreamSnapshot:
        urls = self._rest_urls(q)
        if q.need == "branch":
            commit = await self._get_cached(urls[0])
            if not isinstance(commit, dict):
                raise UpstreamError(f"{q.source.id}: unexpected commit answer")
            oid = parse.commit(commit.get("sha"))
            committer = parse.obj(parse.obj(commit.get("commit")).get("committer"))
            if oid is None:
                raise UpstreamError(f"{q.source.id}: branch head has no valid commit id")
            head = BranchHead(q.branch or "HEAD", oid, parse.date(committer.get("date")))
            return UpstreamSnapshot(source=q.source, head=head, heads=(head,) if q.branch else ())
        releases_raw, tags_raw = await asyncio.gather(
            self._get_cached(urls[0]), self._get_cached(urls[1])
        )
        releases = tuple(
            r
            for r in (
                _release_from_rest(x)
                for x in (releases_raw if isinstance(releases_raw, list) else [])
            )
            if r is not None
        )
        tags: list[UpstreamRelease] = []
        for t in tags_raw if isinstance(tags_raw, list) else []:
            if not isinstance(t, dict):
                continue
            name = parse.tag_name(t.get("name"))
            c = parse.obj(t.get("commit"))
            if name is not None:
                tags.append(
                    UpstreamRelease(tag=name, commit=parse.commit(c.get("sha")), is_release=False)
                )
        return UpstreamSnapshot(source=q.source, releases=releases, tags=tuple(tags))


def _snapshot_key(q: GitHubQuery, api: GitHubApi) -> str:
    """What a stored snapshot answers: the repository, the need and the page sizes asked."""
    repo = f"{q.source.owner}/{q.source.repo}".lower()
    if q.need == "branch":
        return f"{repo}|branch|{q.branch or ''}"
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


def _release_from_rest(x: Any) -> UpstreamRelease | None:
    if not isinstance(x, dict):
        return None
    tag = parse.tag_name(x.get("tag_name"))
    if tag is None:
        return None
    return UpstreamRelease(
        tag=tag,
        date=parse.date(x.get("published_at")) or parse.date(x.get("created_at")),
        prerelease=parse.flag(x.get("prerelease")),
        draft=parse.flag(x.get("draft")),
        notes=parse.text(x.get("body")),
        url=parse.url(x.get("html_url")),
    )


def _too_big(kind: str, message: str) -> bool:
    text = message.lower()
    return (
        kind in ("MAX_NODE_LIMIT_EXCEEDED", "RESOURCE_LIMITS_EXCEEDED")
        or "timeout" in text
        or "too many" in text
    )


def _nodes(conn: Any) -> list[Any]:
    if isinstance(conn, dict) and isinstance(conn.get("nodes"), list):
        return list(conn["nodes"])
    return []


def _commit_of(target: Any) -> tuple[str | None, datetime | None]:
    """A ref target: a commit, or an annotated tag pointing (maybe via tags) at one."""
    for _ in range(4):
        if not isinstance(target, dict):
            return None, None
        if "committedDate" in target or not isinstance(target.get("target"), dict):
            return parse.commit(target.get("oid")), parse.date(target.get("committedDate"))
        target = target["target"]
    return None, None


def _snapshot_from_graphql(q: GitHubQuery, node: dict[str, Any]) -> UpstreamSnapshot:
    if q.need == "branch":
        ref = node.get("branch") if q.branch else node.get("defaultBranchRef")
        if not isinstance(ref, dict):
            raise UpstreamError(f"{q.source.id}: branch {q.branch or '(default)'} not found")
        oid, when = _commit_of(ref.get("target"))
        name = parse.tag_name(ref.get("name")) or q.branch or "HEAD"
        if oid is None:
            raise UpstreamError(f"{q.source.id}: branch head has no valid commit id")
        head = BranchHead(name, oid, when)
        return UpstreamSnapshot(source=q.source, head=head, heads=(head,))
    releases: list[UpstreamRelease] = []
    for r in _nodes(node.get("releases")):
        if not isinstance(r, dict) or (tag := parse.tag_name(r.get("tagName"))) is None:
            continue
        tc = parse.obj(r.get("tagCommit"))
        releases.append(
            UpstreamRelease(
                tag=tag,
                commit=parse.commit(tc.get("oid")),
                date=parse.date(r.get("publishedAt")) or parse.date(r.get("createdAt")),
                prerelease=parse.flag(r.get("isPrerelease")),
                draft=parse.flag(r.get("isDraft")),
                notes=parse.text(r.get("description")),
                url=parse.url(r.get("url")),
            )
        )
    tags: list[UpstreamRelease] = []
    for t in _nodes(node.get("refs")):
        if not isinstance(t, dict) or (tag_of_ref := parse.tag_name(t.get("name"))) is None:
            continue
        oid, when = _commit_of(t.get("target"))
        tags.append(UpstreamRelease(tag=tag_of_ref, commit=oid, date=when, is_release=False))
    commits = {t.tag: t.commit for t in tags}
    with_commits = tuple(r if r.commit else replace(r, commit=commits.get(r.tag)) for r in releases)
    return UpstreamSnapshot(source=q.source, releases=with_commits, tags=tuple(tags))


def _graphql_reset(data: Any, resp: HttpResponse) -> float | None:
    if isinstance(data, dict) and isinstance(data.get("rateLimit"), dict):
        when = parse.date(data["rateLimit"].get("resetAt"))
        if when is not None:
            return when.timestamp()
    header = resp.header("x-ratelimit-reset")
    try:
        return float(header) if header else datetime.now(UTC).timestamp() + 60
    except ValueError:
        return None
