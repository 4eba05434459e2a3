"""GitHub REST v3 subset, served under /api/v3 for repositories under root/github.com/."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import Any

from updater.errors import GitError
from updater_sandbox.forge.core import ForgeCore, looks_like_jwt
from updater_sandbox.forge.github_shapes import GitHubShapes, RepoFacts, iso, stable_id
from updater_sandbox.forge.gitrepo import BareRepo, GitPerson
from updater_sandbox.forge.http import Request, Response, Router
from updater_sandbox.forge.pagination import paginate
from updater_sandbox.forge.state import (
    PERSON_USER,
    ForgeComment,
    ForgeIssue,
    ForgePull,
    ForgeUser,
    RepoKey,
    utcnow,
)

HOST = "github.com"
DOCS = "https://docs.github.com/rest"
REPO = r"/repos/(?P<owner>[^/]+)/(?P<repo>[^/]+)"


def error(
    status: int, message: str, doc: str = "", errors: list[dict[str, Any]] | None = None
) -> Response:
    payload: dict[str, Any] = {
        "message": message,
        "documentation_url": f"{DOCS}{doc}",
        "status": str(status),
    }
    if errors is not None:
        payload["errors"] = errors
    return Response.json(status, payload)


def not_found() -> Response:
    return error(404, "Not Found")


def validation_failed(
    resource: str, field: str = "", code: str = "invalid", message: str | None = None
) -> Response:
    entry: dict[str, Any] = {"resource": resource, "code": code}
    if field:
        entry["field"] = field
    if message:
        entry["message"] = message
    return error(422, "Validation Failed", errors=[entry])


class GitHubRest:
    def __init__(self, core: ForgeCore, api_url: str) -> None:
        self.core = core
        self.shapes = GitHubShapes(api_url)

    def register(self, r: Router) -> None:
        r.add("GET", "/rate_limit", self.rate_limit)
        r.add("GET", "/user", self.get_user)
        r.add("POST", r"/app/installations/(?P<inst>\d+)/access_tokens", self.access_token)
        r.add("GET", REPO + "/installation", self.installation)
        r.add("GET", REPO, self.get_repo)
        r.add("GET", REPO + "/releases", self.list_releases)
        r.add("GET", REPO + "/releases/latest", self.latest_release)
        r.add("GET", REPO + "/releases/tags/(?P<tag>.+)", self.release_by_tag)
        r.add("GET", REPO + r"/releases/(?P<rid>\d+)", self.release_by_id)
        r.add("GET", REPO + "/tags", self.list_tags)
        r.add("GET", REPO + "/git/ref/(?P<ref>.+)", self.get_ref)
        r.add("GET", REPO + "/git/matching-refs/(?P<ref>.*)", self.matching_refs)
        r.add("GET", REPO + "/git/refs", self.legacy_refs)
        r.add("GET", REPO + "/git/refs/(?P<ref>.+)", self.legacy_refs)
        r.add("POST", REPO + "/git/refs", self.create_ref)
        r.add("PATCH", REPO + "/git/refs/(?P<ref>.+)", self.update_ref)
        r.add("DELETE", REPO + "/git/refs/(?P<ref>.+)", self.delete_ref)
        r.add("GET", REPO + "/branches", self.list_branches)
        r.add("GET", REPO + "/branches/(?P<branch>.+)", self.get_branch)
        r.add("GET", REPO + "/commits", self.list_commits)
        r.add("GET", REPO + "/commits/(?P<ref>.+)", self.get_commit)
        r.add("GET", REPO + "/compare/(?P<basehead>.+)", self.compare)
        r.add("GET", REPO + "/pulls", self.list_pulls)
        r.add("POST", REPO + "/pulls", self.create_pull)
        r.add("GET", REPO + r"/pulls/(?P<number>\d+)", self.get_pull)
        r.add("PATCH", REPO + r"/pulls/(?P<number>\d+)", self.update_pull)
        r.add("GET", REPO + r"/pulls/(?P<number>\d+)/merge", self.is_merged)
        r.add("PUT", REPO + r"/pulls/(?P<number>\d+)/merge", self.merge)
        r.add("POST", REPO + r"/pulls/(?P<number>\d+)/requested_reviewers", self.request_reviewers)
        r.add("GET", REPO + "/issues", self.list_issues)
        r.add("POST", REPO + "/issues", self.create_issue)
        r.add("GET", REPO + r"/issues/(?P<number>\d+)", self.get_issue)
        r.add("PATCH", REPO + r"/issues/(?P<number>\d+)", self.update_issue)
        r.add("GET", REPO + r"/issues/(?P<number>\d+)/comments", self.list_comments)
        r.add("POST", REPO + r"/issues/(?P<number>\d+)/comments", self.create_comment)
        r.add("GET", REPO + r"/issues/comments/(?P<cid>\d+)", self.get_comment)
        r.add("PATCH", REPO + r"/issues/comments/(?P<cid>\d+)", self.update_comment)
        r.add("GET", REPO + r"/issues/(?P<number>\d+)/labels", self.issue_labels)
        r.add("POST", REPO + r"/issues/(?P<number>\d+)/labels", self.add_labels)
        r.add("PUT", REPO + r"/issues/(?P<number>\d+)/labels", self.set_labels)
        r.add("POST", REPO + r"/issues/(?P<number>\d+)/assignees", self.add_assignees)
        r.add("GET", REPO + "/labels", self.list_labels)
        r.add("POST", REPO + "/labels", self.create_label)

    # helpers ------------------------------------------------------------------------------
    def _bare(self, owner: str, repo: str) -> BareRepo | None:
        return self.core.bare(HOST, owner, repo)

    def _facts(self, owner: str, repo: str, bare: BareRepo) -> RepoFacts:
        now = utcnow()
        head = bare.resolve_commit("HEAD")
        pushed = bare.commit(head).committer.date if head else now
        created = bare.root_commit(head).committer.date if head else pushed
        key: RepoKey = (HOST, owner, repo)
        open_issues = sum(1 for i in self.core.state.issues(key) if i.state == "open")
        return RepoFacts(owner, repo, bare.default_branch(), created, pushed, open_issues)

    def _labels_of(self, key: RepoKey, names: tuple[str, ...]) -> list[Any]:
        return [lb for n in names if (lb := self.core.state.label(key, n)) is not None]

    def _issue_json(self, owner: str, repo: str, issue: ForgeIssue) -> dict[str, Any]:
        key = (HOST, owner, repo)
        out = self.shapes.issue(
            owner,
            repo,
            issue,
            self._labels_of(key, issue.labels),
            len(self.core.state.comments(key, issue.number)),
        )
        if issue.is_pull:
            pull = self.core.state.pull(key, issue.number)
            out["pull_request"] = self.shapes.issue_pull_link(
                owner, repo, issue.number, pull.merged_at if pull else None
            )
            out["draft"] = bool(pull and pull.draft)
        return out

    def _pull_json(
        self, owner: str, repo: str, bare: BareRepo, pull: ForgePull, simple: bool = False
    ) -> dict[str, Any]:
        key = (HOST, owner, repo)
        issue = self.core.state.issue(key, pull.number)
        assert issue is not None
        pull = self._refresh_heads(key, bare, pull)
        counts = None
        if not simple:
            try:
                counts = (
                    bare.count(f"{pull.base_sha}..{pull.head_sha}"),
                    bare.diff_stat(pull.base_sha, pull.head_sha),
                )
            except GitError:
                counts = None
        return self.shapes.pull(
            self._facts(owner, repo, bare),
            pull,
            issue,
            self._labels_of(key, issue.labels),
            simple=simple,
            counts=counts,
            comments=len(self.core.state.comments(key, pull.number)),
        )

    def _refresh_heads(self, key: RepoKey, bare: BareRepo, pull: ForgePull) -> ForgePull:
        """An open pull request follows its branches; a closed one keeps the last known shas."""
        issue = self.core.state.issue(key, pull.number)
        if issue is None or issue.state != "open":
            return pull
        head = bare.resolve_commit(f"refs/heads/{pull.head_ref}") or pull.head_sha
        base = bare.resolve_commit(f"refs/heads/{pull.base_ref}") or pull.base_sha
        if (head, base) != (pull.head_sha, pull.base_sha):
            pull = (
                self.core.state.update_pull(key, pull.number, head_sha=head, base_sha=base) or pull
            )
        return pull

    def _body(self, request: Request) -> dict[str, Any] | Response:
        try:
            body = request.json()
        except (ValueError, UnicodeDecodeError):
            return error(400, "Problems parsing JSON")
        if body is None:
            return {}
        if not isinstance(body, dict):
            return error(400, "Problems parsing JSON")
        return body

    # meta ---------------------------------------------------------------------------------
    def rate_limit(self, request: Request) -> Response:
        def entry(resource: str) -> dict[str, int]:
            snap = self.core.rate_limit.bucket(resource).snapshot()
            return {
                "limit": snap.limit,
                "remaining": snap.remaining,
                "reset": snap.reset,
                "used": snap.used,
            }

        core = entry("core")
        resources = {
            "core": core,
            "graphql": entry("graphql"),
            "search": {"limit": 30, "remaining": 30, "reset": core["reset"], "used": 0},
        }
        return Response.json(200, {"resources": resources, "rate": core})

    def get_user(self, request: Request) -> Response:
        token = request.token or ""
        if self.core.user_endpoint_forbidden or token.startswith("ghs_"):
            return error(
                403,
                "Resource not accessible by integration",
                "/users/users#get-the-authenticated-user",
            )
        return Response.json(200, self.shapes.private_user(self.core.actor, self.core.started_at))

    def access_token(self, request: Request, inst: str) -> Response:
        if not looks_like_jwt(request.token or ""):
            return error(401, "A JSON web token could not be decoded")
        token, expires = self.core.issue_installation_token()
        return Response.json(
            201,
            {
                "token": token,
                "expires_at": iso(datetime.fromtimestamp(expires, UTC)),
                "permissions": {
                    "contents": "write",
                    "pull_requests": "write",
                    "issues": "write",
                    "metadata": "read",
                },
                "repository_selection": "all",
            },
        )

    def installation(self, request: Request, owner: str, repo: str) -> Response:
        if self._bare(owner, repo) is None:
            return not_found()
        inst = stable_id("installation", owner)
        stamp = iso(self.core.started_at)
        return Response.json(
            200,
            {
                "id": inst,
                "client_id": "Iv1.0000000000000000",
                "account": self.shapes.owner_user(owner),
                "repository_selection": "all",
                "access_tokens_url": f"{self.shapes.api}/app/installations/{inst}/access_tokens",
                "repositories_url": f"{self.shapes.api}/installation/repositories",
                "html_url": f"https://github.com/settings/installations/{inst}",
                "app_id": 1,
                "app_slug": "updater",
                "target_id": stable_id("user", owner),
                "target_type": "User",
                "permissions": {
                    "contents": "write",
                    "pull_requests": "write",
                    "issues": "write",
                    "metadata": "read",
                },
                "events": [],
                "created_at": stamp,
                "updated_at": stamp,
                "single_file_name": None,
                "has_multiple_single_files": False,
                "single_file_paths": [],
                "suspended_by": None,
                "suspended_at": None,
            },
        )

    # repository ---------------------------------------------------------------------------
    def get_repo(self, request: Request, owner: str, repo: str) -> Response:
        bare = self._bare(owner, repo)
        if bare is None:
            return not_found()
        return Response.json(200, self.shapes.repository(self._facts(owner, repo, bare)))

    # releases -----------------------------------------------------------------------------
    def _release_json(self, owner: str, repo: str, tag: str) -> dict[str, Any] | None:
        key = (HOST, owner, repo)
        release = self.core.state.release_by_tag(key, tag)
        if release is None:
            return None
        return self.shapes.release(release, self.core.state.assets(key, tag))

    def list_releases(self, request: Request, owner: str, repo: str) -> Response:
        if self._bare(owner, repo) is None:
            return not_found()
        key = (HOST, owner, repo)
        items, links = paginate(request, self.core.state.visible_releases(key))
        return Response.json(
            200, [self.shapes.release(r, self.core.state.assets(key, r.tag)) for r in items], links
        )

    def latest_release(self, request: Request, owner: str, repo: str) -> Response:
        latest = self.core.state.latest_release((HOST, owner, repo))
        if self._bare(owner, repo) is None or latest is None:
            return not_found()
        return Response.json(
            200,
            self.shapes.release(latest, self.core.state.assets((HOST, owner, repo), latest.tag)),
        )

    def release_by_tag(self, request: Request, owner: str, repo: str, tag: str) -> Response:
        out = self._release_json(owner, repo, tag) if self._bare(owner, repo) else None
        return Response.json(200, out) if out is not None else not_found()

    def release_by_id(self, request: Request, owner: str, repo: str, rid: str) -> Response:
        key = (HOST, owner, repo)
        release = next((r for r in self.core.state.releases(key) if r.id == int(rid)), None)
        if release is None or self._bare(owner, repo) is None:
            return not_found()
        return Response.json(
            200, self.shapes.release(release, self.core.state.assets(key, release.tag))
        )

    # git data -----------------------------------------------------------------------------
    def list_tags(self, request: Request, owner: str, repo: str) -> Response:
        bare = self._bare(owner, repo)
        if bare is None:
            return not_found()
        refs = sorted(bare.refs("refs/tags/"), key=lambda r: _version_key(r.name), reverse=True)
        items, links = paginate(request, refs)
        return Response.json(200, [self.shapes.tag(owner, repo, r) for r in items], links)

    def get_ref(self, request: Request, owner: str, repo: str, ref: str) -> Response:
        bare = self._bare(owner, repo)
        found = bare.ref(f"refs/{ref}") if bare else None
        if found is None:
            return not_found()
        return Response.json(200, self.shapes.git_ref(owner, repo, found))

    def matching_refs(self, request: Request, owner: str, repo: str, ref: str) -> Response:
        bare = self._bare(owner, repo)
        if bare is None:
            return not_found()
        prefix = f"refs/{ref}"
        refs = [r for r in bare.refs("refs/") if r.name.startswith(prefix)]
        items, links = paginate(request, refs)
        return Response.json(200, [self.shapes.git_ref(owner, repo, r) for r in items], links)

    def legacy_refs(self, request: Request, owner: str, repo: str, ref: str = "") -> Response:
        """`git/refs/{ref}`: one object for an exact name, a list for a prefix (GitHub's old form)."""
        bare = self._bare(owner, repo)
        if bare is None:
            return not_found()
        name = f"refs/{ref}".rstrip("/")
        exact = bare.ref(name) if ref else None
        if exact is not None:
            return Response.json(200, self.shapes.git_ref(owner, repo, exact))
        refs = [r for r in bare.refs("refs/") if r.name.startswith(name + "/")]
        if not refs:
            return not_found()
        items, links = paginate(request, refs)
        return Response.json(200, [self.shapes.git_ref(owner, repo, r) for r in items], links)

    def create_ref(self, request: Request, owner: str, repo: str) -> Response:
        bare = self._bare(owner, repo)
        if bare is None:
            return not_found()
        body = self._body(request)
        if isinstance(body, Response):
            return body
        name, sha = body.get("ref"), body.get("sha")
        if not isinstance(name, str) or not name.startswith("refs/") or name.count("/") < 2:
            return error(
                422, "Reference name must start with 'refs/' and have at least two slashes."
            )
        if not isinstance(sha, str) or bare.resolve_object(sha) is None:
            return error(422, "Object does not exist")
        if bare.resolve_object(name) is not None:
            return error(422, "Reference already exists")
        bare.update_ref(name, sha)
        created = bare.ref(name)
        assert created is not None
        return Response.json(201, self.shapes.git_ref(owner, repo, created))

    def update_ref(self, request: Request, owner: str, repo: str, ref: str) -> Response:
        bare = self._bare(owner, repo)
        if bare is None:
            return not_found()
        body = self._body(request)
        if isinstance(body, Response):
            return body
        name = f"refs/{ref}"
        old = bare.resolve_object(name)
        sha = body.get("sha")
        if old is None:
            return error(422, "Reference does not exist")
        if not isinstance(sha, str) or bare.resolve_commit(sha) is None:
            return error(422, "Object does not exist")
        if not body.get("force") and bare.merge_base(old, sha) != old:
            return error(422, "Update is not a fast forward")
        bare.update_ref(name, sha, old)
        updated = bare.ref(name)
        assert updated is not None
        return Response.json(200, self.shapes.git_ref(owner, repo, updated))

    def delete_ref(self, request: Request, owner: str, repo: str, ref: str) -> Response:
        bare = self._bare(owner, repo)
        if bare is None:
            return not_found()
        if not bare.delete_ref(f"refs/{ref}"):
            return error(422, "Reference does not exist")
        return Response.empty(204)

    def list_branches(self, request: Request, owner: str, repo: str) -> Response:
        bare = self._bare(owner, repo)
        if bare is None:
            return not_found()
        refs = bare.refs("refs/heads/")
        items, links = paginate(request, refs)
        return Response.json(
            200,
            [
                self.shapes.short_branch(owner, repo, r.name.removeprefix("refs/heads/"), r.oid)
                for r in items
            ],
            links,
        )

    def get_branch(self, request: Request, owner: str, repo: str, branch: str) -> Response:
        bare = self._bare(owner, repo)
        sha = bare.resolve_commit(f"refs/heads/{branch}") if bare else None
        if bare is None or sha is None:
            return error(404, "Branch not found")
        return Response.json(200, self.shapes.branch(owner, repo, branch, bare.commit(sha)))

    def list_commits(self, request: Request, owner: str, repo: str) -> Response:
        bare = self._bare(owner, repo)
        if bare is None:
            return not_found()
        start = request.arg("sha") or "HEAD"
        sha = bare.resolve_commit(start)
        if sha is None:
            if bare.resolve_commit("HEAD") is None:
                return error(409, "Git Repository is empty.")
            return not_found()
        per_page = min(max(request.int_arg("per_page", 30), 1), 100)
        page = max(request.int_arg("page", 1), 1)
        total = bare.count(sha)
        commits = bare.commits([sha], max_count=per_page, skip=(page - 1) * per_page)
        placeholder: list[object] = [None] * total
        _, links = paginate(request, placeholder)
        return Response.json(200, [self.shapes.commit(owner, repo, c) for c in commits], links)

    def get_commit(self, request: Request, owner: str, repo: str, ref: str) -> Response:
        bare = self._bare(owner, repo)
        if bare is None:
            return not_found()
        sha = bare.resolve_commit(ref)
        if sha is None:
            return error(422, f"No commit found for SHA: {ref}")
        commit = bare.commit(sha)
        parent = commit.parents[0] if commit.parents else _EMPTY_TREE
        return Response.json(
            200, self.shapes.commit(owner, repo, commit, bare.diff_stat(parent, sha))
        )

    def compare(self, request: Request, owner: str, repo: str, basehead: str) -> Response:
        bare = self._bare(owner, repo)
        if bare is None or "..." not in basehead:
            return not_found()
        base_name, head_name = basehead.split("...", 1)
        base_sha = bare.resolve_commit(base_name.split(":", 1)[-1])
        head_sha = bare.resolve_commit(head_name.split(":", 1)[-1])
        if base_sha is None or head_sha is None:
            return not_found()
        merge_base = bare.merge_base(base_sha, head_sha)
        ahead, behind = bare.ahead_behind(base_sha, head_sha)
        status = (
            "identical"
            if ahead == behind == 0
            else "ahead"
            if behind == 0
            else "behind"
            if ahead == 0
            else "diverged"
        )
        commits = list(reversed(bare.commits([head_sha, f"^{base_sha}"]))) if ahead else []
        api = self.shapes.repo_api(owner, repo)
        html = f"https://github.com/{owner}/{repo}/compare/{basehead}"
        diff = bare.diff_stat(merge_base or base_sha, head_sha)
        out = {
            "url": f"{api}/compare/{basehead}",
            "html_url": html,
            "permalink_url": f"https://github.com/{owner}/{repo}/compare/{owner}:{base_sha}...{owner}:{head_sha}",
            "diff_url": f"{html}.diff",
            "patch_url": f"{html}.patch",
            "base_commit": self.shapes.commit(owner, repo, bare.commit(base_sha)),
            "merge_base_commit": self.shapes.commit(
                owner, repo, bare.commit(merge_base or base_sha)
            ),
            "status": status,
            "ahead_by": ahead,
            "behind_by": behind,
            "total_commits": ahead,
            "commits": [self.shapes.commit(owner, repo, c) for c in commits],
            "files": self.shapes.files(owner, repo, head_sha, diff),
        }
        return Response.json(200, out)

    # pulls --------------------------------------------------------------------------------
    def list_pulls(self, request: Request, owner: str, repo: str) -> Response:
        bare = self._bare(owner, repo)
        if bare is None:
            return not_found()
        state = request.arg("state", "open")
        head = request.arg("head")
        base = request.arg("base")
        pulls = []
        for pull, issue in self.core.state.pulls((HOST, owner, repo)):
            if state != "all" and issue.state != state:
                continue
            if head is not None:
                h_owner, _, h_ref = head.partition(":")
                if (h_owner, h_ref) != (pull.head_owner, pull.head_ref) and not (
                    h_ref == "" and h_owner == pull.head_owner
                ):
                    continue
            if base is not None and pull.base_ref != base:
                continue
            pulls.append((pull, issue))
        sort = request.arg("sort", "created")
        attr = "updated_at" if sort in ("updated", "popularity", "long-running") else "created_at"
        pulls.sort(
            key=lambda pi: (getattr(pi[1], attr), pi[0].number),
            reverse=request.arg("direction", "desc") != "asc",
        )
        items, links = paginate(request, pulls)
        return Response.json(
            200, [self._pull_json(owner, repo, bare, p, simple=True) for p, _ in items], links
        )

    def create_pull(self, request: Request, owner: str, repo: str) -> Response:
        bare = self._bare(owner, repo)
        if bare is None:
            return not_found()
        body = self._body(request)
        if isinstance(body, Response):
            return body
        title, head, base = body.get("title"), body.get("head"), body.get("base")
        if not isinstance(title, str) or not title:
            return validation_failed("PullRequest", "title", "missing_field")
        if not isinstance(base, str) or bare.resolve_commit(f"refs/heads/{base}") is None:
            return validation_failed("PullRequest", "base", "invalid")
        if not isinstance(head, str):
            return validation_failed("PullRequest", "head", "missing_field")
        head_owner, _, head_ref = head.rpartition(":")
        head_owner = head_owner or owner
        head_sha = bare.resolve_commit(f"refs/heads/{head_ref}")
        if head_owner != owner or head_sha is None:
            return validation_failed("PullRequest", "head", "invalid")
        base_sha = bare.resolve_commit(f"refs/heads/{base}")
        assert base_sha is not None
        key = (HOST, owner, repo)
        for pull, issue in self.core.state.pulls(key):
            if issue.state == "open" and (pull.head_owner, pull.head_ref, pull.base_ref) == (
                head_owner,
                head_ref,
                base,
            ):
                return validation_failed(
                    "PullRequest",
                    code="custom",
                    message=f"A pull request already exists for {head_owner}:{head_ref}.",
                )
        if bare.count(f"{base_sha}..{head_sha}") == 0:
            return validation_failed(
                "PullRequest", code="custom", message=f"No commits between {base} and {head_ref}"
            )
        now = utcnow()
        issue = self.core.state.create_issue(
            key,
            lambda number, ident: ForgeIssue(
                id=ident,
                number=number,
                title=title,
                body=_opt_str(body.get("body")),
                user=self.core.actor,
                state="open",
                state_reason=None,
                labels=(),
                assignees=(),
                created_at=now,
                updated_at=now,
                closed_at=None,
                is_pull=True,
            ),
        )
        pull = ForgePull(
            id=self.core.state.next_id(),
            number=issue.number,
            head_owner=head_owner,
            head_ref=head_ref,
            head_sha=head_sha,
            base_ref=base,
            base_sha=base_sha,
            draft=bool(body.get("draft", False)),
            maintainer_can_modify=bool(body.get("maintainer_can_modify", True)),
        )
        self.core.state.put_pull(key, pull)
        return Response.json(
            201,
            self._pull_json(owner, repo, bare, pull),
            [("Location", f"{self.shapes.repo_api(owner, repo)}/pulls/{pull.number}")],
        )

    def get_pull(self, request: Request, owner: str, repo: str, number: str) -> Response:
        bare = self._bare(owner, repo)
        pull = self.core.state.pull((HOST, owner, repo), int(number)) if bare else None
        if bare is None or pull is None:
            return not_found()
        return Response.json(200, self._pull_json(owner, repo, bare, pull))

    def update_pull(self, request: Request, owner: str, repo: str, number: str) -> Response:
        bare = self._bare(owner, repo)
        key = (HOST, owner, repo)
        pull = self.core.state.pull(key, int(number)) if bare else None
        if bare is None or pull is None:
            return not_found()
        body = self._body(request)
        if isinstance(body, Response):
            return body
        changes: dict[str, Any] = {"updated_at": utcnow()}
        if isinstance(body.get("title"), str):
            changes["title"] = body["title"]
        if "body" in body:
            changes["body"] = _opt_str(body["body"])
        state = body.get("state")
        if state in ("open", "closed"):
            if state == "closed":
                changes.update(state="closed", closed_at=utcnow(), closed_by=self.core.actor)
            elif not pull.merged:
                changes.update(state="open", closed_at=None, closed_by=None)
        elif state is not None:
            return validation_failed("PullRequest", "state", "invalid")
        if isinstance(body.get("base"), str):
            if bare.resolve_commit(f"refs/heads/{body['base']}") is None:
                return validation_failed("PullRequest", "base", "invalid")
            self.core.state.update_pull(key, pull.number, base_ref=body["base"])
        self.core.state.update_issue(key, pull.number, **changes)
        updated = self.core.state.pull(key, pull.number)
        assert updated is not None
        return Response.json(200, self._pull_json(owner, repo, bare, updated))

    def is_merged(self, request: Request, owner: str, repo: str, number: str) -> Response:
        pull = self.core.state.pull((HOST, owner, repo), int(number))
        return Response.empty(204) if pull is not None and pull.merged else Response.empty(404)

    def merge(self, request: Request, owner: str, repo: str, number: str) -> Response:
        body = self._body(request)
        if isinstance(body, Response):
            return body
        return self.merge_pull(owner, repo, int(number), self.core.actor, body)

    def merge_pull(
        self, owner: str, repo: str, number: int, who: ForgeUser, body: dict[str, Any]
    ) -> Response:
        """Merge for real in the bare repository: a merge (or squash) commit on the base branch."""
        bare = self._bare(owner, repo)
        key = (HOST, owner, repo)
        pull = self.core.state.pull(key, number) if bare else None
        issue = self.core.state.issue(key, number)
        if bare is None or pull is None or issue is None:
            return not_found()
        pull = self._refresh_heads(key, bare, pull)
        if pull.merged or issue.state != "open":
            return error(405, "Pull Request is not mergeable")
        if isinstance(body.get("sha"), str) and body["sha"] != pull.head_sha:
            return error(409, "Head branch was modified. Review and try the merge again.")
        tree = bare.merge_tree(pull.base_sha, pull.head_sha)
        if tree is None:
            return error(405, "Pull Request is not mergeable")
        method = body.get("merge_method", "merge")
        title = body.get("commit_title") or (
            f"{issue.title} (#{number})"
            if method == "squash"
            else f"Merge pull request #{number} from {pull.head_owner}/{pull.head_ref}"
        )
        message = f"{title}\n\n{body.get('commit_message') or issue.title}\n"
        now = utcnow()
        person = GitPerson(who.login, f"{who.id}+{who.login}@users.noreply.github.com", now)
        parents = (
            [pull.base_sha] if method in ("squash", "rebase") else [pull.base_sha, pull.head_sha]
        )
        sha = bare.commit_tree(tree, parents, message, person)
        try:
            bare.update_ref(f"refs/heads/{pull.base_ref}", sha, pull.base_sha)
        except GitError:
            return error(409, "Base branch was modified. Review and try the merge again.")
        self.core.state.update_pull(
            key, number, merged=True, merged_at=now, merged_by=who, merge_commit_sha=sha
        )
        self.core.state.update_issue(
            key, number, state="closed", closed_at=now, updated_at=now, closed_by=who
        )
        return Response.json(
            200, {"sha": sha, "merged": True, "message": "Pull Request successfully merged"}
        )

    def close_pull(self, owner: str, repo: str, number: int, who: ForgeUser = PERSON_USER) -> None:
        now = utcnow()
        self.core.state.update_issue(
            (HOST, owner, repo),
            number,
            state="closed",
            closed_at=now,
            updated_at=now,
            closed_by=who,
        )

    def request_reviewers(self, request: Request, owner: str, repo: str, number: str) -> Response:
        bare = self._bare(owner, repo)
        key = (HOST, owner, repo)
        pull = self.core.state.pull(key, int(number)) if bare else None
        if bare is None or pull is None:
            return not_found()
        body = self._body(request)
        if isinstance(body, Response):
            return body
        reviewers = body.get("reviewers", [])
        if not isinstance(reviewers, list) or not all(isinstance(r, str) for r in reviewers):
            return validation_failed("PullRequest", "reviewers", "invalid")
        merged = tuple(dict.fromkeys([*pull.requested_reviewers, *reviewers]))
        updated = self.core.state.update_pull(key, pull.number, requested_reviewers=merged)
        assert updated is not None
        return Response.json(201, self._pull_json(owner, repo, bare, updated, simple=True))

    # issues -------------------------------------------------------------------------------
    def list_issues(self, request: Request, owner: str, repo: str) -> Response:
        if self._bare(owner, repo) is None:
            return not_found()
        key = (HOST, owner, repo)
        state = request.arg("state", "open")
        wanted = [w.strip().lower() for w in (request.arg("labels") or "").split(",") if w.strip()]
        creator = request.arg("creator")
        assignee = request.arg("assignee")
        issues = []
        for issue in self.core.state.issues(key):
            have = {n.lower() for n in issue.labels}
            if state != "all" and issue.state != state:
                continue
            if any(w not in have for w in wanted):
                continue
            if creator is not None and issue.user.login != creator:
                continue
            if assignee not in (None, "*") and assignee not in issue.assignees:
                continue
            issues.append(issue)
        attr = "updated_at" if request.arg("sort") == "updated" else "created_at"
        issues.sort(
            key=lambda i: (getattr(i, attr), i.number),
            reverse=request.arg("direction", "desc") != "asc",
        )
        items, links = paginate(request, issues)
        return Response.json(200, [self._issue_json(owner, repo, i) for i in items], links)

    def create_issue(self, request: Request, owner: str, repo: str) -> Response:
        if self._bare(owner, repo) is None:
            return not_found()
        body = self._body(request)
        if isinstance(body, Response):
            return body
        title = body.get("title")
        if not isinstance(title, str) or not title:
            return validation_failed("Issue", "title", "missing_field")
        key = (HOST, owner, repo)
        labels = self._ensure_labels(key, body.get("labels", []))
        if isinstance(labels, Response):
            return labels
        assignees = body.get("assignees", [])
        now = utcnow()
        issue = self.core.state.create_issue(
            key,
            lambda number, ident: ForgeIssue(
                id=ident,
                number=number,
                title=title,
                body=_opt_str(body.get("body")),
                user=self.core.actor,
                state="open",
                state_reason=None,
                labels=labels,
                assignees=tuple(a for a in assignees if isinstance(a, str)),
                created_at=now,
                updated_at=now,
                closed_at=None,
                is_pull=False,
            ),
        )
        return Response.json(
            201,
            self._issue_json(owner, repo, issue),
            [("Location", f"{self.shapes.repo_api(owner, repo)}/issues/{issue.number}")],
        )

    def _ensure_labels(self, key: RepoKey, names: object) -> tuple[str, ...] | Response:
        if not isinstance(names, list):
            return validation_failed("Label", "labels", "invalid")
        out: list[str] = []
        for name in names:
            label_name = name.get("name") if isinstance(name, dict) else name
            if not isinstance(label_name, str) or not label_name:
                return validation_failed("Label", "name", "invalid")
            label, _ = self.core.state.ensure_label(key, label_name)
            out.append(label.name)
        return tuple(dict.fromkeys(out))

    def get_issue(self, request: Request, owner: str, repo: str, number: str) -> Response:
        issue = (
            self.core.state.issue((HOST, owner, repo), int(number))
            if self._bare(owner, repo)
            else None
        )
        if issue is None:
            return not_found()
        return Response.json(200, self._issue_json(owner, repo, issue))

    def update_issue(self, request: Request, owner: str, repo: str, number: str) -> Response:
        key = (HOST, owner, repo)
        issue = self.core.state.issue(key, int(number)) if self._bare(owner, repo) else None
        if issue is None:
            return not_found()
        body = self._body(request)
        if isinstance(body, Response):
            return body
        now = utcnow()
        changes: dict[str, Any] = {"updated_at": now}
        if isinstance(body.get("title"), str):
            changes["title"] = body["title"]
        if "body" in body:
            changes["body"] = _opt_str(body["body"])
        if "labels" in body:
            labels = self._ensure_labels(key, body["labels"])
            if isinstance(labels, Response):
                return labels
            changes["labels"] = labels
        if isinstance(body.get("assignees"), list):
            changes["assignees"] = tuple(a for a in body["assignees"] if isinstance(a, str))
        state = body.get("state")
        if state == "closed" and issue.state != "closed":
            changes.update(
                state="closed",
                closed_at=now,
                closed_by=self.core.actor,
                state_reason=body.get("state_reason") or "completed",
            )
        elif state == "open" and issue.state != "open":
            changes.update(state="open", closed_at=None, closed_by=None, state_reason="reopened")
        elif state not in (None, "open", "closed"):
            return validation_failed("Issue", "state", "invalid")
        updated = self.core.state.update_issue(key, issue.number, **changes)
        assert updated is not None
        return Response.json(200, self._issue_json(owner, repo, updated))

    def list_comments(self, request: Request, owner: str, repo: str, number: str) -> Response:
        key = (HOST, owner, repo)
        if self._bare(owner, repo) is None or self.core.state.issue(key, int(number)) is None:
            return not_found()
        items, links = paginate(request, self.core.state.comments(key, int(number)))
        return Response.json(200, [self.shapes.comment(owner, repo, c) for c in items], links)

    def create_comment(self, request: Request, owner: str, repo: str, number: str) -> Response:
        key = (HOST, owner, repo)
        if self._bare(owner, repo) is None or self.core.state.issue(key, int(number)) is None:
            return not_found()
        body = self._body(request)
        if isinstance(body, Response):
            return body
        text = body.get("body")
        if not isinstance(text, str) or not text:
            return validation_failed("IssueComment", "body", "missing_field")
        now = utcnow()
        comment = ForgeComment(
            self.core.state.next_id(), int(number), text, self.core.actor, now, now
        )
        self.core.state.add_comment(key, comment)
        self.core.state.update_issue(key, int(number), updated_at=now)
        return Response.json(
            201,
            self.shapes.comment(owner, repo, comment),
            [("Location", f"{self.shapes.repo_api(owner, repo)}/issues/comments/{comment.id}")],
        )

    def get_comment(self, request: Request, owner: str, repo: str, cid: str) -> Response:
        comment = next(
            (c for c in self.core.state.comments((HOST, owner, repo)) if c.id == int(cid)), None
        )
        if comment is None or self._bare(owner, repo) is None:
            return not_found()
        return Response.json(200, self.shapes.comment(owner, repo, comment))

    def update_comment(self, request: Request, owner: str, repo: str, cid: str) -> Response:
        body = self._body(request)
        if isinstance(body, Response):
            return body
        if not isinstance(body.get("body"), str):
            return validation_failed("IssueComment", "body", "missing_field")
        comment = self.core.state.update_comment((HOST, owner, repo), int(cid), body["body"])
        if comment is None or self._bare(owner, repo) is None:
            return not_found()
        return Response.json(200, self.shapes.comment(owner, repo, comment))

    def issue_labels(self, request: Request, owner: str, repo: str, number: str) -> Response:
        key = (HOST, owner, repo)
        issue = self.core.state.issue(key, int(number)) if self._bare(owner, repo) else None
        if issue is None:
            return not_found()
        items, links = paginate(request, self._labels_of(key, issue.labels))
        return Response.json(200, [self.shapes.label(owner, repo, lb) for lb in items], links)

    def _labels_body(self, request: Request) -> object:
        body = self._body(request) if request.body.strip().startswith(b"{") else None
        if isinstance(body, dict):
            return body.get("labels", [])
        try:
            return request.json()
        except ValueError:
            return None

    def add_labels(
        self, request: Request, owner: str, repo: str, number: str, replace: bool = False
    ) -> Response:
        key = (HOST, owner, repo)
        issue = self.core.state.issue(key, int(number)) if self._bare(owner, repo) else None
        if issue is None:
            return not_found()
        names = self._ensure_labels(key, self._labels_body(request))
        if isinstance(names, Response):
            return names
        combined = names if replace else tuple(dict.fromkeys([*issue.labels, *names]))
        updated = self.core.state.update_issue(
            key, issue.number, labels=combined, updated_at=utcnow()
        )
        assert updated is not None
        return Response.json(
            200, [self.shapes.label(owner, repo, lb) for lb in self._labels_of(key, updated.labels)]
        )

    def set_labels(self, request: Request, owner: str, repo: str, number: str) -> Response:
        return self.add_labels(request, owner, repo, number, replace=True)

    def add_assignees(self, request: Request, owner: str, repo: str, number: str) -> Response:
        key = (HOST, owner, repo)
        issue = self.core.state.issue(key, int(number)) if self._bare(owner, repo) else None
        if issue is None:
            return not_found()
        body = self._body(request)
        if isinstance(body, Response):
            return body
        names = body.get("assignees", [])
        if not isinstance(names, list) or not all(isinstance(n, str) for n in names):
            return validation_failed("Issue", "assignees", "invalid")
        combined = tuple(dict.fromkeys([*issue.assignees, *names]))
        updated = self.core.state.update_issue(
            key, issue.number, assignees=combined, updated_at=utcnow()
        )
        assert updated is not None
        return Response.json(201, self._issue_json(owner, repo, updated))

    def list_labels(self, request: Request, owner: str, repo: str) -> Response:
        if self._bare(owner, repo) is None:
            return not_found()
        items, links = paginate(request, self.core.state.labels((HOST, owner, repo)))
        return Response.json(200, [self.shapes.label(owner, repo, lb) for lb in items], links)

    def create_label(self, request: Request, owner: str, repo: str) -> Response:
        if self._bare(owner, repo) is None:
            return not_found()
        body = self._body(request)
        if isinstance(body, Response):
            return body
        name = body.get("name")
        if not isinstance(name, str) or not name:
            return validation_failed("Label", "name", "missing_field")
        color = str(body.get("color", "ededed")).lstrip("#")
        label, created = self.core.state.ensure_label(
            (HOST, owner, repo), name, color, _opt_str(body.get("description"))
        )
        if not created:
            return validation_failed("Label", "name", "already_exists")
        return Response.json(201, self.shapes.label(owner, repo, label))


_EMPTY_TREE = "4b825dc642cb6eb9a060e54bf8d69288fbee4904"


def _opt_str(value: object) -> str | None:
    return value if isinstance(value, str) else None


def _version_key(refname: str) -> tuple[Any, ...]:
    """Sort tags like GitHub does (version-aware): numeric runs compare as numbers."""
    name = refname.removeprefix("refs/tags/")
    return tuple(
        (0, int(p), "") if p.isdigit() else (1, 0, p) for p in re.split(r"(\d+)", name) if p
    )
