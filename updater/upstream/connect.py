"""How a run reaches the upstream forges: API endpoints and tokens, from the AppContext.

One place for `updater check`, the engine's target search and the service's cycle.
"""

from __future__ import annotations

from datetime import timedelta
from urllib.parse import urlsplit

from updater.context import AppContext
from updater.upstream.github_query import GitHubApi
from updater.upstream.registry import UpstreamApis


def upstream_apis(ctx: AppContext) -> UpstreamApis:
    github = GitHubApi(
        api_url=ctx.endpoints.api_url,
        graphql_url=ctx.endpoints.graphql_url,
        token=ctx.secrets.github_token,
        mode=ctx.config.github.query_mode,
        full_refresh=timedelta(hours=ctx.config.github.full_refresh_hours),
    )
    apis = {domain: f.api_url.rstrip("/") for domain, f in ctx.config.forges.items() if f.api_url}
    return UpstreamApis(github=github, api_urls=apis)


def tokens_of(ctx: AppContext) -> dict[str, str]:
    """The GitHub token, by host of the GitHub endpoints only (never sent to other forges)."""
    token = ctx.secrets.github_token
    if not token:
        return {}
    return {urlsplit(u).netloc: token for u in (ctx.endpoints.api_url, ctx.endpoints.graphql_url)}
