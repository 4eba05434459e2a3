"""LocalForge: the one HTTP server that plays github.com, tangled, codeberg, gitlab and plain git."""

from __future__ import annotations

import threading
from datetime import datetime
from pathlib import Path
from types import TracebackType
from typing import Any

from updater_sandbox.forge.app import ApiMount, ForgeApp, RecordedRequest
from updater_sandbox.forge.core import HOSTS, ForgeCore, valid_name
from updater_sandbox.forge.faults import Faults
from updater_sandbox.forge.gitea import GiteaApi
from updater_sandbox.forge.github_events import GitHubEventsApi
from updater_sandbox.forge.github_graphql import GitHubGraphQL
from updater_sandbox.forge.github_rest import GitHubRest
from updater_sandbox.forge.gitlab import GitLabApi
from updater_sandbox.forge.http import Response, Router
from updater_sandbox.forge.ratelimit import RateLimits
from updater_sandbox.forge.server import ForgeHTTPServer
from updater_sandbox.forge.state import (
    PERSON_USER,
    ForgeAsset,
    ForgeRelease,
    ForgeState,
    ForgeUser,
    utcnow,
)

_STOP_TIMEOUT = 2.0


class LocalForge:
    """Serves bare repositories under `root/{host}/{owner}/{repo}.git` and the forge APIs.

    Use as a context manager; it listens on 127.0.0.1 on a free port while inside.
    """

    def __init__(self, root: Path, *, token: str | None = None) -> None:
        self.root = Path(root)
        self.root.mkdir(parents=True, exist_ok=True)
        self._core = ForgeCore(self.root, token=token)
        self._server: ForgeHTTPServer | None = None
        self._thread: threading.Thread | None = None
        self._github: GitHubRest | None = None
        self._app_obj: ForgeApp | None = None
        self._url = ""

    # lifecycle ----------------------------------------------------------------------------
    def start(self) -> LocalForge:
        if self._server is not None:
            return self
        # The port is known only after binding, and the API modules need it for their URLs.
        placeholder = ForgeApp(self._core, [])
        server = ForgeHTTPServer(placeholder)
        self._url = f"http://127.0.0.1:{server.server_address[1]}"
        self._core.base_url = self._url
        server.app = self._app_obj = self._build_app()
        self._server = server
        self._thread = threading.Thread(
            target=server.serve_forever,
            kwargs={"poll_interval": 0.05},
            daemon=True,
            name="local-forge",
        )
        self._thread.start()
        return self

    def _build_app(self) -> ForgeApp:
        github_router = Router()
        self._github = GitHubRest(self._core, self.api_url)
        self._github.register(github_router)
        GitHubEventsApi(self._core, self.api_url).register(github_router)
        graphql = GitHubGraphQL(self._core, self.api_url)
        gitea_router = Router()
        GiteaApi(self._core, self._url).register(gitea_router)
        gitlab_router = Router()
        GitLabApi(self._core, self._url).register(gitlab_router)
        mounts = [
            ApiMount("/api/v3", github_router, github=True),
            ApiMount("/api/graphql", Router(), github=True, graphql=graphql.handle),
            ApiMount("/api/v1", gitea_router, github=False),
            ApiMount("/api/v4", gitlab_router, github=False),
        ]
        return ForgeApp(self._core, mounts)

    def stop(self) -> None:
        server, thread = self._server, self._thread
        if server is None:
            return
        self._server = self._thread = None
        server.shutdown()
        server.close_all_connections()
        server.server_close()
        server.join_workers(_STOP_TIMEOUT)
        if thread is not None:
            thread.join(_STOP_TIMEOUT)

    def __enter__(self) -> LocalForge:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    # URLs ---------------------------------------------------------------------------------
    @property
    def url(self) -> str:
        if not self._url:
            raise RuntimeError("LocalForge is not started")
        return self._url

    @property
    def api_url(self) -> str:
        return f"{self.url}/api/v3"

    @property
    def graphql_url(self) -> str:
        return f"{self.url}/api/graphql"

    @property
    def server_url(self) -> str:
        return self.host_url("github.com")

    def host_url(self, host: str) -> str:
        return f"{self.url}/{host}"

    def repo_path(self, host: str, owner: str, repo: str) -> Path:
        if host not in HOSTS or not valid_name(owner) or not valid_name(repo):
            raise ValueError(f"not a servable repository: {host}/{owner}/{repo}")
        return self._core.repo_path(host, owner, repo)

    def insteadof_rules(self) -> dict[str, str]:
        return {f"{self.host_url(h)}/": f"https://{h}/" for h in HOSTS}

    def write_gitconfig(self, path: Path) -> Path:
        lines: list[str] = []
        for base, original in self.insteadof_rules().items():
            lines += [f'[url "{base}"]', f"\tinsteadOf = {original}"]
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text("\n".join(lines) + "\n")
        return path

    # data ---------------------------------------------------------------------------------
    @property
    def state(self) -> ForgeState:
        return self._core.state

    @property
    def requests(self) -> list[RecordedRequest]:
        return self._app().requests

    def clear_requests(self) -> None:
        self._app().clear_requests()

    @property
    def faults(self) -> Faults:
        return self._core.faults

    @property
    def rate_limit(self) -> RateLimits:
        return self._core.rate_limit

    @property
    def actor(self) -> ForgeUser:
        """The user every API write is attributed to (the bot)."""
        return self._core.actor

    @actor.setter
    def actor(self, user: ForgeUser) -> None:
        self._core.actor = user

    @property
    def user_endpoint_forbidden(self) -> bool:
        """When True, GET /user answers 403 for every token (as for an installation token)."""
        return self._core.user_endpoint_forbidden

    @user_endpoint_forbidden.setter
    def user_endpoint_forbidden(self, value: bool) -> None:
        self._core.user_endpoint_forbidden = value

    def add_release(
        self,
        host: str,
        owner: str,
        repo: str,
        tag: str,
        *,
        name: str | None = None,
        body: str = "",
        prerelease: bool = False,
        draft: bool = False,
        published_at: datetime | None = None,
        created_at: datetime | None = None,
        make_latest: bool | None = None,
    ) -> ForgeRelease:
        """A release of `tag`; created_at is the tagged commit's date, as GitHub orders by it.

        A caller that knows that date (the world's upstreams wrote the commit) passes it, and the
        forge asks git nothing.
        """
        bare = self._core.bare(host, owner, repo)
        created = created_at
        if created is None:
            sha = bare.resolve_commit(f"refs/tags/{tag}") if bare else None
            created = bare.commit(sha).committer.date if bare and sha else published_at
        created = created or utcnow()
        published = None if draft else (published_at or utcnow())
        release = ForgeRelease(
            id=self._core.state.next_id(),
            host=host,
            owner=owner,
            repo=repo,
            tag=tag,
            name=name if name is not None else tag,
            body=body,
            prerelease=prerelease,
            draft=draft,
            created_at=created,
            published_at=published,
            target_commitish=bare.default_branch() if bare else "main",
            make_latest=make_latest,
        )
        self._core.state.add_release(release)
        self._core.events.release_published(release)
        return release

    def hide_drafts(self, host: str, owner: str, repo: str) -> None:
        """Readers stop seeing this repository's draft releases, as on GitHub for a token
        without push access: the draft's tag, if pushed, shows as a bare tag."""
        self._core.state.hide_drafts((host, owner, repo))

    def add_organization(self, login: str) -> None:
        """Make `login` an organization: its repositories get an /orgs/{login}/events feed."""
        if not valid_name(login):
            raise ValueError(f"bad organization name: {login!r}")
        self._core.organizations.add(login)

    def prime(self, host: str = "github.com") -> int:
        """Read the refs of every repository of `host` once; returns how many.

        The forge answers from ref snapshots it keeps per repository; reading them all up front
        keeps git's own start-up out of a benchmark's first API requests (GitHub serves refs from
        its databases). Snapshots of refs changed within the last second are read again later.
        """
        count = 0
        base = self.root / host
        for owner_dir in sorted(p for p in base.iterdir() if p.is_dir()) if base.is_dir() else []:
            for repo_dir in sorted(owner_dir.glob("*.git")):
                bare = self._core.bare(host, owner_dir.name, repo_dir.name[: -len(".git")])
                if bare is not None:
                    bare.snapshot()
                    count += 1
        return count

    def add_asset(self, host: str, owner: str, repo: str, tag: str, name: str, data: bytes) -> str:
        if "/" in name or not name or name in (".", ".."):
            raise ValueError(f"bad asset name: {name!r}")
        asset = ForgeAsset(
            self._core.state.next_id(), name, len(data), "application/octet-stream", utcnow()
        )
        self._core.state.add_asset((host, owner, repo), tag, asset, data)
        return f"https://{host}/{owner}/{repo}/releases/download/{tag}/{name}"

    # people's actions ---------------------------------------------------------------------
    def close_pull(self, owner: str, repo: str, number: int) -> None:
        """A maintainer closes a pull request without merging it."""
        self._rest().close_pull(owner, repo, number, PERSON_USER)

    def merge_pull(self, owner: str, repo: str, number: int, *, method: str = "merge") -> str:
        """A maintainer merges a pull request; returns the merge commit's sha."""
        response: Response = self._rest().merge_pull(
            owner, repo, number, PERSON_USER, {"merge_method": method}
        )
        if response.status != 200:
            raise RuntimeError(f"merge of {owner}/{repo}#{number} failed: {response.json_body}")
        sha: Any = response.json_body["sha"]
        return str(sha)

    def _rest(self) -> GitHubRest:
        if self._github is None:
            raise RuntimeError("LocalForge is not started")
        return self._github

    def _app(self) -> ForgeApp:
        if self._app_obj is None:
            raise RuntimeError("LocalForge is not started")
        return self._app_obj
