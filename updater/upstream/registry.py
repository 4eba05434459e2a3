"""Which module answers for which kind of source, and fetching many sources concurrently.

GitHub requests are gathered into one batched call (GraphQL aliases); every other source is
queried on its own. Each request gets its snapshot or its own error: one failing source never
stops the others. A RateLimitedError stops the GitHub part only and is reported per request.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Literal

from updater.errors import RateLimitedError, UpstreamError
from updater.state.store import StateStore
from updater.upstream.forgejo import ForgejoSource
from updater.upstream.git import GitSource
from updater.upstream.github import GitHubSource
from updater.upstream.github_query import GitHubApi, GitHubQuery
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
    # Release mode: the pinned tag. GitHub's tag list is read past its first page until it is
    # seen (a crowd of newer build tags must not hide the next release). Not part of what the
    # request is: packages pinning different tags of one source share one request.
    known_tag: str | None = field(default=None, compare=False)


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
    done = on_done or (lambda _n: None)
    unique = list(dict.fromkeys(requests))
    known_tags: dict[SourceRequest, set[str]] = {}
    for r in requests:
        if r.known_tag:
            known_tags.setdefault(r, set()).add(r.known_tag)
    github = [r for r in unique if _is_github(r.source)]
    others = [r for r in unique if not _is_github(r.source)]
    git = GitSource(circuit=http.circuit)

    async def one(r: SourceRequest) -> SourceAnswer:
        try:
            return await _fetch_one(r, http, apis, store, git, frozenset(known_tags.get(r, ())))
        except UpstreamError as exc:
            return exc
        finally:
            done(1)

    from_github, from_others = await asyncio.gather(
        _fetch_github(github, known_tags, http, apis, store, done),
        asyncio.gather(*(one(r) for r in others)),
    )
    return from_github | dict(zip(others, from_others, strict=True))


async def _fetch_one(
    r: SourceRequest,
    http: HttpClient,
    apis: UpstreamApis,
    store: StateStore | None,
    git: GitSource,
    known_tags: frozenset[str],
) -> SourceAnswer:
    spec = r.source
    if r.need == "branch":
        # Every forge serves git: ls-remote for the head, a depth-1 fetch for its date.
        return await git.branch(spec, r.branch, r.known_commit)
    if spec.kind in ("git", "tangled", "release-asset"):
        return await git.fetch(spec)
    if spec.kind in ("forgejo", "gitea"):
        api = _api_url(spec.domain, spec.kind, apis)
        return await ForgejoSource(http, api, store).releases(spec, known_tags)
    if spec.kind == "gitlab":
        api = _api_url(spec.domain, spec.kind, apis)
        return await GitLabSource(http, api, store).releases(spec, known_tags)
    return UpstreamError(f"{spec.id}: no source module for kind {spec.kind}")


async def _fetch_github(
    github: Sequence[SourceRequest],
    known_tags: Mapping[SourceRequest, set[str]],
    http: HttpClient,
    apis: UpstreamApis,
    store: StateStore | None,
    done: Callable[[int], None],
) -> dict[SourceRequest, SourceAnswer]:
    """Every GitHub request in batched queries; a rate limit fails them all alike."""
    if not github:
        return {}
    source = GitHubSource(http, apis.github, store)
    queries = {
        GitHubQuery(
            r.source,
            r.need,
            r.branch,
            r.known_commit if r.need == "branch" else None,
            tuple(sorted(known_tags.get(r, ()))) if r.need == "releases" else (),
        ): r
        for r in github
    }
    try:
        answers = await source.fetch(list(queries))
    except RateLimitedError as exc:
        done(len(github))
        return dict.fromkeys(github, exc)
    done(len(github))
    return {
        r: answers.get(q) or UpstreamError(f"{r.source.id}: no answer") for q, r in queries.items()
    }
