"""Whose commits are on an update branch, decided from git itself, failing closed.

The remote branch and the default branch are fetched (the push needs the branch's sha anyway)
and the branch's own commits read with `git log branch ^base`. The forge's compare endpoint is
never asked: a 404 or 5xx there once made a branch look absent and a person's commit was
force-pushed over. When git cannot fetch the branch, the caller gets GitError and does not push;
only git saying the ref does not exist makes the branch absent.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from updater.forge.lifecycle import ownership
from updater.forge.models import BranchOwnership, CommitIdentity
from updater.gitops.push import Credentials, remote_branch


@dataclass(frozen=True)
class BranchState:
    """The branch's owner and the sha it was read at (the force-push's lease; None: absent)."""

    ownership: BranchOwnership
    sha: str | None


def branch_state(
    repo: Path,
    url: str,
    branch: str,
    base: str,
    bot_emails: Iterable[str],
    credentials: Credentials | None = None,
) -> BranchState:
    """Raises GitError when the remote branch cannot be read: then nothing is pushed."""
    found = remote_branch(repo, url, branch, base, credentials=credentials)
    if found is None:
        return BranchState(BranchOwnership.ABSENT, None)
    if not found.commits:
        # The branch adds nothing to the base (e.g. merged by rebase): nothing of a person's.
        return BranchState(BranchOwnership.BOT_ONLY, found.sha)
    identities = [
        CommitIdentity(sha=c.sha, author_email=c.author_email, committer_email=c.committer_email)
        for c in found.commits
    ]
    return BranchState(ownership(identities, bot_emails), found.sha)
