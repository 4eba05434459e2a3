"""What the GitHub source is asked and where: one repository's query, the API's endpoints."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import Literal

from updater.errors import UpstreamError
from updater.upstream.model import SourceSpec, UpstreamSnapshot

MAX_BATCH = 100
DEFAULT_BATCH = 100
# Every snapshot is queried again after this long, whatever the event feeds say.
DEFAULT_FULL_REFRESH = timedelta(hours=6)
# GitHub refuses a query above 500,000 nodes; we stay far below and keep each query quick.
NODE_BUDGET = 50_000

Need = Literal["releases", "branch"]


@dataclass(frozen=True)
class GitHubQuery:
    """What to ask about one repository: releases+tags, or a branch head (None: default)."""

    source: SourceSpec
    need: Need = "releases"
    branch: str | None = None
    # Branch mode: the pinned commit, whose date is asked along (how old the pin is).
    known_commit: str | None = None
    # Release mode: the pinned tags of the packages sharing this source; the tag list is read
    # page after page (up to model.MAX_TAG_PAGES) until each is seen.
    known_tags: tuple[str, ...] = ()


@dataclass(frozen=True)
class GitHubApi:
    api_url: str
    graphql_url: str
    token: str | None
    releases: int = 30
    # Tags newest first by commit date: enough of them to get past a crowd of build tags.
    tags: int = 100
    # "auto": with a store and a token, event feeds then GraphQL for what changed; without a
    # store, REST for repositories with cached ETags and GraphQL for the rest.
    mode: Literal["auto", "graphql", "rest"] = "auto"
    batch_size: int = DEFAULT_BATCH
    full_refresh: timedelta = DEFAULT_FULL_REFRESH
    # "auto": an organization's event feed only where it saves requests (see
    # github_events.owners_worth_a_feed); "always": every owner's feed, whatever it costs.
    feeds: Literal["auto", "always"] = "auto"


# One answer per query: the snapshot, or why there is none.
Result = dict[GitHubQuery, UpstreamSnapshot | UpstreamError]
