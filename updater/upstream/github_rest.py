"""GitHub's REST API: the fallback (no token, GraphQL unavailable) and "rest" mode.

Conditional requests with the ETags kept in the state store: an unchanged repository answers
304 and costs no rate limit.
"""

from __future__ import annotations

import asyncio
from datetime import datetime
from typing import Any

from updater.errors import UpstreamError
from updater.state.store import StateStore
from updater.upstream import cached, parse
from updater.upstream.github_query import GitHubApi, GitHubQuery
from updater.upstream.http import HttpClient
from updater.upstream.model import BranchHead, UpstreamRelease, UpstreamSnapshot


class GitHubRest:
    def __init__(self, http: HttpClient, api: GitHubApi, store: StateStore | None) -> None:
        self.http = http
        self.api = api
        self.store = store

    def urls(self, q: GitHubQuery) -> list[str]:
        base = f"{self.api.api_url}/repos/{q.source.owner}/{q.source.repo}"
        if q.need == "branch":
            pinned = [f"{base}/commits/{q.known_commit}"] if q.known_commit else []
            return [f"{base}/commits/{q.branch or 'HEAD'}", *pinned]
        return [
            f"{base}/releases?per_page={self.api.releases}",
            f"{base}/tags?per_page={self.api.tags}",
        ]

    def with_etags(self, queries: list[GitHubQuery]) -> list[GitHubQuery]:
        """The queries whose REST answers all have ETags kept in the store (one lookup)."""
        if self.store is None or not queries:
            return []
        urls = {q: self.urls(q) for q in queries}
        known = self.store.get_etags([u for us in urls.values() for u in us])
        return [q for q in queries if all(u in known for u in urls[q])]

    async def _get_cached(self, url: str) -> Any:
        headers = {"Accept": "application/vnd.github+json", "X-GitHub-Api-Version": "2022-11-28"}
        return await cached.get_json(self.http, url, self.store, headers)

    async def _pinned_date(
        self, urls: list[str], commit: str | None
    ) -> tuple[tuple[str, datetime], ...]:
        """The pinned commit's date (its answer never changes: a 304 after the first time). A
        commit the upstream no longer has is no error of the query: its date is unknown."""
        if not urls or commit is None:
            return ()
        try:
            answer = await self._get_cached(urls[0])
        except UpstreamError:
            return ()
        committer = parse.obj(parse.obj(parse.obj(answer).get("commit")).get("committer"))
        when = parse.date(committer.get("date"))
        return ((commit.lower(), when),) if when is not None else ()

    async def one(self, q: GitHubQuery) -> UpstreamSnapshot:
        urls = self.urls(q)
        if q.need == "branch":
            commit = await self._get_cached(urls[0])
            if not isinstance(commit, dict):
                raise UpstreamError(f"{q.source.id}: unexpected commit answer")
            oid = parse.commit(commit.get("sha"))
            committer = parse.obj(parse.obj(commit.get("commit")).get("committer"))
            if oid is None:
                raise UpstreamError(f"{q.source.id}: branch head has no valid commit id")
            head = BranchHead(q.branch or "HEAD", oid, parse.date(committer.get("date")))
            dated = await self._pinned_date(urls[1:], q.known_commit)
            return UpstreamSnapshot(
                source=q.source, head=head, heads=(head,) if q.branch else (), commit_dates=dated
            )
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
        refused = parse.refused_tags(
            [x.get("tag_name") for x in parse.objects(releases_raw)]
            + [x.get("name") for x in parse.objects(tags_raw)]
        )
        return UpstreamSnapshot(
            source=q.source, releases=releases, tags=tuple(tags), refused=refused
        )


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
