"""GitHub's activity events: what the forge records when refs move or releases are published.

GitHub derives its events from what happens to a repository: a push to a branch (PushEvent), a
new branch or tag (CreateEvent), a deleted one (DeleteEvent), a published release
(ReleaseEvent). The forge does the same from the ref snapshots it already keeps (gitrepo.RefCache):
two snapshots of a repository that differ give the events between them, whoever wrote the refs
(a push through http-backend, the REST refs API, a merge, a test's own `git`). A repository is
observed when any request reads it and when an event feed covering it is asked for, so a feed is
never older than the refs on disk. The first observation of a repository is its baseline: it
records nothing (GitHub's feed for a repository created before the forge started is empty too).

Feeds (newest first, at most 300 events, as on GitHub):
- `/repos/{owner}/{repo}/events`: every event of the repository;
- `/orgs/{org}/events`: every event of the organization's repositories, whoever acted;
- `/users/{user}/events`: the events the user performed (their own pushes, their releases).
Git-level changes are attributed to the repository's owner when the owner is a user, to
PERSON_USER (a maintainer) in an organization; a release to its author.
"""

from __future__ import annotations

import itertools
import threading
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from updater_sandbox.forge.gitrepo import RefSnapshot
from updater_sandbox.forge.state import ForgeRelease, ForgeUser, RepoKey, utcnow

# GitHub keeps at most 300 events per timeline.
TIMELINE = 300
# Event ids on GitHub are large decimal strings that grow with time.
_FIRST_ID = 40_000_000_000


@dataclass(frozen=True)
class ForgeEvent:
    id: int
    type: str  # PushEvent | CreateEvent | DeleteEvent | ReleaseEvent
    actor: ForgeUser
    repo: RepoKey
    created_at: datetime
    # PushEvent/CreateEvent/DeleteEvent: the ref and its commits; ReleaseEvent: the release.
    ref: str = ""
    head: str = ""
    before: str = ""
    master_branch: str = ""
    release: ForgeRelease | None = None


class EventLog:
    """Every event of the forge, newest last; thread-safe."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._events: list[ForgeEvent] = []
        self._ids = itertools.count(_FIRST_ID)

    def _add(self, kind: str, actor: ForgeUser, key: RepoKey, **fields: Any) -> None:
        with self._lock:
            event_id = next(self._ids)
            self._events.append(ForgeEvent(event_id, kind, actor, key, utcnow(), **fields))

    def ref_changes(
        self, key: RepoKey, old: RefSnapshot, new: RefSnapshot, actor: ForgeUser
    ) -> None:
        """The events between two snapshots of one repository: branches and tags only."""
        before = {r.name: r.oid for r in old.refs if ref_kind(r.name)}
        after = {r.name: r.oid for r in new.refs if ref_kind(r.name)}
        branch = new.head_branch or "main"
        for name in sorted(after.keys() - before.keys()):
            self._add("CreateEvent", actor, key, ref=name, head=after[name], master_branch=branch)
            if ref_kind(name) == "branch":
                self._add("PushEvent", actor, key, ref=name, head=after[name], before="0" * 40)
        for name in sorted(after.keys() & before.keys()):
            if after[name] != before[name] and ref_kind(name) == "branch":
                self._add("PushEvent", actor, key, ref=name, head=after[name], before=before[name])
        for name in sorted(before.keys() - after.keys()):
            self._add("DeleteEvent", actor, key, ref=name, before=before[name])

    def release_published(self, release: ForgeRelease) -> None:
        if release.draft:
            return  # GitHub records a ReleaseEvent when a release is published, not drafted
        key = (release.host, release.owner, release.repo)
        self._add("ReleaseEvent", release.author, key, release=release)

    def feed(
        self,
        *,
        repo: RepoKey | None = None,
        owner: tuple[str, str] | None = None,
        actor: str | None = None,
    ) -> list[ForgeEvent]:
        """Newest first, at most TIMELINE: of one repository, of an owner's (host, login)
        repositories, or performed by one actor."""
        with self._lock:
            events = list(self._events)
        picked = [
            e
            for e in reversed(events)
            if (repo is None or e.repo == repo)
            and (owner is None or (e.repo[0], e.repo[1].lower()) == (owner[0], owner[1].lower()))
            and (actor is None or e.actor.login.lower() == actor.lower())
        ]
        return picked[:TIMELINE]


def ref_kind(refname: str) -> str:
    """The kind of ref GitHub records events for: "branch", "tag", or "" (pulls, notes)."""
    if refname.startswith("refs/heads/"):
        return "branch"
    if refname.startswith("refs/tags/"):
        return "tag"
    return ""


def short_ref(refname: str) -> str:
    return refname.removeprefix("refs/heads/").removeprefix("refs/tags/")
