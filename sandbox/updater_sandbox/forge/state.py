"""The forge's own data (releases, assets, pulls, issues, comments, labels), guarded by one lock.

Records are frozen; an update replaces the record. Issues and pull requests share one number
sequence per repository, as on GitHub: every pull request also has an issue record holding its
labels, assignees and comments.
"""

from __future__ import annotations

import itertools
import threading
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from typing import TypeVar

RepoKey = tuple[str, str, str]  # (host, owner, repo)

T = TypeVar("T")


def utcnow() -> datetime:
    return datetime.now(UTC).replace(microsecond=0)


@dataclass(frozen=True)
class ForgeUser:
    login: str
    id: int
    type: str = "User"  # "User" or "Bot"


BOT_USER = ForgeUser("github-actions[bot]", 41898282, "Bot")
PERSON_USER = ForgeUser("maintainer", 1001, "User")


@dataclass(frozen=True)
class ForgeAsset:
    id: int
    name: str
    size: int
    content_type: str
    created_at: datetime


@dataclass(frozen=True)
class ForgeRelease:
    id: int
    host: str
    owner: str
    repo: str
    tag: str
    name: str | None
    body: str
    prerelease: bool
    draft: bool
    created_at: datetime
    published_at: datetime | None
    target_commitish: str
    author: ForgeUser = BOT_USER
    # GitHub's make_latest: True marks this release Latest, False never, None by date.
    make_latest: bool | None = None


@dataclass(frozen=True)
class ForgeLabel:
    id: int
    name: str
    color: str
    description: str | None


@dataclass(frozen=True)
class ForgeIssue:
    """An issue, or the issue side of a pull request (`is_pull`)."""

    id: int
    number: int
    title: str
    body: str | None
    user: ForgeUser
    state: str  # "open" | "closed"
    state_reason: str | None
    labels: tuple[str, ...]
    assignees: tuple[str, ...]
    created_at: datetime
    updated_at: datetime
    closed_at: datetime | None
    is_pull: bool
    closed_by: ForgeUser | None = None


@dataclass(frozen=True)
class ForgePull:
    id: int
    number: int
    head_owner: str
    head_ref: str
    head_sha: str
    base_ref: str
    base_sha: str
    draft: bool
    maintainer_can_modify: bool
    merged: bool = False
    merged_at: datetime | None = None
    merged_by: ForgeUser | None = None
    merge_commit_sha: str | None = None
    requested_reviewers: tuple[str, ...] = ()


@dataclass(frozen=True)
class ForgeComment:
    id: int
    issue_number: int
    body: str
    user: ForgeUser
    created_at: datetime
    updated_at: datetime


@dataclass
class _RepoData:
    releases: list[ForgeRelease] = field(default_factory=list)
    assets: dict[str, list[tuple[ForgeAsset, bytes]]] = field(default_factory=dict)
    issues: dict[int, ForgeIssue] = field(default_factory=dict)
    pulls: dict[int, ForgePull] = field(default_factory=dict)
    comments: list[ForgeComment] = field(default_factory=list)
    labels: dict[str, ForgeLabel] = field(default_factory=dict)
    next_number: int = 1


class ForgeState:
    """Thread-safe store; every accessor returns copies or frozen records."""

    def __init__(self) -> None:
        self._lock = threading.RLock()
        self._repos: dict[RepoKey, _RepoData] = {}
        # Repositories whose draft releases readers do not see (GitHub shows drafts only to
        # those with push access; the bot reads upstreams it cannot push to).
        self._drafts_hidden: set[RepoKey] = set()
        self._ids = itertools.count(1000)

    def next_id(self) -> int:
        with self._lock:
            return next(self._ids)

    def _repo(self, key: RepoKey) -> _RepoData:
        data = self._repos.get(key)
        if data is None:
            data = self._repos[key] = _RepoData()
        return data

    def locked(self, key: RepoKey, fn: Callable[[_RepoData], T]) -> T:
        """Run `fn` on a repository's data under the lock (for read-modify-write)."""
        with self._lock:
            return fn(self._repo(key))

    # releases -----------------------------------------------------------------------------
    def add_release(self, release: ForgeRelease) -> None:
        key = (release.host, release.owner, release.repo)
        with self._lock:
            data = self._repo(key)
            data.releases = [r for r in data.releases if r.tag != release.tag] + [release]

    def releases(self, key: RepoKey) -> list[ForgeRelease]:
        """Newest first by creation (the tagged commit's date), later additions first on ties."""
        with self._lock:
            items = list(self._repo(key).releases)
        return sorted(items, key=lambda r: (r.created_at, r.id), reverse=True)

    def release_by_tag(self, key: RepoKey, tag: str) -> ForgeRelease | None:
        return next((r for r in self.releases(key) if r.tag == tag), None)

    def hide_drafts(self, key: RepoKey) -> None:
        with self._lock:
            self._drafts_hidden.add(key)

    def visible_releases(self, key: RepoKey) -> list[ForgeRelease]:
        """`releases` as a reader without push access sees them."""
        with self._lock:
            hidden = key in self._drafts_hidden
        return [r for r in self.releases(key) if not (hidden and r.draft)]

    def latest_release(self, key: RepoKey) -> ForgeRelease | None:
        """GitHub's Latest: the release last marked so (make_latest), else the newest by
        creation that is neither a draft, a prerelease, nor marked never to be Latest."""
        out = [r for r in self.releases(key) if not r.draft and not r.prerelease]
        marked = [r for r in out if r.make_latest is True]
        if marked:
            return max(marked, key=lambda r: r.id)
        return next((r for r in out if r.make_latest is not False), None)

    def add_asset(self, key: RepoKey, tag: str, asset: ForgeAsset, data: bytes) -> None:
        with self._lock:
            assets = self._repo(key).assets.setdefault(tag, [])
            assets[:] = [a for a in assets if a[0].name != asset.name] + [(asset, data)]

    def assets(self, key: RepoKey, tag: str) -> list[ForgeAsset]:
        with self._lock:
            return [a for a, _ in self._repo(key).assets.get(tag, [])]

    def asset_data(self, key: RepoKey, tag: str, name: str) -> bytes | None:
        with self._lock:
            return next((d for a, d in self._repo(key).assets.get(tag, []) if a.name == name), None)

    # issues and pulls ---------------------------------------------------------------------
    def issues(self, key: RepoKey) -> list[ForgeIssue]:
        with self._lock:
            return list(self._repo(key).issues.values())

    def issue(self, key: RepoKey, number: int) -> ForgeIssue | None:
        with self._lock:
            return self._repo(key).issues.get(number)

    def pull(self, key: RepoKey, number: int) -> ForgePull | None:
        with self._lock:
            return self._repo(key).pulls.get(number)

    def pulls(self, key: RepoKey) -> list[tuple[ForgePull, ForgeIssue]]:
        with self._lock:
            data = self._repo(key)
            return [(p, data.issues[n]) for n, p in data.pulls.items()]

    def create_issue(self, key: RepoKey, make: Callable[[int, int], ForgeIssue]) -> ForgeIssue:
        with self._lock:
            data = self._repo(key)
            number = data.next_number
            data.next_number += 1
            issue = make(number, next(self._ids))
            data.issues[number] = issue
            return issue

    def put_issue(self, key: RepoKey, issue: ForgeIssue) -> None:
        with self._lock:
            self._repo(key).issues[issue.number] = issue

    def put_pull(self, key: RepoKey, pull: ForgePull) -> None:
        with self._lock:
            self._repo(key).pulls[pull.number] = pull

    def update_issue(self, key: RepoKey, number: int, **changes: object) -> ForgeIssue | None:
        with self._lock:
            data = self._repo(key)
            issue = data.issues.get(number)
            if issue is None:
                return None
            issue = replace(issue, **changes)  # type: ignore[arg-type]
            data.issues[number] = issue
            return issue

    def update_pull(self, key: RepoKey, number: int, **changes: object) -> ForgePull | None:
        with self._lock:
            data = self._repo(key)
            pull = data.pulls.get(number)
            if pull is None:
                return None
            pull = replace(pull, **changes)  # type: ignore[arg-type]
            data.pulls[number] = pull
            return pull

    # comments and labels ------------------------------------------------------------------
    def add_comment(self, key: RepoKey, comment: ForgeComment) -> None:
        with self._lock:
            self._repo(key).comments.append(comment)

    def comments(self, key: RepoKey, issue_number: int | None = None) -> list[ForgeComment]:
        with self._lock:
            items = list(self._repo(key).comments)
        return [c for c in items if issue_number is None or c.issue_number == issue_number]

    def update_comment(self, key: RepoKey, comment_id: int, body: str) -> ForgeComment | None:
        with self._lock:
            data = self._repo(key)
            for i, c in enumerate(data.comments):
                if c.id == comment_id:
                    data.comments[i] = replace(c, body=body, updated_at=utcnow())
                    return data.comments[i]
        return None

    def labels(self, key: RepoKey) -> list[ForgeLabel]:
        with self._lock:
            return sorted(self._repo(key).labels.values(), key=lambda lb: lb.name.lower())

    def label(self, key: RepoKey, name: str) -> ForgeLabel | None:
        with self._lock:
            labels = self._repo(key).labels
            return next((lb for n, lb in labels.items() if n.lower() == name.lower()), None)

    def ensure_label(
        self, key: RepoKey, name: str, color: str = "ededed", description: str | None = None
    ) -> tuple[ForgeLabel, bool]:
        """The label named `name` (case-insensitive) and whether it was created now."""
        with self._lock:
            existing = self.label(key, name)
            if existing is not None:
                return existing, False
            label = ForgeLabel(next(self._ids), name, color, description)
            self._repo(key).labels[name] = label
            return label, True
