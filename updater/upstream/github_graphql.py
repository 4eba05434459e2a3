"""GitHub's GraphQL API: releases, tags and branch heads of up to 100 repositories per query.

Up to 100 aliased `repository` fields per query, fewer when the estimated node count asks for
it, a batch halved again when GitHub answers that it is too big. GraphQL errors come back with
HTTP 200 and are sorted out per alias. The query text depends only on the batch's shape (names
go in variables), so GitHub sees the same few documents every run.
"""

from __future__ import annotations

import asyncio
from dataclasses import replace
from datetime import UTC, datetime
from typing import Any

from updater.errors import RateLimitedError, UpstreamError
from updater.logs import get_logger
from updater.upstream import parse
from updater.upstream.github_memory import OwnerKind
from updater.upstream.github_query import MAX_BATCH, NODE_BUDGET, GitHubApi, GitHubQuery, Result
from updater.upstream.http import HttpClient, HttpResponse
from updater.upstream.model import BranchHead, UpstreamRelease, UpstreamSnapshot

_RELEASE_FIELDS = "tagName isPrerelease isDraft publishedAt createdAt url description"


def _log() -> Any:
    # Looked up per call: a logger bound at import time would miss configure_logging().
    return get_logger("upstream.github")


class GitHubGraphQL:
    def __init__(self, http: HttpClient, api: GitHubApi) -> None:
        self.http = http
        self.api = api

    def batches(self, queries: list[GitHubQuery]) -> list[list[GitHubQuery]]:
        per_repo = 1 + self.api.releases + self.api.tags
        size = max(1, min(self.api.batch_size, MAX_BATCH, NODE_BUDGET // per_repo))
        return [queries[i : i + size] for i in range(0, len(queries), size)]

    async def all(self, queries: list[GitHubQuery], results: Result) -> list[GitHubQuery]:
        """Run the batches concurrently; returns the queries that must go to REST instead."""
        fallback: list[GitHubQuery] = []
        outcomes = await asyncio.gather(
            *(self.batch(b, results) for b in self.batches(queries)),
            return_exceptions=True,
        )
        for batch, outcome in zip(self.batches(queries), outcomes, strict=True):
            if isinstance(outcome, RateLimitedError):
                raise outcome
            if isinstance(outcome, UpstreamError):
                _log().info("github.graphql_fallback", repos=len(batch), reason=str(outcome))
                fallback.extend(batch)
            elif isinstance(outcome, BaseException):
                raise outcome
        return fallback

    async def batch(self, batch: list[GitHubQuery], results: Result) -> None:
        text, variables = self.query(batch)
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
                    self.batch(batch[:half], results),
                    self.batch(batch[half:], results),
                )
                return
        if data is None:
            raise UpstreamError(
                f"GitHub GraphQL: no data ({'; '.join(by_alias.values()) or 'errors'})"
            )
        results.update(_answers(batch, data, by_alias))

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
            else:
                body = (
                    # The release GitHub marks Latest, however many releases came after it.
                    f"latestRelease {{ {_RELEASE_FIELDS} }} "
                    f"releases(first: {self.api.releases}, orderBy: {{field: CREATED_AT, direction: DESC}}) "
                    # No tagCommit: the tag list below gives each tag's commit for less work.
                    f"{{ nodes {{ {_RELEASE_FIELDS} }} }} "
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
        return UpstreamSnapshot(source=q.source, head=head, heads=(head,))
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
