"""GitHub's GraphQL API: releases, tags and branch heads of up to 100 repositories per query.

Up to 100 aliased `repository` fields per query, fewer when the estimated node count asks for
it, a batch halved again when GitHub answers that it is too big. GraphQL errors come back with
HTTP 200 and are sorted out per alias. The query text depends only on the batch's shape (names
go in variables), so GitHub sees the same few documents every run.

One bad repository must not sink its batch. A batch whose request fails (after the HTTP layer's
own retries) is split in two and each half asked again (one of up to 8 repositories: into
single repositories at once), down to single repositories, so a
repository that is down, or whose answers break the connection, ends with its own error and
every other one with its snapshot. A rate limit announced in the answer's body is waited out
when its reset is near (the HTTP layer's bound), then the batch is asked again; a longer one
is the token's and fails the batch's queries with it, not split (every half would be refused
too). When a batch and all its parts fail and nothing has succeeded, one query naming no
repository tells a GraphQL outage from bad repositories: when it fails too, the rest goes to
REST (`all` returns those queries).
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from typing import Any

from updater.errors import (
    HostUnreachableError,
    RateLimitedError,
    TokenRejectedError,
    UpstreamError,
)
from updater.logs import get_logger
from updater.upstream import parse
from updater.upstream.github_memory import OwnerKind
from updater.upstream.github_query import (
    MAX_BATCH,
    NODE_BUDGET,
    GitHubApi,
    GitHubQuery,
    Result,
)
from updater.upstream.http import HttpClient, HttpResponse
from updater.upstream.model import MAX_TAG_PAGES, BranchHead, UpstreamRelease, UpstreamSnapshot

# Causes the HTTP layer's circuit reports for a whole host (the run says them once).
_SHARED = (HostUnreachableError, TokenRejectedError)
# A failed batch this small is split into single repositories at once (each failed request
# costs the HTTP layer's retries: fewer rounds of them), a larger one in halves.
SINGLES = 8
# A batch is asked again at most this many times after a rate limit it waited out.
RATE_LIMIT_RETRIES = 2
_RELEASE_FIELDS = "tagName isPrerelease isDraft publishedAt createdAt url description"


def _log() -> Any:
    # Looked up per call: a logger bound at import time would miss configure_logging().
    return get_logger("upstream.github")


@dataclass
class _Round:
    """What one `all` has seen so far, shared by its batches and their halves."""

    succeeded: bool = False
    fallback: list[GitHubQuery] = field(default_factory=list)
    alive: bool | None = None  # GraphQL answers at all; None: not asked yet


class GitHubGraphQL:
    def __init__(self, http: HttpClient, api: GitHubApi) -> None:
        self.http = http
        self.api = api

    def batches(self, queries: list[GitHubQuery]) -> list[list[GitHubQuery]]:
        per_repo = 1 + self.api.releases + self.api.tags
        size = max(1, min(self.api.batch_size, MAX_BATCH, NODE_BUDGET // per_repo))
        return [queries[i : i + size] for i in range(0, len(queries), size)]

    async def all(self, queries: list[GitHubQuery], results: Result) -> list[GitHubQuery]:
        """Answer every query in `results`; returns the queries that must go to REST instead
        (GraphQL unavailable). Every other query has its snapshot or its own error."""
        state = _Round()
        await asyncio.gather(*(self._settle(b, results, state) for b in self.batches(queries)))
        return state.fallback

    async def _settle(self, batch: list[GitHubQuery], results: Result, state: _Round) -> None:
        failure = await self._try(batch, results, state)
        if failure is not None:
            await self._split(batch, failure, results, state)

    async def _try(
        self, batch: list[GitHubQuery], results: Result, state: _Round
    ) -> UpstreamError | None:
        """Ask for `batch`; None when it is settled (answered, or refused by a long limit)."""
        try:
            await self.batch(batch, results)
        except RateLimitedError as exc:
            # Beyond the bound: the token's limit; every half would be refused the same way.
            _log().info("github.graphql_rate_limited", repos=len(batch), reason=str(exc))
            for q in batch:
                results[q] = exc
        except _SHARED as exc:
            # A host down or a token refused answers no half either: the run says it once.
            _log().debug("github.graphql_shared_cause", repos=len(batch), reason=str(exc))
            for q in batch:
                results[q] = exc
        except UpstreamError as exc:
            return exc
        else:
            state.succeeded = True
        return None

    async def _split(
        self, batch: list[GitHubQuery], failure: UpstreamError, results: Result, state: _Round
    ) -> None:
        """`batch` failed: ask its halves, and split again those that fail too, until each bad
        repository stands alone with its own error."""
        if len(batch) == 1:
            results[batch[0]] = UpstreamError(f"{batch[0].source.id}: {failure}")
            return
        _log().info("github.graphql_split", repos=len(batch), reason=str(failure))
        if len(batch) <= SINGLES:
            parts = [[q] for q in batch]
        else:
            half = (len(batch) + 1) // 2
            parts = [batch[:half], batch[half:]]
        failures = await asyncio.gather(*(self._try(h, results, state) for h in parts))
        failed = [(h, f) for h, f in zip(parts, failures, strict=True) if f is not None]
        if len(failed) == len(parts) and not state.succeeded and not await self._alive(state):
            # A batch and all its parts failed, nothing succeeded and a query naming no
            # repository fails too: GraphQL is down, not a repository.
            _log().info("github.graphql_fallback", repos=len(batch), reason=str(failure))
            state.fallback.extend(batch)
            return
        await asyncio.gather(*(self._split(h, f, results, state) for h, f in failed))

    async def _alive(self, state: _Round) -> bool:
        """Whether GraphQL answers a query that names no repository (asked once per round)."""
        if state.alive is None:
            try:
                resp = await self.http.request(
                    "POST", self.api.graphql_url, json_body={"query": "{ rateLimit { remaining } }"}
                )
                payload = resp.json() if resp.status == 200 else None
                state.alive = isinstance(payload, dict) and isinstance(payload.get("data"), dict)
            except UpstreamError:
                state.alive = False
        return state.alive

    async def batch(self, batch: list[GitHubQuery], results: Result) -> None:
        """Ask once for `batch` (again after a rate limit waited out); raises UpstreamError
        when the request fails as a whole, RateLimitedError for a limit beyond the bound."""
        for attempt in range(RATE_LIMIT_RETRIES + 1):
            try:
                await self._ask(batch, results)
                return
            except _BodyRateLimit as limit:
                if attempt == RATE_LIMIT_RETRIES:
                    raise RateLimitedError(limit.message, retry_at=limit.retry_at) from None
                await self.http.wait_rate_limit(self.api.graphql_url, limit.retry_at, limit.message)

    async def _ask(self, batch: list[GitHubQuery], results: Result) -> None:
        text, variables = self.query(batch)
        resp = await self.http.request(
            "POST", self.api.graphql_url, json_body={"query": text, "variables": variables}
        )
        if resp.status >= 400:
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
                raise _BodyRateLimit(f"GitHub GraphQL: {message}", _graphql_reset(data, resp))
            path = err.get("path")
            if isinstance(path, list) and path and isinstance(path[0], str):
                by_alias.setdefault(path[0], f"{kind or 'error'}: {message}")
            elif data is None and len(batch) > 1 and _too_big(kind, message):
                # Too big or too slow for GitHub: halve and try again.
                half = len(batch) // 2
                await asyncio.gather(
                    self.batch(batch[:half], results),
                    self.batch(batch[half:], results),
                )
                return
        if data is None:
            raise UpstreamError(
                f"GitHub GraphQL: no data ({'; '.join(by_alias.values()) or 'errors'})"
            )
        answers = _answers(batch, data, by_alias)
        results.update(answers)
        pending = [
            (q, cursor)
            for i, q in enumerate(batch)
            if q.known_tags
            and isinstance(snap := answers.get(q), UpstreamSnapshot)
            and _unseen(q, snap)
            and (cursor := _next_cursor(parse.obj(data.get(f"r{i}")).get("refs"))) is not None
        ]
        for _ in range(MAX_TAG_PAGES - 1):
            if not pending:
                break
            pending = await self._more_tags(pending, results)

    async def _more_tags(
        self, pending: list[tuple[GitHubQuery, str]], results: Result
    ) -> list[tuple[GitHubQuery, str]]:
        """The next page of tags of each pending query, merged into its snapshot; the queries
        whose pinned tags are still unseen, with their next cursor. A page that fails leaves
        the snapshot as it was (its first page still answers)."""
        decls: list[str] = []
        parts: list[str] = []
        variables: dict[str, str] = {}
        for i, (q, cursor) in enumerate(pending):
            decls += [f"$o{i}: String!", f"$n{i}: String!", f"$c{i}: String!"]
            variables.update({f"o{i}": q.source.owner, f"n{i}": q.source.repo, f"c{i}": cursor})
            parts.append(
                f"r{i}: repository(owner: $o{i}, name: $n{i}) {{ "
                f'refs(refPrefix: "refs/tags/", first: {self.api.tags}, after: $c{i}, '
                f"orderBy: {{field: TAG_COMMIT_DATE, direction: DESC}}) {_TAG_FIELDS} }}"
            )
        text = f"query({', '.join(decls)}) {{ {' '.join(parts)} }}"
        try:
            resp = await self.http.request(
                "POST", self.api.graphql_url, json_body={"query": text, "variables": variables}
            )
            data = parse.obj(parse.obj(resp.json() if resp.status < 400 else {}).get("data"))
        except UpstreamError as exc:
            _log().info("github.tag_pages_failed", error=str(exc))
            return []
        out: list[tuple[GitHubQuery, str]] = []
        for i, (q, _cursor) in enumerate(pending):
            refs = parse.obj(data.get(f"r{i}")).get("refs")
            snap = results.get(q)
            if not isinstance(snap, UpstreamSnapshot) or refs is None:
                continue
            snap = _with_tags(snap, _tags_of(refs))
            results[q] = snap
            after = _next_cursor(refs)
            if after is not None and _unseen(q, snap):
                out.append((q, after))
        return out

    def query(self, batch: list[GitHubQuery]) -> tuple[str, dict[str, str]]:
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
                if q.known_commit:
                    decls.append(f"$p{i}: GitObjectID!")
                    variables[f"p{i}"] = q.known_commit
                    body += (
                        f" pinned: object(oid: $p{i}) {{ oid ... on Commit {{ committedDate }} }}"
                    )
            else:
                body = (
                    # The release GitHub marks Latest, however many releases came after it.
                    f"latestRelease {{ {_RELEASE_FIELDS} }} "
                    f"releases(first: {self.api.releases}, orderBy: {{field: CREATED_AT, direction: DESC}}) "
                    # No tagCommit: the tag list below gives each tag's commit for less work.
                    f"{{ nodes {{ {_RELEASE_FIELDS} }} }} "
                    f'refs(refPrefix: "refs/tags/", first: {self.api.tags}, '
                    f"orderBy: {{field: TAG_COMMIT_DATE, direction: DESC}}) {_TAG_FIELDS}"
                )
            parts.append(f"r{i}: repository(owner: $o{i}, name: $n{i}) {{ {body} }}")
        text = (
            f"query({', '.join(decls)}) {{ "
            + " ".join(parts)
            + " rateLimit { cost remaining resetAt } }"
        )
        return text, variables

    async def owner_kinds(self, logins: list[str]) -> dict[str, OwnerKind]:
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
            log = _log().debug if isinstance(exc, _SHARED) else _log().info
            log("github.owner_kinds_failed", reason=str(exc))
            return {}
        data = payload.get("data") if isinstance(payload, dict) else None
        out: dict[str, OwnerKind] = {}
        for i, login in enumerate(logins):
            node = data.get(f"o{i}") if isinstance(data, dict) else None
            kind = node.get("__typename") if isinstance(node, dict) else None
            if kind == "Organization" or kind == "User":
                out[login] = kind
        return out


class _BodyRateLimit(Exception):
    """GraphQL's RATE_LIMITED error (HTTP 200): the HTTP layer saw an answer, not a limit."""

    def __init__(self, message: str, retry_at: float | None) -> None:
        super().__init__(message)
        self.message = message
        self.retry_at = retry_at


# A page of tags, newest commit first, and where the next page starts.
_TAG_FIELDS = (
    "{ pageInfo { hasNextPage endCursor } nodes { name target { oid ... on Commit { "
    "committedDate } ... on Tag { target { oid ... on Commit { committedDate } } } } } }"
)


def _tags_of(refs: Any) -> list[UpstreamRelease]:
    tags: list[UpstreamRelease] = []
    for t in _nodes(refs):
        if not isinstance(t, dict) or (name := parse.tag_name(t.get("name"))) is None:
            continue
        oid, when = _commit_of(t.get("target"))
        tags.append(UpstreamRelease(tag=name, commit=oid, date=when, is_release=False))
    return tags


def _next_cursor(refs: Any) -> str | None:
    page = parse.obj(parse.obj(refs).get("pageInfo"))
    cursor = page.get("endCursor")
    return cursor if page.get("hasNextPage") is True and isinstance(cursor, str) else None


def _with_tags(snap: UpstreamSnapshot, more: list[UpstreamRelease]) -> UpstreamSnapshot:
    """`snap` with a further page of tags; releases learn their commits from them too."""
    seen = {t.tag for t in snap.tags}
    tags = snap.tags + tuple(t for t in more if t.tag not in seen)
    commits = {t.tag: t.commit for t in tags}
    releases = tuple(
        r if r.commit else replace(r, commit=commits.get(r.tag)) for r in snap.releases
    )
    return replace(snap, tags=tags, releases=releases)


def _unseen(q: GitHubQuery, snap: UpstreamSnapshot) -> bool:
    return bool(set(q.known_tags) - {t.tag for t in snap.tags})


def _answers(
    batch: list[GitHubQuery], data: dict[str, Any], errors_by_alias: dict[str, str]
) -> Result:
    """Each query's snapshot from its alias in `data`, or the error GitHub gave for it."""
    out: Result = {}
    for i, q in enumerate(batch):
        alias = f"r{i}"
        node = data.get(alias)
        if alias in errors_by_alias or not isinstance(node, dict):
            reason = errors_by_alias.get(alias, "repository not found")
            out[q] = UpstreamError(f"{q.source.id}: {reason}")
            continue
        try:
            out[q] = snapshot_from_graphql(q, node)
        except UpstreamError as exc:
            out[q] = exc
    return out


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


def snapshot_from_graphql(q: GitHubQuery, node: dict[str, Any]) -> UpstreamSnapshot:
    if q.need == "branch":
        ref = node.get("branch") if q.branch else node.get("defaultBranchRef")
        if not isinstance(ref, dict):
            raise UpstreamError(f"{q.source.id}: branch {q.branch or '(default)'} not found")
        oid, when = _commit_of(ref.get("target"))
        name = parse.tag_name(ref.get("name")) or q.branch or "HEAD"
        if oid is None:
            raise UpstreamError(f"{q.source.id}: branch head has no valid commit id")
        head = BranchHead(name, oid, when)
        pinned_oid, pinned_when = _commit_of(node.get("pinned"))
        dated = ((pinned_oid, pinned_when),) if pinned_oid and pinned_when else ()
        return UpstreamSnapshot(source=q.source, head=head, heads=(head,), commit_dates=dated)
    releases: list[UpstreamRelease] = []
    latest = node.get("latestRelease")
    for r in _nodes(node.get("releases")) + ([latest] if isinstance(latest, dict) else []):
        if not isinstance(r, dict) or (tag := parse.tag_name(r.get("tagName"))) is None:
            continue
        if any(seen.tag == tag for seen in releases):
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
    tags = _tags_of(node.get("refs"))
    commits = {t.tag: t.commit for t in tags}
    with_commits = tuple(r if r.commit else replace(r, commit=commits.get(r.tag)) for r in releases)
    refused = parse.refused_tags(
        [parse.obj(r).get("tagName") for r in _nodes(node.get("releases"))]
        + [parse.obj(t).get("name") for t in _nodes(node.get("refs"))]
    )
    return UpstreamSnapshot(
        source=q.source, releases=with_commits, tags=tuple(tags), refused=refused
    )


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
