"""What to do with an update branch: pure decisions over what GitHub says about it.

No I/O here: pulls.py gathers a `BranchSituation`, `decide` returns the ordered steps, the
engine carries them out. The rules (issue 7):
- one branch and at most one open PR per package or source group;
- a newer version while a PR is open updates the same branch and PR and says so in a comment,
  unless a person pushed to the branch: then the branch is left alone and we comment once;
- a version whose PR was closed unmerged is declined and never proposed again;
- a merged PR's branch is deleted;
- every decision can be made again from the PRs' metadata blocks alone (`recover_state`).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

from updater.forge.models import (
    BranchOwnership,
    BranchSituation,
    CommitIdentity,
    ForgeAction,
    ProposedUpdate,
    PullRequestInfo,
    PullState,
)

# Found again in a PR's comments so the person-pushed notice is posted only once.
PERSON_PUSHED_MARKER = "<!-- updater-notice person-pushed -->"


def branch_name(prefix: str, name: str) -> str:
    """`prefix + name` made into a valid git branch name (check-ref-format rules)."""
    safe = re.sub(r"[^A-Za-z0-9._/\-]+", "-", name)
    parts = []
    for part in safe.split("/"):
        part = part.strip(".-")
        part = re.sub(r"\.{2,}", ".", part)
        if part.endswith(".lock"):
            part = part[: -len(".lock")] + "-lock"
        if part:
            parts.append(part)
    tail = "/".join(parts) or "unnamed"
    return f"{prefix}{tail}"


def ownership(commits: Iterable[CommitIdentity], bot_emails: Iterable[str]) -> BranchOwnership:
    """BOT_ONLY when every commit was both authored and committed by the bot."""
    bots = {e.strip().lower() for e in bot_emails if e.strip()}
    seen = False
    for commit in commits:
        seen = True
        if commit.author_email.strip().lower() not in bots:
            return BranchOwnership.PERSON_PUSHED
        if commit.committer_email.strip().lower() not in bots:
            return BranchOwnership.PERSON_PUSHED
    return BranchOwnership.BOT_ONLY if seen else BranchOwnership.ABSENT


def declined_versions(pulls: Iterable[PullRequestInfo]) -> frozenset[str]:
    """Versions whose PR was closed without merging."""
    return frozenset(
        p.metadata.new_version
        for p in pulls
        if p.state is PullState.CLOSED_UNMERGED and p.metadata is not None
    )


def open_pull(pulls: Iterable[PullRequestInfo]) -> PullRequestInfo | None:
    """The branch's open PR (the newest, should a person have opened a second one)."""
    found = [p for p in pulls if p.state is PullState.OPEN]
    return max(found, key=lambda p: p.number) if found else None


def limit_reason(
    open_count: int, opened_last_hour: int, max_open: int, max_new_per_hour: int
) -> str | None:
    """Why no new PR may be opened now, or None when one may."""
    if open_count >= max_open:
        return f"{open_count} update PRs are open (limit {max_open})"
    if opened_last_hour >= max_new_per_hour:
        return f"{opened_last_hour} PRs were opened in the last hour (limit {max_new_per_hour})"
    return None


def person_pushed_comment(branch: str) -> str:
    return (
        f"{PERSON_PUSHED_MARKER}\n"
        f"Someone other than the bot pushed to `{branch}`, so the bot will no longer update this "
        "branch. Close this PR (or delete the branch) to let it propose newer versions again."
    )


def updated_comment(previous: str | None, proposal: ProposedUpdate) -> str:
    was = f" (was `{previous}`)" if previous else ""
    return (
        f"Updated to `{proposal.new_version}`{was}: a newer upstream version appeared, the "
        "branch was rebuilt and force-pushed, and the title and description were refreshed."
    )


def _skip(reason: str, pull: int | None = None) -> ForgeAction:
    return ForgeAction(kind="skip", reason=reason, pull=pull)


def decide(situation: BranchSituation, proposal: ProposedUpdate) -> tuple[ForgeAction, ...]:
    """The steps for `proposal` on its branch, in order; always at least one."""
    declined = situation.declined | declined_versions(situation.pulls)
    current = open_pull(situation.pulls)
    if current is None:
        return _decide_without_open_pull(situation, proposal, declined)

    if proposal.new_version in declined:
        return (_skip(f"version {proposal.new_version} was declined (a PR for it was closed)"),)
    meta = current.metadata
    if meta is not None and meta.new_version == proposal.new_version:
        return (
            _skip(
                f"{proposal.new_version} is already proposed in #{current.number}", current.number
            ),
        )
    if situation.ownership is BranchOwnership.PERSON_PUSHED:
        reason = f"a person pushed to {situation.branch}; the bot leaves it alone"
        if situation.person_comment_posted:
            return (_skip(reason, current.number),)
        return (
            ForgeAction(
                kind="comment",
                reason=reason,
                pull=current.number,
                comment=person_pushed_comment(situation.branch),
            ),
            _skip(reason, current.number),
        )
    previous = meta.new_version if meta is not None else None
    return (
        ForgeAction(
            kind="update",
            reason=f"#{current.number} proposes {previous or 'an unknown version'}; "
            f"{proposal.new_version} is newer",
            pull=current.number,
            comment=updated_comment(previous, proposal),
        ),
    )


def _decide_without_open_pull(
    situation: BranchSituation, proposal: ProposedUpdate, declined: frozenset[str]
) -> tuple[ForgeAction, ...]:
    steps: list[ForgeAction] = []
    ownership_now = situation.ownership
    latest = max(situation.pulls, key=lambda p: p.number) if situation.pulls else None
    if latest is not None and latest.state is PullState.MERGED:
        if ownership_now is not BranchOwnership.ABSENT:
            steps.append(
                ForgeAction(
                    kind="delete-branch",
                    reason=f"#{latest.number} was merged",
                    pull=latest.number,
                )
            )
            ownership_now = BranchOwnership.ABSENT
        if latest.metadata is not None and latest.metadata.new_version == proposal.new_version:
            steps.append(_skip(f"{proposal.new_version} was already merged in #{latest.number}"))
            return tuple(steps)
    if proposal.new_version in declined:
        steps.append(_skip(f"version {proposal.new_version} was declined (a PR for it was closed)"))
        return tuple(steps)
    if ownership_now is BranchOwnership.PERSON_PUSHED:
        # A closed PR's branch with someone's work on it: not ours to overwrite.
        steps.append(_skip(f"{situation.branch} holds commits by a person and has no open PR"))
        return tuple(steps)
    steps.append(ForgeAction(kind="open", reason=f"propose {proposal.new_version}"))
    return tuple(steps)


@dataclass(frozen=True)
class RecoveredBranch:
    """One update branch as rebuilt from GitHub alone."""

    name: str
    branch: str
    open_pull: int | None
    proposed_version: str | None
    declined: frozenset[str]
    merged: frozenset[str]


def recover_state(
    pulls: Iterable[PullRequestInfo], branch_prefix: str
) -> tuple[RecoveredBranch, ...]:
    """Every update branch's state from the bot's PRs (their metadata blocks), by branch."""
    by_branch: dict[str, list[PullRequestInfo]] = {}
    for pull in pulls:
        if pull.head_ref.startswith(branch_prefix):
            by_branch.setdefault(pull.head_ref, []).append(pull)
    recovered = []
    for branch in sorted(by_branch):
        group = by_branch[branch]
        current = open_pull(group)
        names = [p.metadata.name for p in sorted(group, key=lambda p: p.number) if p.metadata]
        recovered.append(
            RecoveredBranch(
                name=names[-1] if names else branch[len(branch_prefix) :],
                branch=branch,
                open_pull=current.number if current else None,
                proposed_version=current.metadata.new_version
                if current is not None and current.metadata is not None
                else None,
                declined=declined_versions(group),
                merged=frozenset(
                    p.metadata.new_version
                    for p in group
                    if p.state is PullState.MERGED and p.metadata is not None
                ),
            )
        )
    return tuple(recovered)
