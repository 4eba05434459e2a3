"""The data that flows out of an upstream: what a source is and what it currently offers.

Everything here is frozen; the source modules build these from validated upstream answers.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime
from typing import Literal

SourceKind = Literal["github", "tangled", "git", "forgejo", "gitea", "gitlab", "release-asset"]

_NAME = re.compile(r"^@?[A-Za-z0-9_.\-]{1,200}$")
COMMIT_RE = re.compile(r"^[0-9a-f]{40}$")


@dataclass(frozen=True)
class SourceSpec:
    """One upstream repository. `url` is the git URL the fetcher uses (for ls-remote)."""

    kind: SourceKind
    domain: str
    owner: str
    repo: str
    url: str
    # release-asset: the pinned download URL, whose version part is rewritten for a new version.
    asset_url: str | None = None

    @property
    def id(self) -> str:
        """A stable key for the state store and the report, e.g. `github:owner/repo`."""
        if self.kind == "github" and self.domain == "github.com":
            return f"github:{self.owner}/{self.repo}"
        return f"{self.kind}:{self.domain}/{self.owner}/{self.repo}"

    @classmethod
    def github(cls, owner: str, repo: str) -> SourceSpec:
        return cls("github", "github.com", owner, repo, f"https://github.com/{owner}/{repo}")

    def validate(self) -> SourceSpec:
        from updater.errors import UpstreamError

        if not _NAME.match(self.owner) or not _NAME.match(self.repo):
            raise UpstreamError(f"{self.id}: owner or repo name has unexpected characters")
        return self


@dataclass(frozen=True)
class UpstreamRelease:
    """A release or a bare tag. `version` is the tag with prefix and `v` stripped by policy."""

    tag: str
    version: str | None = None
    commit: str | None = None
    date: datetime | None = None
    prerelease: bool = False
    draft: bool = False
    notes: str = ""
    url: str | None = None
    # False for a tag known only from the tag list (no release object: no flags, maybe no date).
    is_release: bool = True


@dataclass(frozen=True)
class BranchHead:
    branch: str
    commit: str
    date: datetime | None = None


@dataclass(frozen=True)
class RefusedTag:
    """A tag the upstream offered that was refused before it could touch anything: the name
    as sent (cut to 400 characters; hostile: escape before showing) and the rule it broke."""

    tag: str
    rule: str


# Pages of a tag list read at most for one repository while its pinned tag is not yet seen.
MAX_TAG_PAGES = 5


@dataclass(frozen=True)
class UpstreamSnapshot:
    """What one query of a source saw: releases, tags and the head of the default branch."""

    source: SourceSpec
    releases: tuple[UpstreamRelease, ...] = ()
    tags: tuple[UpstreamRelease, ...] = ()
    head: BranchHead | None = None
    heads: tuple[BranchHead, ...] = field(default=())
    # Tags offered but refused (parse.tag_problem), reported per package by run and check.
    refused: tuple[RefusedTag, ...] = field(default=())
    # Commits other than the heads whose date the query learnt: a branch pin's pinned commit.
    commit_dates: tuple[tuple[str, datetime], ...] = field(default=())

    def date_of(self, commit: str) -> datetime | None:
        """When `commit` was made, when this snapshot knows (a head, or a dated commit)."""
        commit = commit.lower()
        for c, when in self.commit_dates:
            if c == commit:
                return when
        heads: list[BranchHead] = [*self.heads, *([self.head] if self.head else [])]
        for h in heads:
            if h.commit == commit and h.date is not None:
                return h.date
        return None

    def candidates(self) -> tuple[UpstreamRelease, ...]:
        """Releases, plus tags that have no release object; release data wins on a clash."""
        seen = {r.tag for r in self.releases}
        return self.releases + tuple(t for t in self.tags if t.tag not in seen)

    def branch_head(self, branch: str | None) -> BranchHead | None:
        if branch is None:
            return self.head
        for h in self.heads:
            if h.branch == branch:
                return h
        if self.head is not None and self.head.branch == branch:
            return self.head
        return None
