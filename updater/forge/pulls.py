"""The bot's pull requests on the package repository: find, read back, open, update, close.

Every PR lives on `{branch_prefix}{name}` of the repository itself (never a fork), so
`pulls?head=owner:branch&state=all` finds all of a branch's PRs, open and closed, and their
metadata blocks say what each proposed. The decisions live in lifecycle.py; this module only
gathers facts (`situation`) and carries out steps.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import UTC, datetime
from typing import Any
from urllib.parse import quote

from github.GithubException import UnknownObjectException

from updater.errors import ForgeError
from updater.forge.body import pull_body, pull_title
from updater.forge.client import HOUR, ForgeClient
from updater.forge.lifecycle import PERSON_PUSHED_MARKER, branch_name
from updater.forge.metadata import parse_metadata
from updater.forge.models import (
    ActionKind,
    BranchOwnership,
    BranchSituation,
    ForgeAction,
    ForgeOutcome,
    ProposedUpdate,
    PullRequestInfo,
    PullState,
)
from updater.logs import get_logger

_log = get_logger("forge.pulls")

# Pushes the update branch (gitops): (branch, force). Force only ever over the bot's own commits.
PushBranch = Callable[[str, bool], None]


def _state(raw_state: str, merged_at: datetime | None) -> PullState:
    if raw_state == "open":
        return PullState.OPEN
    return PullState.MERGED if merged_at is not None else PullState.CLOSED_UNMERGED


def pull_info(pull: Any) -> PullRequestInfo:
    """A PyGithub PullRequest (list shape: no extra request) as the bot's frozen record."""
    user = pull.user
    return PullRequestInfo(
        number=int(pull.number),
        state=_state(str(pull.state), pull.merged_at),
        head_ref=str(pull.head.ref),
        head_sha=str(pull.head.sha),
        base_ref=str(pull.base.ref),
        title=str(pull.title or ""),
        url=str(pull.html_url or ""),
        author=str(user.login) if user is not None else None,
        created_at=pull.created_at,
        metadata=parse_metadata(pull.body),
    )


def _team_and_users(reviewers: Iterable[str]) -> tuple[list[str], list[str]]:
    """`org/team` entries are team reviewers (by slug), the rest user logins."""
    users, teams = [], []
    for entry in reviewers:
        if "/" in entry:
            teams.append(entry.split("/", 1)[1])
        elif entry:
            users.append(entry)
    return users, teams


class PullRequests:
    def __init__(self, client: ForgeClient) -> None:
        self.client = client
        self.settings = client.settings
        self._default_branch: str | None = None

    # reading ------------------------------------------------------------------------------
    def branch(self, name: str) -> str:
        return branch_name(self.settings.branch_prefix, name)

    def default_branch(self) -> str:
        if self._default_branch is None:
            repo = self.client.repo
            self._default_branch = self.client.read(
                f"reading {self.client.repository}", lambda: str(repo.default_branch)
            )
        return self._default_branch

    def for_branch(self, branch: str) -> tuple[PullRequestInfo, ...]:
        """Every PR ever opened from `branch` of this repository, oldest first."""
        head = f"{self.client.owner}:{branch}"
        repo = self.client.repo

        def fetch() -> list[PullRequestInfo]:
            found = [pull_info(p) for p in repo.get_pulls(state="all", head=head)]
            # Some servers ignore an unknown head; never trust a PR of another branch.
            return [p for p in found if p.head_ref == branch]

        pulls = self.client.read(f"listing pull requests of {branch}", fetch)
        return tuple(sorted(pulls, key=lambda p: p.number))

    def bot_pulls(
        self, state: str = "all", since: datetime | None = None
    ) -> tuple[PullRequestInfo, ...]:
        """Every PR from an update branch (`branch_prefix`) of this repository; with `since`,
        only those created after it (paging stops there: the list is newest first)."""
        repo = self.client.repo
        prefix = self.settings.branch_prefix
        owner = self.client.owner

        def fetch() -> list[PullRequestInfo]:
            out = []
            for pull in repo.get_pulls(state=state, sort="created", direction="desc"):
                if since is not None and pull.created_at is not None and pull.created_at <= since:
                    break
                label = str(pull.head.label or "")
                if label.startswith(f"{owner}:") and str(pull.head.ref).startswith(prefix):
                    out.append(pull_info(pull))
            return out

        pulls = self.client.read("listing the bot's pull requests", fetch)
        return tuple(sorted(pulls, key=lambda p: p.number))

    def seed_budget(self) -> None:
        """Count the bot's open PRs and those opened in the last hour, from the forge."""
        open_count = len(self.bot_pulls("open"))
        hour_ago = datetime.fromtimestamp(self.client.clock() - HOUR, UTC)
        recent = self.bot_pulls("all", since=hour_ago)
        opened = [p.created_at.timestamp() for p in recent if p.created_at is not None]
        self.client.budget.seed(open_count, opened)

    def has_comment(self, number: int, marker: str) -> bool:
        issue = self.client.repo.get_issue(number)

        def fetch() -> bool:
            return any(marker in (c.body or "") for c in issue.get_comments())

        return self.client.read(f"reading comments of #{number}", fetch)

    def situation(
        self,
        name: str,
        declined: frozenset[str] = frozenset(),
        *,
        ownership: BranchOwnership,
    ) -> BranchSituation:
        """Everything lifecycle.decide needs about the branch of `name`. Whose commits are on
        the branch is the caller's, read from git (delivery/ownership.py): the forge's compare
        endpoint answering 404 or 5xx must not make a person's branch look absent."""
        branch = self.branch(name)
        pulls = self.for_branch(branch)
        owner = ownership
        open_pulls = [p for p in pulls if p.state is PullState.OPEN]
        commented = False
        if owner is BranchOwnership.PERSON_PUSHED and open_pulls:
            commented = self.has_comment(max(p.number for p in open_pulls), PERSON_PUSHED_MARKER)
        return BranchSituation(
            branch=branch,
            pulls=pulls,
            ownership=owner,
            declined=declined,
            person_comment_posted=commented,
        )

    # writing ------------------------------------------------------------------------------
    def open(self, update: ProposedUpdate, base: str | None = None) -> int | None:
        """Open the PR for `update` from its (already pushed) branch; its number, None in dry-run.

        Refused with ForgeError when `max_open` or `max_new_per_hour` would be exceeded.
        Labels, reviewers and assignees from the config follow; their failures are logged, not
        raised: the PR exists either way.
        """
        refusal = self.client.budget.refusal()
        if refusal is not None:
            raise ForgeError(f"not opening a pull request for {update.name}: {refusal}")
        branch = self.branch(update.name)
        target = base or self.default_branch()
        title, body = pull_title(update), pull_body(update)
        repo = self.client.repo
        created = self.client.write(
            "POST",
            f"{self.client.api_repo_path}/pulls",
            f"open {branch} -> {target}: {title}",
            lambda: repo.create_pull(
                base=target, head=branch, title=title, body=body, maintainer_can_modify=True
            ),
        )
        self.client.budget.note_opened()
        if created is None:
            return None
        number = int(created.number)
        _log.info("pull request opened", number=number, branch=branch, version=update.new_version)
        self._decorate(number)
        return number

    def _decorate(self, number: int) -> None:
        settings = self.settings
        steps: list[Callable[[], None]] = []
        if settings.labels:
            steps.append(lambda: self.add_labels(number, settings.labels))
        if settings.reviewers:
            steps.append(lambda: self.request_reviewers(number, settings.reviewers))
        if settings.assignees:
            steps.append(lambda: self.add_assignees(number, settings.assignees))
        for step in steps:
            try:
                step()
            except ForgeError as exc:
                _log.warning("pull request decoration failed", number=number, error=str(exc))

    def update(self, number: int, update: ProposedUpdate) -> None:
        """Refresh title and body (with its metadata block) after the branch moved."""
        title, body = pull_title(update), pull_body(update)
        pull = self.client.repo.get_pull(number)
        self.client.write(
            "PATCH",
            f"{self.client.api_repo_path}/pulls/{number}",
            f"update #{number}: {title}",
            lambda: pull.edit(title=title, body=body),
        )

    def comment(self, number: int, text: str) -> None:
        issue = self.client.repo.get_issue(number)
        self.client.write(
            "POST",
            f"{self.client.api_repo_path}/issues/{number}/comments",
            f"comment on #{number}: {text.splitlines()[-1][:80] if text else ''}",
            lambda: issue.create_comment(text),
        )

    def add_labels(self, number: int, labels: Iterable[str]) -> None:
        names = [n for n in labels if n]
        # PyGithub's add_to_labels sends a bare array; GitHub's description wants {"labels": [...]}.
        path = f"{self.client.repo.url}/issues/{number}/labels"
        requester = self.client.requester
        self.client.write(
            "POST",
            f"{self.client.api_repo_path}/issues/{number}/labels",
            f"label #{number}: {', '.join(names)}",
            lambda: requester.requestJsonAndCheck("POST", path, input={"labels": names}),
        )

    def request_reviewers(self, number: int, reviewers: Iterable[str]) -> None:
        users, teams = _team_and_users(reviewers)
        pull = self.client.repo.get_pull(number)
        kwargs: dict[str, Any] = {}
        if users:
            kwargs["reviewers"] = users
        if teams:
            kwargs["team_reviewers"] = teams
        self.client.write(
            "POST",
            f"{self.client.api_repo_path}/pulls/{number}/requested_reviewers",
            f"request reviews on #{number}: {', '.join([*users, *teams])}",
            lambda: pull.create_review_request(**kwargs),
        )

    def add_assignees(self, number: int, assignees: Iterable[str]) -> None:
        names = [n for n in assignees if n]
        issue = self.client.repo.get_issue(number)
        self.client.write(
            "POST",
            f"{self.client.api_repo_path}/issues/{number}/assignees",
            f"assign #{number}: {', '.join(names)}",
            lambda: issue.add_to_assignees(*names),
        )

    def close(self, number: int) -> None:
        pull = self.client.repo.get_pull(number)
        self.client.write(
            "PATCH",
            f"{self.client.api_repo_path}/pulls/{number}",
            f"close #{number}",
            lambda: pull.edit(state="closed"),
        )
        self.client.budget.note_closed()

    def branch_sha(self, branch: str) -> str | None:
        path = f"{self.client.repo.url}/git/ref/heads/{quote(branch, safe='/')}"
        requester = self.client.requester

        def fetch() -> str | None:
            try:
                _, data = requester.requestJsonAndCheck("GET", path)
            except UnknownObjectException:
                return None
            obj = data.get("object") if isinstance(data, dict) else None
            sha = obj.get("sha") if isinstance(obj, dict) else None
            return str(sha) if sha else None

        return self.client.read(f"reading branch {branch}", fetch)

    def delete_branch(self, branch: str, expected_sha: str | None = None) -> bool:
        """Delete `branch` (after its PR was merged); only when it still points at `expected_sha`,
        so commits pushed after the merge are never lost. True when deleted (or would be)."""
        if not branch.startswith(self.settings.branch_prefix):
            raise ForgeError(f"refusing to delete {branch}: not an update branch")
        current = self.branch_sha(branch)
        if current is None:
            return False
        if expected_sha is not None and current != expected_sha:
            _log.warning("branch moved after merge; kept", branch=branch, sha=current)
            return False
        path = f"{self.client.repo.url}/git/refs/heads/{quote(branch, safe='/')}"
        requester = self.client.requester
        self.client.write(
            "DELETE",
            f"{self.client.api_repo_path}/git/refs/heads/{branch}",
            f"delete merged branch {branch}",
            lambda: requester.requestJsonAndCheck("DELETE", path),
        )
        return True

    # carrying out lifecycle decisions ---------------------------------------------------------
    def carry_out(
        self,
        situation: BranchSituation,
        actions: Iterable[ForgeAction],
        update: ProposedUpdate,
        push: PushBranch,
    ) -> ForgeOutcome:
        """Run `lifecycle.decide`'s steps in order; the limits are checked before anything is
        pushed, so a refused PR leaves no orphan branch. In dry-run nothing is pushed either."""
        branch = situation.branch
        exists = situation.ownership is not BranchOwnership.ABSENT
        heads = {p.number: p.head_sha for p in situation.pulls}
        done: list[ActionKind] = []
        pull: int | None = None
        reason = ""
        for action in actions:
            reason = action.reason
            if action.kind == "skip":
                pull = action.pull
                done.append("skip")
                break
            if action.kind == "comment" and action.pull is not None and action.comment:
                self.comment(action.pull, action.comment)
            elif action.kind == "delete-branch":
                expected = heads.get(action.pull) if action.pull is not None else None
                if self.delete_branch(branch, expected):
                    exists = False
            elif action.kind == "open":
                refusal = self.client.budget.refusal()
                if refusal is not None:
                    done.append("skip")
                    reason = refusal
                    break
                self._push(push, branch, force=exists)
                pull = self.open(update)
            elif action.kind == "update" and action.pull is not None:
                self._push(push, branch, force=True)
                self.update(action.pull, update)
                if action.comment:
                    self.comment(action.pull, action.comment)
                pull = action.pull
            done.append(action.kind)
        return ForgeOutcome(
            name=update.name, branch=branch, done=tuple(done), pull=pull, reason=reason
        )

    def _push(self, push: PushBranch, branch: str, *, force: bool) -> None:
        verb = "force-push" if force else "push"
        self.client.record("PUSH", f"refs/heads/{branch}", f"{verb} {branch}")
        if not self.client.dry_run:
            # A push creates content too: paced with the API's writes (>= 1 s apart).
            with self.client.pacer.slot():
                push(branch, force)
