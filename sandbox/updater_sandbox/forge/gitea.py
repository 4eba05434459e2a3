"""Forgejo/Gitea API v1 subset (repository, releases, tags) for repositories under codeberg.org."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from updater_sandbox.forge.core import ForgeCore
from updater_sandbox.forge.github_shapes import iso, stable_id
from updater_sandbox.forge.gitrepo import BareRepo, RefInfo
from updater_sandbox.forge.http import Request, Response, Router
from updater_sandbox.forge.pagination import paginate
from updater_sandbox.forge.state import ForgeRelease, ForgeUser, utcnow

HOST = "codeberg.org"
REPO = r"/repos/(?P<owner>[^/]+)/(?P<repo>[^/]+)"


def _not_found() -> Response:
    return Response.json(
        404,
        {
            "errors": ["not found"],
            "message": "The target couldn't be found.",
            "url": "https://codeberg.org/api/swagger",
        },
    )


class GiteaApi:
    def __init__(self, core: ForgeCore, base_url: str) -> None:
        self.core = core
        self.api = f"{base_url}/api/v1"
        self.public = f"https://{HOST}"

    def register(self, r: Router) -> None:
        r.add("GET", REPO, self.get_repo)
        r.add("GET", REPO + "/releases", self.list_releases)
        r.add("GET", REPO + "/releases/latest", self.latest_release)
        r.add("GET", REPO + "/releases/tags/(?P<tag>.+)", self.release_by_tag)
        r.add("GET", REPO + "/tags", self.list_tags)

    def _page(self, request: Request, items: list[Any]) -> tuple[list[Any], list[tuple[str, str]]]:
        chunk, links = paginate(
            request, items, per_page_param="limit", default_per_page=30, max_per_page=50
        )
        return chunk, [*links, ("X-Total-Count", str(len(items)))]

    def _user(self, user: ForgeUser) -> dict[str, Any]:
        return {
            "id": user.id,
            "login": user.login,
            "login_name": "",
            "source_id": 0,
            "full_name": "",
            "email": f"{user.login}@noreply.codeberg.org",
            "avatar_url": f"{self.public}/avatars/{user.id}",
            "html_url": f"{self.public}/{user.login}",
            "language": "",
            "is_admin": False,
            "last_login": "0001-01-01T00:00:00Z",
            "created": iso(self.core.started_at),
            "restricted": False,
            "active": False,
            "prohibit_login": False,
            "location": "",
            "pronouns": "",
            "website": "",
            "description": "",
            "visibility": "public",
            "followers_count": 0,
            "following_count": 0,
            "starred_repos_count": 0,
            "username": user.login,
        }

    def get_repo(self, request: Request, owner: str, repo: str) -> Response:
        bare = self.core.bare(HOST, owner, repo)
        if bare is None:
            return _not_found()
        head = bare.resolve_commit("HEAD")
        updated = bare.commit(head).committer.date if head else utcnow()
        html = f"{self.public}/{owner}/{repo}"
        releases = self.core.state.releases((HOST, owner, repo))
        return Response.json(
            200,
            {
                "id": stable_id("gitea", owner, repo),
                "owner": self._user(ForgeUser(owner, stable_id("user", owner))),
                "name": repo,
                "full_name": f"{owner}/{repo}",
                "description": "",
                "empty": head is None,
                "private": False,
                "fork": False,
                "template": False,
                "parent": None,
                "mirror": False,
                "size": 0,
                "language": "",
                "languages_url": f"{self.api}/repos/{owner}/{repo}/languages",
                "html_url": html,
                "url": f"{self.api}/repos/{owner}/{repo}",
                "link": "",
                "ssh_url": f"ssh://git@{HOST}/{owner}/{repo}.git",
                "clone_url": f"{html}.git",
                "original_url": "",
                "website": "",
                "stars_count": 0,
                "forks_count": 0,
                "watchers_count": 0,
                "open_issues_count": 0,
                "open_pr_counter": 0,
                "release_counter": len(releases),
                "default_branch": bare.default_branch(),
                "archived": False,
                "created_at": iso(updated),
                "updated_at": iso(updated),
                "archived_at": "1970-01-01T00:00:00Z",
                "permissions": {"admin": False, "push": False, "pull": True},
                "has_issues": True,
                "has_wiki": False,
                "has_pull_requests": True,
                "has_projects": False,
                "has_releases": True,
                "has_packages": False,
                "has_actions": False,
                "default_branch_protected": False,
                "default_merge_style": "merge",
                "avatar_url": "",
                "internal": False,
                "mirror_interval": "",
                "object_format_name": "sha1",
                "mirror_updated": "0001-01-01T00:00:00Z",
                "repo_transfer": None,
                "topics": [],
            },
        )

    def _release(self, owner: str, repo: str, release: ForgeRelease) -> dict[str, Any]:
        html = f"{self.public}/{owner}/{repo}"
        assets = self.core.state.assets((HOST, owner, repo), release.tag)
        return {
            "id": release.id,
            "tag_name": release.tag,
            "target_commitish": release.target_commitish,
            "name": release.name or "",
            "body": release.body,
            "url": f"{self.api}/repos/{owner}/{repo}/releases/{release.id}",
            "html_url": f"{html}/releases/tag/{release.tag}",
            "tarball_url": f"{html}/archive/{release.tag}.tar.gz",
            "zipball_url": f"{html}/archive/{release.tag}.zip",
            "upload_url": f"{self.api}/repos/{owner}/{repo}/releases/{release.id}/assets",
            "hide_archive_links": False,
            "draft": release.draft,
            "prerelease": release.prerelease,
            "created_at": iso(release.created_at),
            "published_at": iso(release.published_at or release.created_at),
            "author": self._user(release.author),
            "assets": [
                {
                    "id": a.id,
                    "name": a.name,
                    "size": a.size,
                    "download_count": 0,
                    "created_at": iso(a.created_at),
                    "uuid": f"{a.id:08x}-0000-4000-8000-000000000000",
                    "type": "attachment",
                    "browser_download_url": f"{html}/releases/download/{release.tag}/{a.name}",
                }
                for a in assets
            ],
            "archive_download_count": {"zip": 0, "tar_gz": 0},
        }

    def list_releases(self, request: Request, owner: str, repo: str) -> Response:
        if self.core.bare(HOST, owner, repo) is None:
            return _not_found()
        releases = self.core.state.releases((HOST, owner, repo))
        if request.arg("draft") is not None:
            releases = [r for r in releases if r.draft == (request.arg("draft") == "true")]
        if request.arg("pre-release") is not None:
            releases = [
                r for r in releases if r.prerelease == (request.arg("pre-release") == "true")
            ]
        items, headers = self._page(request, releases)
        return Response.json(200, [self._release(owner, repo, r) for r in items], headers)

    def latest_release(self, request: Request, owner: str, repo: str) -> Response:
        latest = self.core.state.latest_release((HOST, owner, repo))
        if latest is None or self.core.bare(HOST, owner, repo) is None:
            return _not_found()
        return Response.json(200, self._release(owner, repo, latest))

    def release_by_tag(self, request: Request, owner: str, repo: str, tag: str) -> Response:
        release = self.core.state.release_by_tag((HOST, owner, repo), tag)
        if release is None or self.core.bare(HOST, owner, repo) is None:
            return _not_found()
        return Response.json(200, self._release(owner, repo, release))

    def _tag(self, owner: str, repo: str, bare: BareRepo, ref: RefInfo) -> dict[str, Any]:
        name = ref.name.removeprefix("refs/tags/")
        html = f"{self.public}/{owner}/{repo}"
        commit = bare.commit(ref.commit)
        return {
            "name": name,
            "message": ref.tag_message.strip() or commit.message,
            "id": ref.oid,
            "commit": {
                "url": f"{self.api}/repos/{owner}/{repo}/git/commits/{ref.commit}",
                "sha": ref.commit,
                "created": iso(commit.committer.date),
            },
            "zipball_url": f"{html}/archive/{name}.zip",
            "tarball_url": f"{html}/archive/{name}.tar.gz",
            "archive_download_count": {"zip": 0, "tar_gz": 0},
        }

    def list_tags(self, request: Request, owner: str, repo: str) -> Response:
        bare = self.core.bare(HOST, owner, repo)
        if bare is None:
            return _not_found()
        # Gitea lists tags newest first by the tagged commit's date.
        epoch = datetime.min.replace(tzinfo=UTC)
        refs = sorted(
            bare.refs("refs/tags/"), key=lambda ref: ref.commit_date or epoch, reverse=True
        )
        items, headers = self._page(request, refs)
        return Response.json(200, [self._tag(owner, repo, bare, r) for r in items], headers)
