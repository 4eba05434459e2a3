"""Forgejo, Gitea and Codeberg: API v1 releases and tags."""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

from updater.upstream import parse
from updater.upstream.model import SourceSpec, UpstreamRelease
from updater.upstream.rest_forge import RestForgeSource

TAGS_PAGE = 50


class ForgejoSource(RestForgeSource):
    tags_page = TAGS_PAGE

    def _urls(self, source: SourceSpec) -> tuple[str, str]:
        base = f"{self.api}/repos/{quote(source.owner, safe='@')}/{quote(source.repo, safe='')}"
        # Tags come newest first by commit date; 50 is the most one page holds, enough to get
        # past a crowd of build tags in the common case.
        return f"{base}/releases?limit={self.limit}", f"{base}/tags?limit={TAGS_PAGE}"

    def _release(self, tag: str, release: dict[str, Any]) -> UpstreamRelease:
        return UpstreamRelease(
            tag=tag,
            date=parse.date(release.get("published_at")) or parse.date(release.get("created_at")),
            prerelease=parse.flag(release.get("prerelease")),
            draft=parse.flag(release.get("draft")),
            notes=parse.text(release.get("body")),
            url=parse.url(release.get("html_url")),
        )

    def _tag(self, name: str, commit: dict[str, Any]) -> UpstreamRelease:
        return UpstreamRelease(
            tag=name,
            commit=parse.commit(commit.get("sha")),
            date=parse.date(commit.get("created")),
            is_release=False,
        )
