"""Forgejo, Gitea and Codeberg: API v1 releases, tags and branch heads."""

from __future__ import annotations

import asyncio
from typing import Any
from urllib.parse import quote

from updater.state.store import StateStore
from updater.upstream import cached, parse
from updater.upstream.http import HttpClient
from updater.upstream.model import SourceSpec, UpstreamRelease, UpstreamSnapshot


def _obj(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else []


class ForgejoSource:
    def __init__(
        self, http: HttpClient, api_url: str, store: StateStore | None = None, limit: int = 30
    ) -> None:
        self.http = http
        self.api = api_url.rstrip("/")
        self.store = store
        self.limit = limit

    def _base(self, s: SourceSpec) -> str:
        return f"{self.api}/repos/{quote(s.owner, safe='@')}/{quote(s.repo, safe='')}"

    async def releases(self, source: SourceSpec) -> UpstreamSnapshot:
        base = self._base(source)
        rel_raw, tag_raw = await asyncio.gather(
            cached.get_json(self.http, f"{base}/releases?limit={self.limit}", self.store),
            cached.get_json(self.http, f"{base}/tags?limit={self.limit}", self.store),
        )
        releases = []
        for r in _list(rel_raw):
            r = _obj(r)
            if (tag := parse.tag_name(r.get("tag_name"))) is None:
                continue
            releases.append(
                UpstreamRelease(
                    tag=tag,
                    date=parse.date(r.get("published_at")) or parse.date(r.get("created_at")),
                    prerelease=parse.flag(r.get("prerelease")),
                    draft=parse.flag(r.get("draft")),
                    notes=parse.text(r.get("body")),
                    url=parse.url(r.get("html_url")),
                )
            )
        tags = []
        for t in _list(tag_raw):
            t = _obj(t)
            if (name := parse.tag_name(t.get("name"))) is None:
                continue
            c = _obj(t.get("commit"))
            tags.append(
                UpstreamRelease(
                    tag=name,
                    commit=parse.commit(c.get("sha")),
                    date=parse.date(c.get("created")),
                    is_release=False,
                )
            )
        return UpstreamSnapshot(source=source, releases=tuple(releases), tags=tuple(tags))
