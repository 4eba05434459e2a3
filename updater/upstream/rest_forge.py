"""What Forgejo and GitLab share: two JSON lists (releases, tags) fetched side by side."""

from __future__ import annotations

import asyncio
from abc import ABC, abstractmethod
from typing import Any

from updater.state.store import StateStore
from updater.upstream import cached, parse
from updater.upstream.http import HttpClient
from updater.upstream.model import SourceSpec, UpstreamRelease, UpstreamSnapshot


class RestForgeSource(ABC):
    """A forge's REST API; subclasses say where the lists are and how their fields are named."""

    def __init__(
        self, http: HttpClient, api_url: str, store: StateStore | None = None, limit: int = 30
    ) -> None:
        self.http = http
        self.api = api_url.rstrip("/")
        self.store = store
        self.limit = limit

    @abstractmethod
    def _urls(self, source: SourceSpec) -> tuple[str, str]:
        """The URLs of the release list and the tag list."""

    @abstractmethod
    def _release(self, tag: str, release: dict[str, Any]) -> UpstreamRelease:
        """A release object whose tag name was already validated."""

    @abstractmethod
    def _tag(self, name: str, commit: dict[str, Any]) -> UpstreamRelease:
        """A tag whose name was already validated, from the tag object's `commit`."""

    async def releases(self, source: SourceSpec) -> UpstreamSnapshot:
        releases_url, tags_url = self._urls(source)
        rel_raw, tag_raw = await asyncio.gather(
            cached.get_json(self.http, releases_url, self.store),
            cached.get_json(self.http, tags_url, self.store),
        )
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
