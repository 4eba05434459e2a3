"""GitLab: API v4 releases and tags of a project addressed as owner/repo."""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

from updater.upstream import parse
from updater.upstream.model import SourceSpec, UpstreamRelease
from updater.upstream.rest_forge import RestForgeSource

TAGS_PAGE = 100


class GitLabSource(RestForgeSource):
    tags_page = TAGS_PAGE

    def _urls(self, source: SourceSpec) -> tuple[str, str]:
        base = f"{self.api}/projects/{quote(f'{source.owner}/{source.repo}', safe='')}"
        return (
            f"{base}/releases?per_page={self.limit}",
            # Newest first by commit date, a full page (100): enough to get past build tags.
            f"{base}/repository/tags?order_by=updated&sort=desc&per_page={TAGS_PAGE}",
        )

    def _release(self, tag: str, release: dict[str, Any]) -> UpstreamRelease:
        return UpstreamRelease(
            tag=tag,
            commit=parse.commit(parse.obj(release.get("commit")).get("id")),
            date=parse.date(release.get("released_at")) or parse.date(release.get("created_at")),
            # An upcoming release (released_at in the future) is not out yet.
            draft=parse.flag(release.get("upcoming_release")),
            notes=parse.text(release.get("description")),
            url=parse.url(parse.obj(release.get("_links")).get("self")),
        )

    def _tag(self, name: str, commit: dict[str, Any]) -> UpstreamRelease:
        return UpstreamRelease(
            tag=name,
            commit=parse.commit(commit.get("id")),
            date=parse.date(commit.get("committed_date")),
            is_release=False,
        )
