"""Scratch worktrees: where every update is written, committed and built.

`scratch_worktree` adds a detached worktree of the package repository at a base ref, in a
temporary directory outside the repository. The user's checkout (current branch, HEAD, index,
working tree) is never touched, and no branch is created while the work runs: the local branch
`updater/<name>` is created or moved only when the block ends without an exception
(`ScratchWorktree.keep_as`). The worktree is removed on success and on failure (and pruned
when removing it failed); one left by a run killed earlier is removed by the next
(gitops/scratch.py).
"""

from __future__ import annotations

import re
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import git

from updater.errors import GitError
from updater.gitops.command import git_out, run_git
from updater.gitops.scratch import sweep
from updater.logs import get_logger
from updater.tempdirs import claimed_dir

_log = get_logger("updater.gitops.worktree")

_SHA = re.compile(r"[0-9a-f]{40}(?:[0-9a-f]{24})?")


def open_repo(path: Path) -> git.Repo:
    """The repository at `path` (its top level), or GitError."""
    try:
        return git.Repo(path, search_parent_directories=True)
    except (git.InvalidGitRepositoryError, git.NoSuchPathError):
        raise GitError(f"{path} is not a git repository") from None


def resolve_commit(repo: Path, ref: str) -> str:
    """The commit id `ref` names in `repo`."""
    if ref.startswith("-"):
        raise GitError(f"refusing ref {ref!r} in {repo}")
    try:
        return str(open_repo(repo).commit(ref).hexsha)
    except (git.BadName, ValueError, git.GitCommandError):
        raise GitError(f"{repo}: no commit named {ref!r}") from None


def check_branch_name(repo: Path, branch: str) -> str:
    """`branch` if git accepts it as a branch name, else GitError."""
    if (
        branch.startswith("-")
        or run_git(["check-ref-format", "--branch", branch], repo, check=False).returncode
    ):
        raise GitError(f"{repo}: invalid branch name {branch!r}")
    return branch


def checked_out_branches(repo: Path) -> set[str]:
    """Branches checked out in any worktree of `repo` (the user's included)."""
    listing = git_out(["worktree", "list", "--porcelain"], repo)
    return {
        line.removeprefix("branch refs/heads/")
        for line in listing.splitlines()
        if line.startswith("branch refs/heads/")
    }


def set_branch(repo: Path, branch: str, sha: str, expected_old: str | None = None) -> None:
    """Create or move local branch `branch` to `sha`, refusing a branch checked out anywhere.

    With `expected_old`, the move happens only if the branch is still there ("" = must not exist).
    """
    check_branch_name(repo, branch)
    if not _SHA.fullmatch(sha):
        raise GitError(f"{repo}: {sha!r} is not a commit id")
    if branch in checked_out_branches(repo):
        raise GitError(f"{repo}: branch {branch} is checked out; the bot never moves it")
    args = ["update-ref", "-m", "updater", f"refs/heads/{branch}", sha]
    if expected_old is not None:
        args.append(expected_old or "0" * 40)
    run_git(args, repo)


def git_common_dir(repo: Path) -> Path:
    common = Path(git_out(["rev-parse", "--git-common-dir"], repo))
    return common if common.is_absolute() else (repo / common).resolve()


def ensure_excluded(repo: Path, pattern: str = ".updater/") -> None:
    """Keep `pattern` out of git status via .git/info/exclude (never a tracked .gitignore)."""
    exclude = git_common_dir(repo) / "info" / "exclude"
    exclude.parent.mkdir(parents=True, exist_ok=True)
    text = exclude.read_text() if exclude.exists() else ""
    if pattern in (line.strip() for line in text.splitlines()):
        return
    prefix = "" if not text or text.endswith("\n") else "\n"
    exclude.write_text(f"{text}{prefix}# kept out of git status by updater\n{pattern}\n")


@dataclass
class ScratchWorktree:
    """A detached worktree; `path` is where files are edited and commits made."""

    repo: Path
    path: Path
    base: str
    _keep: list[tuple[str, str | None]] = field(default_factory=list)

    def head(self) -> str:
        return git_out(["rev-parse", "HEAD"], self.path)

    def keep_as(self, branch: str, expected_old: str | None = None) -> None:
        """On success, point local branch `branch` at this worktree's HEAD."""
        check_branch_name(self.repo, branch)
        self._keep.append((branch, expected_old))


def _inside(path: Path, parent: Path) -> bool:
    try:
        path.resolve().relative_to(parent.resolve())
    except ValueError:
        return False
    return True


_swept: set[tuple[Path, Path | None]] = set()
_sweep_lock = threading.Lock()
# git keeps every worktree's registration under .git/worktrees and removes that directory when
# its last entry goes: an `add` of one unit under the `remove` of another then fails ("could not
# create directory of '.git/worktrees/worktree'"). Units of one run take turns for these steps
# (milliseconds each); two runs never overlap (the run lock).
_registrations = threading.Lock()


def _sweep_once(top: Path, tmp_root: Path | None) -> None:
    """What a run of the bot killed earlier left (its worktrees, their folders), once per
    repository and process."""
    with _sweep_lock, _registrations:
        if (top, tmp_root) in _swept:
            return
        _swept.add((top, tmp_root))
        sweep(top, tmp_root)


@contextmanager
def scratch_worktree(
    repo: Path, base_ref: str, *, tmp_root: Path | None = None
) -> Iterator[ScratchWorktree]:
    """A scratch worktree of `repo` at `base_ref`; removed on exit, branch kept only on success.

    Its folder is marked as the bot's and locked while in use (gitops/scratch.py), so a run
    killed with SIGKILL leaves nothing the next run does not remove."""
    top = Path(open_repo(repo).working_tree_dir or repo)
    base = resolve_commit(top, base_ref)
    _sweep_once(top, tmp_root)
    with claimed_dir("updater-worktree-", tmp_root) as tmp:
        if _inside(tmp, top):
            raise GitError(f"scratch directory {tmp} would be inside the repository {top}")
        path = tmp / "worktree"
        try:
            with _registrations:
                run_git(["worktree", "add", "--detach", "--quiet", str(path), base], top)
            _log.debug("scratch worktree", repo=str(top), path=str(path), base=base)
            scratch = ScratchWorktree(top, path, base)
            yield scratch
            head = scratch.head()
            for branch, expected_old in scratch._keep:
                set_branch(top, branch, head, expected_old)
        finally:
            with _registrations:
                removed = run_git(
                    ["worktree", "remove", "--force", "--force", str(path)], top, check=False
                )
                if removed.returncode != 0:  # a successful remove leaves nothing to prune
                    run_git(["worktree", "prune"], top, check=False)
