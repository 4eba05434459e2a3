"""Which module answers for which kind of source, and fetching many sources concurrently.

GitHub requests are gathered into one batched call (GraphQL aliases); every other source is
queried on its own. Each request gets its snapshot or its own error: one failing source never
stops the others. A RateLimitedError stops the GitHub part only and is reported per request.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Literal

from updater.errors import RateLimitedError, UpstreamError
from updater.state.store import StateStore
from updater.upstream.forgejo import ForgejoSource
from updater.upstream.git import GitSource
from updater.upstream.github import GitHubApi, GitHubQuery, GitHubSource
from updater.upstream.gitlab import GitLabSource
from updater.upstream.http import HttpClient
from updater.upstream.model import SourceSpec, UpstreamSnapshot


@dataclass(frozen=True)
class SourceRequest:
    source: SourceSpec
    need: Literal["releases", "branch"] = "releases"
    branch: str | None = None
    # Branch mode: the pinned commit; a head equal to it needs no date lookup.
    known_commit: str | None = None


@dataclass(frozen=True)
class UpstreamApis:
    """Where each kind of upstream API answers: GitHub's, and those of Forgejo/GitLab hosts."""

    github: GitHubApi
    # domain -> API base URL for Forgejo/Gitea (…/api/v1) and GitLab (…/api/v4) hosts.
    api_urls: Mapping[str, str]


# What fetching one request gave: its snapshot, or why there is none.
SourceAnswer = UpstreamSnapshot | UpstreamError


def _api_url(domain: str, kind: str, apis: UpstreamApis) -> str:
    if domain in apis.api_urls:
        return apis.api_urls[domain]
    return f"https://{domain}/api/v4" if kind == "gitlab" else f"https://{domain}/api/v1"


def _is_github(spec: SourceSpec) -> bool:
    return spec.kind == "github" or (spec.kind == "release-asset" and spec.domain == "github.com")


async def fetch_all(
    requests: Sequence[SourceRequest],
    http: HttpClient,
    apis: UpstreamApis,
    store: StateStore | None,
    on_done: Callable[[int], None] | None = None,
) -> dict[SourceRequest, SourceAnswer]:
    """Fetch every request; `on_done(n)` is called as n more requests have their answer."""
    results: dict[SourceRequest, SourceAnswer] = {}
    done = on_done or (lambda _n: None)
    unique = list(dict.fromkeys(requests))
    github = [r for r in unique if _is_github(r.source)]
    others = [r for r in unique if not _is_github(r.source)]
    git = GitSource()

    async def one(r: SourceRequest) -> SourceAnswer:
        spec = r.source
        try:
            if r.need == "branch":
                # Every forge serves git: ls-remote for the head, a depth-1 fetch for its date.
                snap = await git.branch(spec, r.branch, r.known_commit)
            elif spec.kind in ("git", "tangled", "release-asset"):
                snap = await git.fetch(spec)
            elif spec.kind in ("forgejo", "gitea"):
                api = _api_url(spec.domain, spec.kind, apis)
                snap = await ForgejoSource(http, api, store).releases(spec)
            elif spec.kind == "gitlab":
                api = _api_url(spec.domain, spec.kind, apis)
                snap = await GitLabSource(http, api, store).releases(spec)
            else:
                return UpstreamError(f"{spec.id}: no source module for kind {spec.kind}")
        except UpstreamError as exc:
            return exc
        finally:
            done(1)
        return snap

    async def github_part() -> None:
        if not github:
            return
        source = GitHubSource(http, apis.github, store)
        queries = {GitHubQuery(r.source, r.need, r.branch): r for r in github}
        try:
            answers = await source.fetch(list(queries))
        except RateLimitedError as exc:
            for r in github:
                results[r] = exc
            done(len(github))
            return
        done(len(github))
        for q, r in queries.items():
            results[r] = answers.get(q) or UpstreamError(f"{r.source.id}: no answer")

    outcomes = await asyncio.gather(github_part(), *(one(r) for r in others))
    for r, o in zip(others, outcomes[1:], strict=True):
        assert o is not None
        results[r] = o
    return results
