"""GitHub's event feeds as the cheap "did anything change?" of a warm run.

GitHub serves its activity events with ETags and documents the polling pattern: a conditional
request that finds no new event is answered 304 and costs no rate limit (docs.github.com, "REST
API endpoints for events"). A warm run therefore asks each feed first, with the ETag it kept:
a 304 means no repository the feed covers has changed, and their stored snapshots are reused.
A 200 lists the events: only repositories named by events newer than the newest one seen before
(pushes, created or deleted branches and tags, published releases) are queried again.

Which feed covers a repository:
- an organization's repositories: `/orgs/{org}/events`, every event in them whoever acted;
- a user's repository: `/repos/{owner}/{repo}/events`. A user's own feed lists only what the
  user did: a release published by a bot or a collaborator would be missing from it.

Which owners get a feed at all ("auto"): a feed is one request per run whatever it covers,
while GraphQL asks about up to `MAX_BATCH` repositories per request (at about one rate-limit
point each). Real NURs track repositories of hundreds of owners, most with one or two tracked
repositories: one feed each would cost far more requests (and time) than the few GraphQL
queries it saves. So the organizations are ranked by how many tracked repositories they hold,
and the top ones get a feed exactly as long as that lowers the run's request count (feeds plus
GraphQL requests for the rest); where the count ties, the feed wins, since a 304 costs no point.
A user's feed covers one repository and never pays. Measured in bench/bench_check.py.

Trade-offs, and how they are bounded:
- the feeds are not real time: GitHub says an event may show up 30 s to 6 h after the fact (the
  public feed is delayed five minutes on purpose). A late event still changes the feed's ETag
  when it appears, so the change is picked up by the first run after that;
- a feed lists at most 300 events of the last 90 days, public ones only, and this module reads
  its first page (100): when every event on it is newer than the newest one seen, some may be
  missing and all repositories of the feed are queried again;
- ETags belong to a token: after a token change every feed answers 200 (one point each) and
  the event ids, not the ETag, tell whether anything changed;
- whatever a feed could miss, a snapshot older than `GitHubApi.full_refresh` is never reused:
  that bounds staleness whatever the feeds say.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from updater.errors import RateLimitedError, UpstreamError
from updater.upstream.github_memory import FeedRecord
from updater.upstream.http import HttpClient

PER_PAGE = 100
# Event types that can change releases, tags or branch heads.
RELEVANT = frozenset({"PushEvent", "CreateEvent", "DeleteEvent", "ReleaseEvent", "PublicEvent"})
_ID = re.compile(r"^[0-9]{1,20}$")
_REPO = re.compile(r"^[A-Za-z0-9_.\-]{1,100}/[A-Za-z0-9_.\-]{1,100}$")
HEADERS = {"Accept": "application/vnd.github+json", "X-GitHub-Api-Version": "2022-11-28"}


@dataclass(frozen=True)
class Feed:
    """One event feed and the repositories (lower-case `owner/repo`) it answers for."""

    url: str
    repos: frozenset[str]


@dataclass(frozen=True)
class FeedOutcome:
    feed: Feed
    # Every repository of the feed must be asked again (first poll, a gap, a failure).
    everything: bool
    # Repositories named by new relevant events.
    changed: frozenset[str]
    # What to remember; None when the feed failed (the stored record stays as it was).
    record: FeedRecord | None
    not_modified: bool = False

    def touches(self, owner: str, repo: str) -> bool:
        return self.everything or f"{owner}/{repo}".lower() in self.changed


def owners_worth_a_feed(
    repos_per_owner: Mapping[str, int], batch: int, others: int = 0
) -> frozenset[str]:
    """The owners (organizations) whose feed lowers the request count of a run, given how many
    tracked repositories each holds, how many repositories one GraphQL request covers, and how
    many more repositories no feed covers (they are asked with GraphQL in any case)."""
    ranked = sorted(repos_per_owner.items(), key=lambda kv: (-kv[1], kv[0]))
    total = sum(repos_per_owner.values()) + others
    best, best_cost, covered = 0, math.ceil(total / batch), 0
    for taken, (_, count) in enumerate(ranked, start=1):
        covered += count
        cost = taken + math.ceil((total - covered) / batch)
        if cost <= best_cost:
            best, best_cost = taken, cost
    return frozenset(owner for owner, _ in ranked[:best])


def org_feed(api_url: str, org: str) -> str:
    return f"{api_url}/orgs/{org}/events?per_page={PER_PAGE}"


def repo_feed(api_url: str, owner: str, repo: str) -> str:
    return f"{api_url}/repos/{owner}/{repo}/events?per_page={PER_PAGE}"


@dataclass(frozen=True)
class _Event:
    id: int
    type: str
    repo: str


def _events(payload: Any) -> list[_Event] | None:
    """The page's events, validated; None when the answer is not a list of events."""
    if not isinstance(payload, list):
        return None
    out: list[_Event] = []
    for item in payload:
        if not isinstance(item, dict):
            return None
        raw_id, kind, repo = item.get("id"), item.get("type"), item.get("repo")
        name = repo.get("name") if isinstance(repo, dict) else None
        if not isinstance(raw_id, str) or not _ID.match(raw_id):
            return None
        if not isinstance(kind, str) or not isinstance(name, str) or not _REPO.match(name):
            continue
        out.append(_Event(int(raw_id), kind, name.lower()))
    return out


async def poll(
    http: HttpClient, feed: Feed, previous: FeedRecord | None, now: datetime
) -> FeedOutcome:
    """Ask one feed, conditionally when an ETag is known. Raises RateLimitedError only."""
    headers = dict(HEADERS)
    if previous is not None and previous.etag:
        headers["If-None-Match"] = previous.etag
    failed = FeedOutcome(feed, everything=True, changed=frozenset(), record=None)
    try:
        resp = await http.request("GET", feed.url, headers=headers)
    except RateLimitedError:
        raise
    except UpstreamError:
        return failed
    if resp.status == 304 and previous is not None:
        return FeedOutcome(feed, False, frozenset(), previous, not_modified=True)
    if resp.status != 200:
        return failed
    try:
        events = _events(resp.json())
    except UpstreamError:
        events = None
    if events is None:
        return failed
    etag = resp.header("etag")
    seen = previous.newest_id if previous is not None else None
    ids = [e.id for e in events]
    newest = max([*ids, seen or 0])
    record = FeedRecord(feed.url, etag if etag and len(etag) < 500 else None, newest, now)
    if seen is None:
        return FeedOutcome(feed, True, frozenset(), record)
    # A full page of events all newer than the newest seen: older new ones may be beyond it.
    gap = len(events) >= PER_PAGE and min(ids) > seen
    changed = frozenset(e.repo for e in events if e.id > seen and e.type in RELEVANT)
    return FeedOutcome(feed, gap, changed, record)
