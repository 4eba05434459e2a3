"""Commits in a scratch worktree, with the bot's identity and nothing from git's global config.

A CI runner has no git identity and the bot must never borrow the user's: author and committer
are always given explicitly (environment and `-c user.*`).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from updater.errors import GitError
from updater.gitops.command import git_out, run_git

_EMAIL = re.compile(r"[^\s<>@]+@[^\s<>@]+")


@dataclass(frozen=True)
class Identity:
    """Who the bot's commits are by, e.g. `updater[bot]` <updater[bot]@users.noreply.github.com>."""

    name: str
    email: str

    def __post_init__(self) -> None:
        if not self.name.strip() or any(c in self.name for c in "<>\n"):
            raise GitError(f"invalid commit author name {self.name!r}")
        if not _EMAIL.fullmatch(self.email):
            raise GitError(f"invalid commit author email {self.email!r}")

    def env(self) -> dict[str, str]:
        return {
            "GIT_AUTHOR_NAME": self.name,
            "GIT_AUTHOR_EMAIL": self.email,
            "GIT_COMMITTER_NAME": self.name,
            "GIT_COMMITTER_EMAIL": self.email,
        }

    def config_args(self) -> list[str]:
        return ["-c", f"user.name={self.name}", "-c", f"user.email={self.email}"]


def commit(
    worktree: Path,
    message: str,
    identity: Identity,
    paths: Sequence[str] | None = None,
) -> str:
    """Stage `paths` (default: every change) in `worktree`, commit, return the new commit id.

    Raises GitError when there is nothing to commit: an update that changes nothing is a bug
    upstream of here, not an empty commit.
    """
    if not message.strip():
        raise GitError(f"{worktree}: empty commit message")
    if paths is None:
        run_git(["add", "--all"], worktree)
    else:
        if any(p.startswith("-") for p in paths):
            raise GitError(f"{worktree}: refusing path arguments {list(paths)!r}")
        run_git(["add", "--all", "--", *paths], worktree)
    done = run_git(
        [*identity.config_args(), "commit", "--quiet", "--no-verify", "-m", message],
        worktree,
        env=identity.env(),
        check=False,
    )
    if done.returncode != 0:
        # Asked only now: a commit that succeeds needs no second git call to say why.
        if run_git(["diff", "--cached", "--quiet"], worktree, check=False).returncode == 0:
            raise GitError(f"{worktree}: nothing to commit")
        lines = [line.strip() for line in done.stderr.splitlines() if line.strip()]
        raise GitError(f"git commit in {worktree} failed: {(lines or ['?'])[-1][:300]}")
    return git_out(["rev-parse", "HEAD"], worktree)


def changed_files(worktree: Path, base: str) -> list[str]:
    """Paths changed between `base` and the worktree's HEAD."""
    out = git_out(["diff", "--name-only", base, "HEAD", "--"], worktree)
    return [line for line in out.splitlines() if line]
