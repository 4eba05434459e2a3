"""Where a unit is written: a scratch worktree (kept as a branch on success), or for a dry
run a throwaway clone that shares the repository's objects and writes nothing into it."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from updater.gitops.command import run_git
from updater.gitops.worktree import ScratchWorktree, resolve_commit, scratch_worktree
from updater.tempdirs import claimed_dir


@dataclass
class Workspace:
    path: Path
    base: str
    worktree: ScratchWorktree | None  # None for a dry run

    def keep_as(self, branch: str) -> None:
        if self.worktree is None:
            raise RuntimeError("a dry run keeps nothing")
        self.worktree.keep_as(branch)


@contextmanager
def workspace(repo: Path, base_ref: str, *, dry_run: bool) -> Iterator[Workspace]:
    if not dry_run:
        with scratch_worktree(repo, base_ref) as wt:
            yield Workspace(wt.path, wt.base, wt)
        return
    base = resolve_commit(repo, base_ref)
    with claimed_dir("updater-dry-run-") as tmp:
        path = tmp / "clone"
        # --shared reads the repository's objects in place: nothing is written to it.
        run_git(["clone", "--quiet", "--shared", "--no-checkout", str(repo), str(path)], tmp)
        run_git(["-c", "advice.detachedHead=false", "checkout", "--quiet", "--detach", base], path)
        yield Workspace(path, base, None)
