"""What Forgejo and GitLab share: two JSON lists (releases, tags) fetched side by side.

Tags come newest commit first. While a pinned tag is not among them and the page was full, the
next page is read too (up to MAX_TAG_PAGES): a crowd of newer build tags must not hide the
next release.
"""

from __future__ import annotations

import asyncio
from abc import ABC, abstractmethod
from typing import Any

from updater.state.store import StateStore
from updater.upstream import cached, parse
from updater.upstream.http import HttpClient
from updater.upstream.model import MAX_TAG_PAGES, SourceSpec, UpstreamRelease, UpstreamSnapshot


class RestForgeSource(ABC):
    """A forge's REST API; subclasses say where the lists are and how their fields are named."""

    tags_page: int = 50  # tags one page of the tag list holds (its URL asks for that many)

    def __init__(
        self, http: HttpClient, api_url: str, store: StateStore | None = None, limit: int = 30
    ) -> None:
        self.http = http
        self.api = api_url.rstrip("/")
        self.store = store
        self.limit = limit

    async def _more_tags(
        self, url: str, tags: list[dict[str, Any]], known: frozenset[str]
    ) -> list[dict[str, Any]]:
        page, last = 1, tags
        while (
            known - {t.get("name") for t in tags}
            and len(last) >= self.tags_page
            and page < MAX_TAG_PAGES
        ):
            page += 1
            last = list(
                parse.objects(await cached.get_json(self.http, f"{url}&page={page}", self.store))
            )
            tags += last
        return tags

    @abstractmethod
    def _urls(self, source: SourceSpec) -> tuple[str, str]:
        """The URLs of the release list and the tag list."""

    @abstractmethod
    def _release(self, tag: str, release: dict[str, Any]) -> UpstreamRelease:
        """A release object whose tag name was already validated."""

    @abstractmethod
    def _tag(self, name: str, commit: dict[str, Any]) -> UpstreamRelease:
        """A tag whose name was already validated, from the tag object's `commit`."""

    async def releases(
        self, source: SourceSpec, known_tags: frozenset[str] = frozenset()
    ) -> UpstreamSnapshot:
        """The snapshot; `known_tags`: the pinned tags, read for past the first page."""
        releases_url, tags_url = self._urls(source)
        rel_raw, first = await asyncio.gather(
            cached.get_json(self.http, releases_url, self.store),
            cached.get_json(self.http, tags_url, self.store),
        )
        tag_raw = await self._more_tags(tags_url, list(parse.objects(first)), known_tags)
        return UpstreamSnapshot(
            source=source,
            releases=tuple(self._release(tag, r) for tag, r in parse.tagged(rel_raw, "tag_name")),
            tags=tuple(
                self._tag(name, parse.obj(t.get("commit")))
                for name, t in parse.tagged(tag_raw, "name")
            ),
            refused=parse.refused_tags(
                [x.get("tag_name") for x in parse.objects(rel_raw)]
                + [x.get("name") for x in parse.objects(tag_raw)]
            ),
        )
