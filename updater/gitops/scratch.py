"""Cleaning up after a run of the bot that died: its scratch worktrees and temporary folders.

Every temporary folder of the bot is marked and locked while in use (`updater.tempdirs`); a
folder whose marker nobody holds belongs to a dead run: `sweep` removes it, and with it the
scratch worktree that run had registered in the repository. Folders without the marker, or
whose marker is still held, are never touched; nor is any worktree a person added.
"""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path

from updater.gitops.command import git_out, run_git
from updater.logs import get_logger
from updater.tempdirs import PREFIXES, abandoned

WORKTREE_PREFIX = "updater-worktree-"


def _bot_worktrees(repo: Path) -> list[Path]:
    """Worktrees registered in `repo` at `<tmp>/updater-worktree-*/worktree`."""
    listing = git_out(["worktree", "list", "--porcelain"], repo)
    out = []
    for line in listing.splitlines():
        if line.startswith("worktree "):
            path = Path(line.removeprefix("worktree "))
            if path.name == "worktree" and path.parent.name.startswith(WORKTREE_PREFIX):
                out.append(path)
    return out


def sweep(repo: Path | None, root: Path | None = None) -> list[Path]:
    """Remove what dead runs of the bot left: their marked folders under `root` (the temporary
    directory) and, in `repo`, the registrations of their scratch worktrees (also of a folder
    already gone). Returns the folders removed."""
    base = Path(root or tempfile.gettempdir())
    removed: list[Path] = []
    if repo is not None:
        for path in _bot_worktrees(repo):
            folder = path.parent
            if folder.exists() and not abandoned(folder):
                continue  # alive, or not marked as ours: not ours to remove
            run_git(["worktree", "remove", "--force", "--force", str(path)], repo, check=False)
            if folder.exists():
                shutil.rmtree(folder, ignore_errors=True)
                removed.append(folder)
    try:
        candidates = [p for p in base.iterdir() if p.name.startswith(PREFIXES)]
    except OSError:
        candidates = []
    for folder in candidates:
        if folder.is_dir() and not folder.is_symlink() and abandoned(folder):
            shutil.rmtree(folder, ignore_errors=True)
            removed.append(folder)
    if removed:
        get_logger("updater.gitops.scratch").info(
            "removed what a dead run left", folders=[str(p) for p in removed]
        )
    return removed
