"""GitHub REST v3 JSON bodies in GitHub's real shapes (checked against its OpenAPI description).

`api` URLs point at the local forge so clients can follow them; `html_url` and download URLs keep
the public `https://github.com/...` form that package files contain (git's insteadOf rules map
them to the forge).
"""

from __future__ import annotations

import base64
import hashlib
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from updater_sandbox.forge.gitrepo import CommitInfo, DiffStat, GitPerson, RefInfo
from updater_sandbox.forge.state import (
    ForgeAsset,
    ForgeComment,
    ForgeIssue,
    ForgeLabel,
    ForgePull,
    ForgeRelease,
    ForgeUser,
)

Json = dict[str, Any]
PUBLIC = "https://github.com"


def iso(value: datetime | None) -> str | None:
    if value is None:
        return None
    return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def stable_id(*parts: str) -> int:
    """A positive id that stays the same for the same name across forge restarts."""
    return (
        int.from_bytes(hashlib.sha256("/".join(parts).encode()).digest()[:4], "big") % 900_000_000
        + 1000
    )


def node_id(kind: str, ident: int | str) -> str:
    return base64.b64encode(f"0:{kind}{ident}".encode()).decode().rstrip("=")


@dataclass(frozen=True)
class RepoFacts:
    """What a repository JSON needs that only git knows."""

    owner: str
    name: str
    default_branch: str
    created_at: datetime
    pushed_at: datetime
    open_issues: int = 0


class GitHubShapes:
    def __init__(self, api_url: str) -> None:
        self.api = api_url

    # users --------------------------------------------------------------------------------
    def user(self, user: ForgeUser) -> Json:
        api = f"{self.api}/users/{user.login}"
        return {
            "login": user.login,
            "id": user.id,
            "node_id": node_id("User", user.id),
            "avatar_url": f"https://avatars.githubusercontent.com/u/{user.id}?v=4",
            "gravatar_id": "",
            "url": api,
            "html_url": f"{PUBLIC}/{user.login}",
            "followers_url": f"{api}/followers",
            "following_url": f"{api}/following{{/other_user}}",
            "gists_url": f"{api}/gists{{/gist_id}}",
            "starred_url": f"{api}/starred{{/owner}}{{/repo}}",
            "subscriptions_url": f"{api}/subscriptions",
            "organizations_url": f"{api}/orgs",
            "repos_url": f"{api}/repos",
            "events_url": f"{api}/events{{/privacy}}",
            "received_events_url": f"{api}/received_events",
            "type": user.type,
            "user_view_type": "public",
            "site_admin": False,
        }

    def owner_user(self, login: str) -> Json:
        return self.user(ForgeUser(login, stable_id("user", login), "User"))

    def private_user(self, user: ForgeUser, created: datetime) -> Json:
        stamp = iso(created)
        return {
            **self.user(user),
            "name": user.login,
            "company": None,
            "blog": "",
            "location": None,
            "email": None,
            "hireable": None,
            "bio": None,
            "twitter_username": None,
            "public_repos": 0,
            "public_gists": 0,
            "followers": 0,
            "following": 0,
            "created_at": stamp,
            "updated_at": stamp,
            "private_gists": 0,
            "total_private_repos": 0,
            "owned_private_repos": 0,
            "disk_usage": 0,
            "collaborators": 0,
            "two_factor_authentication": True,
        }

    # repositories -------------------------------------------------------------------------
    def repo_api(self, owner: str, name: str) -> str:
        return f"{self.api}/repos/{owner}/{name}"

    def repository(self, facts: RepoFacts, *, full: bool = True) -> Json:
        api = self.repo_api(facts.owner, facts.name)
        html = f"{PUBLIC}/{facts.owner}/{facts.name}"
        rid = stable_id("repo", facts.owner, facts.name)
        out: Json = {
            "id": rid,
            "node_id": node_id("Repository", rid),
            "name": facts.name,
            "full_name": f"{facts.owner}/{facts.name}",
            "private": False,
            "owner": self.owner_user(facts.owner),
            "html_url": html,
            "description": None,
            "fork": False,
            "url": api,
            "forks_url": f"{api}/forks",
            "keys_url": f"{api}/keys{{/key_id}}",
            "collaborators_url": f"{api}/collaborators{{/collaborator}}",
            "teams_url": f"{api}/teams",
            "hooks_url": f"{api}/hooks",
            "issue_events_url": f"{api}/issues/events{{/number}}",
            "events_url": f"{api}/events",
            "assignees_url": f"{api}/assignees{{/user}}",
            "branches_url": f"{api}/branches{{/branch}}",
            "tags_url": f"{api}/tags",
            "blobs_url": f"{api}/git/blobs{{/sha}}",
            "git_tags_url": f"{api}/git/tags{{/sha}}",
            "git_refs_url": f"{api}/git/refs{{/sha}}",
            "trees_url": f"{api}/git/trees{{/sha}}",
            "statuses_url": f"{api}/statuses/{{sha}}",
            "languages_url": f"{api}/languages",
            "stargazers_url": f"{api}/stargazers",
            "contributors_url": f"{api}/contributors",
            "subscribers_url": f"{api}/subscribers",
            "subscription_url": f"{api}/subscription",
            "commits_url": f"{api}/commits{{/sha}}",
            "git_commits_url": f"{api}/git/commits{{/sha}}",
            "comments_url": f"{api}/comments{{/number}}",
            "issue_comment_url": f"{api}/issues/comments{{/number}}",
            "contents_url": f"{api}/contents/{{+path}}",
            "compare_url": f"{api}/compare/{{base}}...{{head}}",
            "merges_url": f"{api}/merges",
            "archive_url": f"{api}/{{archive_format}}{{/ref}}",
            "downloads_url": f"{api}/downloads",
            "issues_url": f"{api}/issues{{/number}}",
            "pulls_url": f"{api}/pulls{{/number}}",
            "milestones_url": f"{api}/milestones{{/number}}",
            "notifications_url": f"{api}/notifications{{?since,all,participating}}",
            "labels_url": f"{api}/labels{{/name}}",
            "releases_url": f"{api}/releases{{/id}}",
            "deployments_url": f"{api}/deployments",
            "created_at": iso(facts.created_at),
            "updated_at": iso(facts.pushed_at),
            "pushed_at": iso(facts.pushed_at),
            "git_url": f"git://github.com/{facts.owner}/{facts.name}.git",
            "ssh_url": f"git@github.com:{facts.owner}/{facts.name}.git",
            "clone_url": f"{html}.git",
            "svn_url": html,
            "homepage": None,
            "size": 0,
            "stargazers_count": 0,
            "watchers_count": 0,
            "language": None,
            "has_issues": True,
            "has_projects": True,
            "has_downloads": True,
            "has_wiki": True,
            "has_pages": False,
            "has_discussions": False,
            "forks_count": 0,
            "mirror_url": None,
            "archived": False,
            "disabled": False,
            "open_issues_count": facts.open_issues,
            "license": None,
            "allow_forking": True,
            "is_template": False,
            "web_commit_signoff_required": False,
            "topics": [],
            "visibility": "public",
            "forks": 0,
            "open_issues": facts.open_issues,
            "watchers": 0,
            "default_branch": facts.default_branch,
        }
        if full:
            out.update(
                {
                    "permissions": {
                        "admin": False,
                        "maintain": False,
                        "push": True,
                        "triage": True,
                        "pull": True,
                    },
                    "allow_squash_merge": True,
                    "allow_merge_commit": True,
                    "allow_rebase_merge": True,
                    "allow_auto_merge": False,
                    "delete_branch_on_merge": False,
                    "network_count": 0,
                    "subscribers_count": 0,
                }
            )
        return out

    # releases -----------------------------------------------------------------------------
    def asset(self, release: ForgeRelease, asset: ForgeAsset) -> Json:
        api = self.repo_api(release.owner, release.repo)
        return {
            "url": f"{api}/releases/assets/{asset.id}",
            "id": asset.id,
            "node_id": node_id("ReleaseAsset", asset.id),
            "name": asset.name,
            "label": "",
            "uploader": self.user(release.author),
            "content_type": asset.content_type,
            "state": "uploaded",
            "size": asset.size,
            "digest": None,
            "download_count": 0,
            "created_at": iso(asset.created_at),
            "updated_at": iso(asset.created_at),
            "browser_download_url": (
                f"{PUBLIC}/{release.owner}/{release.repo}/releases/download/{release.tag}/{asset.name}"
            ),
        }

    def release(self, release: ForgeRelease, assets: list[ForgeAsset]) -> Json:
        api = self.repo_api(release.owner, release.repo)
        html = f"{PUBLIC}/{release.owner}/{release.repo}"
        tag_html = (
            f"{html}/releases/tag/{release.tag}"
            if not release.draft
            else f"{html}/releases/tag/untagged-{release.id}"
        )
        return {
            "url": f"{api}/releases/{release.id}",
            "assets_url": f"{api}/releases/{release.id}/assets",
            "upload_url": f"https://uploads.github.com/repos/{release.owner}/{release.repo}/releases/{release.id}/assets{{?name,label}}",
            "html_url": tag_html,
            "id": release.id,
            "author": self.user(release.author),
            "node_id": node_id("Release", release.id),
            "tag_name": release.tag,
            "target_commitish": release.target_commitish,
            "name": release.name,
            "draft": release.draft,
            "immutable": False,
            "prerelease": release.prerelease,
            "created_at": iso(release.created_at),
            "updated_at": iso(release.published_at or release.created_at),
            "published_at": iso(release.published_at),
            "assets": [self.asset(release, a) for a in assets],
            "tarball_url": f"{api}/tarball/{release.tag}",
            "zipball_url": f"{api}/zipball/{release.tag}",
            "body": release.body,
        }

    # git data -----------------------------------------------------------------------------
    def tag(self, owner: str, repo: str, ref: RefInfo) -> Json:
        api = self.repo_api(owner, repo)
        name = ref.name.removeprefix("refs/tags/")
        return {
            "name": name,
            "zipball_url": f"{api}/zipball/refs/tags/{name}",
            "tarball_url": f"{api}/tarball/refs/tags/{name}",
            "commit": {"sha": ref.commit, "url": f"{api}/commits/{ref.commit}"},
            "node_id": node_id("Ref", f"{owner}/{repo}/{ref.name}"),
        }

    def git_ref(self, owner: str, repo: str, ref: RefInfo) -> Json:
        api = self.repo_api(owner, repo)
        kind = "tag" if ref.object_type == "tag" else "commit"
        obj_url = f"{api}/git/tags/{ref.oid}" if kind == "tag" else f"{api}/git/commits/{ref.oid}"
        return {
            "ref": ref.name,
            "node_id": node_id("Ref", f"{owner}/{repo}/{ref.name}"),
            "url": f"{api}/git/{ref.name}",
            "object": {"sha": ref.oid, "type": kind, "url": obj_url},
        }

    def short_branch(self, owner: str, repo: str, name: str, sha: str) -> Json:
        return {
            "name": name,
            "commit": {"sha": sha, "url": f"{self.repo_api(owner, repo)}/commits/{sha}"},
            "protected": False,
        }

    def branch(self, owner: str, repo: str, name: str, commit: CommitInfo) -> Json:
        api = self.repo_api(owner, repo)
        return {
            "name": name,
            "commit": self.commit(owner, repo, commit),
            "_links": {
                "self": f"{api}/branches/{name}",
                "html": f"{PUBLIC}/{owner}/{repo}/tree/{name}",
            },
            "protected": False,
            "protection": {
                "enabled": False,
                "required_status_checks": {
                    "enforcement_level": "off",
                    "contexts": [],
                    "checks": [],
                },
            },
            "protection_url": f"{api}/branches/{name}/protection",
        }

    def git_person(self, person: GitPerson) -> Json:
        return {"name": person.name, "email": person.email, "date": iso(person.date)}

    def commit(
        self, owner: str, repo: str, commit: CommitInfo, diff: DiffStat | None = None
    ) -> Json:
        api = self.repo_api(owner, repo)
        html = f"{PUBLIC}/{owner}/{repo}"
        out: Json = {
            "sha": commit.sha,
            "node_id": node_id("Commit", commit.sha),
            "commit": {
                "author": self.git_person(commit.author),
                "committer": self.git_person(commit.committer),
                "message": commit.message,
                "tree": {"sha": commit.tree, "url": f"{api}/git/trees/{commit.tree}"},
                "url": f"{api}/git/commits/{commit.sha}",
                "comment_count": 0,
                "verification": {
                    "verified": False,
                    "reason": "unsigned",
                    "signature": None,
                    "payload": None,
                    "verified_at": None,
                },
            },
            "url": f"{api}/commits/{commit.sha}",
            "html_url": f"{html}/commit/{commit.sha}",
            "comments_url": f"{api}/commits/{commit.sha}/comments",
            # Git identities of the fixture map to no GitHub account.
            "author": None,
            "committer": None,
            "parents": [
                {"sha": p, "url": f"{api}/commits/{p}", "html_url": f"{html}/commit/{p}"}
                for p in commit.parents
            ],
        }
        if diff is not None:
            out["stats"] = {
                "total": diff.additions + diff.deletions,
                "additions": diff.additions,
                "deletions": diff.deletions,
            }
            out["files"] = self.files(owner, repo, commit.sha, diff)
        return out

    def files(self, owner: str, repo: str, sha: str, diff: DiffStat) -> list[Json]:
        status = {
            "A": "added",
            "D": "removed",
            "M": "modified",
            "R": "renamed",
            "C": "copied",
            "T": "changed",
        }
        api = self.repo_api(owner, repo)
        return [
            {
                "sha": None,
                "filename": path,
                "status": status.get(letter, "modified"),
                "additions": 0,
                "deletions": 0,
                "changes": 0,
                "blob_url": f"{PUBLIC}/{owner}/{repo}/blob/{sha}/{path}",
                "raw_url": f"{PUBLIC}/{owner}/{repo}/raw/{sha}/{path}",
                "contents_url": f"{api}/contents/{path}?ref={sha}",
            }
            for letter, path in diff.files
        ]

    # issues, pulls, comments, labels ------------------------------------------------------
    def label(self, owner: str, repo: str, label: ForgeLabel) -> Json:
        return {
            "id": label.id,
            "node_id": node_id("Label", label.id),
            "url": f"{self.repo_api(owner, repo)}/labels/{label.name}",
            "name": label.name,
            "color": label.color,
            "default": False,
            "description": label.description,
        }

    def issue(
        self, owner: str, repo: str, issue: ForgeIssue, labels: list[ForgeLabel], comments: int
    ) -> Json:
        api = self.repo_api(owner, repo)
        html = f"{PUBLIC}/{owner}/{repo}"
        kind = "pull" if issue.is_pull else "issues"
        assignees = [self.owner_user(a) for a in issue.assignees]
        out: Json = {
            "url": f"{api}/issues/{issue.number}",
            "repository_url": api,
            "labels_url": f"{api}/issues/{issue.number}/labels{{/name}}",
            "comments_url": f"{api}/issues/{issue.number}/comments",
            "events_url": f"{api}/issues/{issue.number}/events",
            "html_url": f"{html}/{kind}/{issue.number}",
            "id": issue.id,
            "node_id": node_id("Issue", issue.id),
            "number": issue.number,
            "title": issue.title,
            "user": self.user(issue.user),
            "labels": [self.label(owner, repo, lb) for lb in labels],
            "state": issue.state,
            "locked": False,
            "assignee": assignees[0] if assignees else None,
            "assignees": assignees,
            "milestone": None,
            "comments": comments,
            "created_at": iso(issue.created_at),
            "updated_at": iso(issue.updated_at),
            "closed_at": iso(issue.closed_at),
            "author_association": "NONE" if issue.user.type == "Bot" else "MEMBER",
            "active_lock_reason": None,
            "body": issue.body,
            "closed_by": self.user(issue.closed_by) if issue.closed_by else None,
            "reactions": self.reactions(f"{api}/issues/{issue.number}/reactions"),
            "timeline_url": f"{api}/issues/{issue.number}/timeline",
            "performed_via_github_app": None,
            "state_reason": issue.state_reason,
        }
        return out

    def issue_pull_link(
        self, owner: str, repo: str, number: int, merged_at: datetime | None
    ) -> Json:
        api = self.repo_api(owner, repo)
        html = f"{PUBLIC}/{owner}/{repo}/pull/{number}"
        return {
            "url": f"{api}/pulls/{number}",
            "html_url": html,
            "diff_url": f"{html}.diff",
            "patch_url": f"{html}.patch",
            "merged_at": iso(merged_at),
        }

    def reactions(self, url: str) -> Json:
        return {
            "url": url,
            "total_count": 0,
            "+1": 0,
            "-1": 0,
            "laugh": 0,
            "hooray": 0,
            "confused": 0,
            "heart": 0,
            "rocket": 0,
            "eyes": 0,
        }

    def comment(self, owner: str, repo: str, comment: ForgeComment) -> Json:
        api = self.repo_api(owner, repo)
        return {
            "url": f"{api}/issues/comments/{comment.id}",
            "html_url": f"{PUBLIC}/{owner}/{repo}/issues/{comment.issue_number}#issuecomment-{comment.id}",
            "issue_url": f"{api}/issues/{comment.issue_number}",
            "id": comment.id,
            "node_id": node_id("IssueComment", comment.id),
            "user": self.user(comment.user),
            "created_at": iso(comment.created_at),
            "updated_at": iso(comment.updated_at),
            "author_association": "NONE" if comment.user.type == "Bot" else "MEMBER",
            "body": comment.body,
            "reactions": self.reactions(f"{api}/issues/comments/{comment.id}/reactions"),
            "performed_via_github_app": None,
        }

    def pull(
        self,
        facts: RepoFacts,
        pull: ForgePull,
        issue: ForgeIssue,
        labels: list[ForgeLabel],
        *,
        simple: bool = False,
        counts: tuple[int, DiffStat] | None = None,
        comments: int = 0,
    ) -> Json:
        owner, repo = facts.owner, facts.name
        api = self.repo_api(owner, repo)
        html = f"{PUBLIC}/{owner}/{repo}/pull/{pull.number}"
        repo_json = self.repository(facts, full=False)
        assignees = [self.owner_user(a) for a in issue.assignees]

        def side(owner_login: str, ref: str, sha: str) -> Json:
            return {
                "label": f"{owner_login}:{ref}",
                "ref": ref,
                "sha": sha,
                "user": self.owner_user(owner_login),
                "repo": repo_json,
            }

        out: Json = {
            "url": f"{api}/pulls/{pull.number}",
            "id": pull.id,
            "node_id": node_id("PullRequest", pull.id),
            "html_url": html,
            "diff_url": f"{html}.diff",
            "patch_url": f"{html}.patch",
            "issue_url": f"{api}/issues/{pull.number}",
            "commits_url": f"{api}/pulls/{pull.number}/commits",
            "review_comments_url": f"{api}/pulls/{pull.number}/comments",
            "review_comment_url": f"{api}/pulls/comments{{/number}}",
            "comments_url": f"{api}/issues/{pull.number}/comments",
            "statuses_url": f"{api}/statuses/{pull.head_sha}",
            "number": pull.number,
            "state": issue.state,
            "locked": False,
            "title": issue.title,
            "user": self.user(issue.user),
            "body": issue.body,
            # Pull-request label objects are described with a non-null description.
            "labels": [
                {**self.label(owner, repo, lb), "description": lb.description or ""}
                for lb in labels
            ],
            "milestone": None,
            "active_lock_reason": None,
            "created_at": iso(issue.created_at),
            "updated_at": iso(issue.updated_at),
            "closed_at": iso(issue.closed_at),
            "merged_at": iso(pull.merged_at),
            "merge_commit_sha": pull.merge_commit_sha,
            "assignee": assignees[0] if assignees else None,
            "assignees": assignees,
            "requested_reviewers": [self.owner_user(r) for r in pull.requested_reviewers],
            "requested_teams": [],
            "head": side(pull.head_owner, pull.head_ref, pull.head_sha),
            "base": side(owner, pull.base_ref, pull.base_sha),
            "_links": {
                "self": {"href": f"{api}/pulls/{pull.number}"},
                "html": {"href": html},
                "issue": {"href": f"{api}/issues/{pull.number}"},
                "comments": {"href": f"{api}/issues/{pull.number}/comments"},
                "review_comments": {"href": f"{api}/pulls/{pull.number}/comments"},
                "review_comment": {"href": f"{api}/pulls/comments{{/number}}"},
                "commits": {"href": f"{api}/pulls/{pull.number}/commits"},
                "statuses": {"href": f"{api}/statuses/{pull.head_sha}"},
            },
            "author_association": "NONE" if issue.user.type == "Bot" else "MEMBER",
            "auto_merge": None,
            "draft": pull.draft,
        }
        if simple:
            return out
        n_commits, diff = counts if counts is not None else (0, DiffStat((), 0, 0))
        out.update(
            {
                "merged": pull.merged,
                "mergeable": None if pull.merged or issue.state == "closed" else True,
                "rebaseable": None if pull.merged or issue.state == "closed" else True,
                "mergeable_state": "unknown" if pull.merged or issue.state == "closed" else "clean",
                "merged_by": self.user(pull.merged_by) if pull.merged_by else None,
                "comments": comments,
                "review_comments": 0,
                "maintainer_can_modify": pull.maintainer_can_modify,
                "commits": n_commits,
                "additions": diff.additions,
                "deletions": diff.deletions,
                "changed_files": len(diff.files),
            }
        )
        return out
