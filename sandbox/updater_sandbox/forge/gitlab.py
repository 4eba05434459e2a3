"""GitLab API v4 subset (project, releases, repository tags) for repositories under gitlab.com."""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

from updater_sandbox.forge.core import ForgeCore
from updater_sandbox.forge.github_shapes import iso, stable_id
from updater_sandbox.forge.gitrepo import BareRepo, CommitInfo
from updater_sandbox.forge.http import Request, Response, Router
from updater_sandbox.forge.pagination import paginate
from updater_sandbox.forge.state import ForgeRelease, utcnow

HOST = "gitlab.com"
P = r"/projects/(?P<owner>[^/]+)/(?P<repo>[^/]+)"


def _not_found() -> Response:
    return Response.json(404, {"message": "404 Project Not Found"})


class GitLabApi:
    def __init__(self, core: ForgeCore, base_url: str) -> None:
        self.core = core
        self.api = f"{base_url}/api/v4"
        self.public = f"https://{HOST}"

    def register(self, r: Router) -> None:
        # The project id arrives URL-encoded (owner%2Frepo); routes see the decoded path.
        r.add("GET", P, self.get_project)
        r.add("GET", P + "/releases", self.list_releases)
        r.add("GET", P + "/releases/permalink/latest", self.latest_release)
        r.add("GET", P + "/releases/(?P<tag>.+)", self.release_by_tag)
        r.add("GET", P + "/repository/tags", self.list_tags)

    def _page(self, request: Request, items: list[Any]) -> tuple[list[Any], list[tuple[str, str]]]:
        per_page = min(max(request.int_arg("per_page", 20), 1), 100)
        page = max(request.int_arg("page", 1), 1)
        pages = max((len(items) + per_page - 1) // per_page, 1)
        chunk, links = paginate(request, items, default_per_page=20)
        return chunk, [
            *links,
            ("X-Total", str(len(items))),
            ("X-Total-Pages", str(pages)),
            ("X-Per-Page", str(per_page)),
            ("X-Page", str(page)),
            ("X-Next-Page", str(page + 1) if page < pages else ""),
            ("X-Prev-Page", str(page - 1) if page > 1 else ""),
        ]

    def _user(self, login: str) -> dict[str, Any]:
        uid = stable_id("gitlab-user", login)
        return {
            "id": uid,
            "username": login,
            "name": login,
            "state": "active",
            "locked": False,
            "avatar_url": f"{self.public}/uploads/-/system/user/avatar/{uid}/avatar.png",
            "web_url": f"{self.public}/{login}",
        }

    def _commit(self, owner: str, repo: str, commit: CommitInfo) -> dict[str, Any]:
        title = commit.message.split("\n", 1)[0]
        return {
            "id": commit.sha,
            "short_id": commit.sha[:8],
            "created_at": iso(commit.committer.date),
            "parent_ids": list(commit.parents),
            "title": title,
            "message": commit.message + "\n",
            "author_name": commit.author.name,
            "author_email": commit.author.email,
            "authored_date": iso(commit.author.date),
            "committer_name": commit.committer.name,
            "committer_email": commit.committer.email,
            "committed_date": iso(commit.committer.date),
            "trailers": {},
            "extended_trailers": {},
            "web_url": f"{self.public}/{owner}/{repo}/-/commit/{commit.sha}",
        }

    def get_project(self, request: Request, owner: str, repo: str) -> Response:
        bare = self.core.bare(HOST, owner, repo)
        if bare is None:
            return _not_found()
        head = bare.resolve_commit("HEAD")
        updated = bare.commit(head).committer.date if head else utcnow()
        web = f"{self.public}/{owner}/{repo}"
        pid = stable_id("gitlab", owner, repo)
        return Response.json(
            200,
            {
                "id": pid,
                "description": None,
                "name": repo,
                "name_with_namespace": f"{owner} / {repo}",
                "path": repo,
                "path_with_namespace": f"{owner}/{repo}",
                "created_at": iso(updated),
                "default_branch": bare.default_branch(),
                "tag_list": [],
                "topics": [],
                "ssh_url_to_repo": f"git@{HOST}:{owner}/{repo}.git",
                "http_url_to_repo": f"{web}.git",
                "web_url": web,
                "readme_url": None,
                "forks_count": 0,
                "avatar_url": None,
                "star_count": 0,
                "last_activity_at": iso(updated),
                "namespace": {
                    "id": stable_id("gitlab-ns", owner),
                    "name": owner,
                    "path": owner,
                    "kind": "group",
                    "full_path": owner,
                    "parent_id": None,
                    "avatar_url": None,
                    "web_url": f"{self.public}/groups/{owner}",
                },
                "repository_storage": "default",
                "_links": {
                    "self": f"{self.api}/projects/{pid}",
                    "issues": f"{self.api}/projects/{pid}/issues",
                    "merge_requests": f"{self.api}/projects/{pid}/merge_requests",
                    "repo_branches": f"{self.api}/projects/{pid}/repository/branches",
                    "labels": f"{self.api}/projects/{pid}/labels",
                    "events": f"{self.api}/projects/{pid}/events",
                    "members": f"{self.api}/projects/{pid}/members",
                    "cluster_agents": f"{self.api}/projects/{pid}/cluster_agents",
                },
                "archived": False,
                "visibility": "public",
                "empty_repo": head is None,
            },
        )

    def _release(
        self, owner: str, repo: str, bare: BareRepo, release: ForgeRelease
    ) -> dict[str, Any]:
        web = f"{self.public}/{owner}/{repo}"
        sha = bare.resolve_commit(f"refs/tags/{release.tag}")
        assets = self.core.state.assets((HOST, owner, repo), release.tag)
        sources = [
            {"format": fmt, "url": f"{web}/-/archive/{release.tag}/{repo}-{release.tag}.{fmt}"}
            for fmt in ("zip", "tar.gz", "tar.bz2", "tar")
        ]
        links = [
            {
                "id": a.id,
                "name": a.name,
                "url": f"{web}/releases/download/{release.tag}/{a.name}",
                "direct_asset_url": f"{web}/releases/download/{release.tag}/{a.name}",
                "link_type": "other",
            }
            for a in assets
        ]
        released = release.published_at or release.created_at
        return {
            "name": release.name or release.tag,
            "tag_name": release.tag,
            "description": release.body,
            "created_at": iso(release.created_at),
            "released_at": iso(released),
            "upcoming_release": released > utcnow(),
            "author": self._user(release.author.login),
            "commit": self._commit(owner, repo, bare.commit(sha)) if sha else None,
            "commit_path": f"/{owner}/{repo}/-/commit/{sha}" if sha else None,
            "tag_path": f"/{owner}/{repo}/-/tags/{quote(release.tag)}",
            "assets": {"count": len(sources) + len(links), "sources": sources, "links": links},
            "evidences": [],
            "_links": {"self": f"{web}/-/releases/{quote(release.tag)}"},
        }

    def list_releases(self, request: Request, owner: str, repo: str) -> Response:
        bare = self.core.bare(HOST, owner, repo)
        if bare is None:
            return _not_found()
        # GitLab orders by released_at, newest first; drafts do not exist there.
        releases = [r for r in self.core.state.releases((HOST, owner, repo)) if not r.draft]
        releases.sort(
            key=lambda r: (r.published_at or r.created_at, r.id),
            reverse=request.arg("sort", "desc") != "asc",
        )
        items, headers = self._page(request, releases)
        return Response.json(200, [self._release(owner, repo, bare, r) for r in items], headers)

    def latest_release(self, request: Request, owner: str, repo: str) -> Response:
        bare = self.core.bare(HOST, owner, repo)
        releases = [r for r in self.core.state.releases((HOST, owner, repo)) if not r.draft]
        if bare is None or not releases:
            return _not_found()
        latest = max(releases, key=lambda r: (r.published_at or r.created_at, r.id))
        return Response.json(200, self._release(owner, repo, bare, latest))

    def release_by_tag(self, request: Request, owner: str, repo: str, tag: str) -> Response:
        bare = self.core.bare(HOST, owner, repo)
        release = self.core.state.release_by_tag((HOST, owner, repo), tag)
        if bare is None or release is None or release.draft:
            return _not_found()
        return Response.json(200, self._release(owner, repo, bare, release))

    def list_tags(self, request: Request, owner: str, repo: str) -> Response:
        bare = self.core.bare(HOST, owner, repo)
        if bare is None:
            return _not_found()
        key = (HOST, owner, repo)
        refs = bare.refs("refs/tags/")
        commits = {r.name: bare.commit(r.commit) for r in refs}
        refs.sort(
            key=lambda r: commits[r.name].committer.date,
            reverse=request.arg("sort", "desc") != "asc",
        )
        items, headers = self._page(request, refs)
        out = []
        for ref in items:
            name = ref.name.removeprefix("refs/tags/")
            release = self.core.state.release_by_tag(key, name)
            out.append(
                {
                    "name": name,
                    "message": ref.tag_message.strip(),
                    "target": ref.oid,
                    "commit": self._commit(owner, repo, commits[ref.name]),
                    "release": {"tag_name": name, "description": release.body}
                    if release and not release.draft
                    else None,
                    "protected": False,
                    "created_at": iso(ref.tagger_date) if ref.tagger_date else None,
                }
            )
        return Response.json(200, out, headers)
