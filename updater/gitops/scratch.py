"""The bot's temporary folders, marked as its own, and cleaning up after a run that died.

Every scratch folder (`updater-worktree-*`, `updater-askpass-*`) holds a marker file, `.updater-scratch`,
that its process keeps locked (flock) while the folder is in use. The kernel drops the lock when
the process dies, SIGKILL included, so a folder whose marker can be locked by someone else belongs
to a dead run of the bot: `sweep` removes it, and with it the scratch worktree that run had
registered in the repository. Folders without the marker, or whose marker is still locked, are
never touched; nor is any worktree a person added.
"""

from __future__ import annotations

import fcntl
import os
import shutil
import socket
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from updater.gitops.command import git_out, run_git
from updater.logs import get_logger

MARKER = ".updater-scratch"
PREFIXES = ("updater-worktree-", "updater-askpass-")
WORKTREE_PREFIX = "updater-worktree-"


@contextmanager
def claimed_dir(prefix: str, root: Path | None = None) -> Iterator[Path]:
    """A new private temporary folder, marked and locked as this process's until the block ends
    (then removed)."""
    if not prefix.startswith(PREFIXES):
        raise ValueError(f"scratch prefix {prefix!r} is not one sweep knows")
    path = Path(tempfile.mkdtemp(prefix=prefix, dir=root))
    fd = os.open(path / MARKER, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o600)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        os.write(fd, f"pid {os.getpid()} on {socket.gethostname()}\n".encode())
        yield path
    finally:
        shutil.rmtree(path, ignore_errors=True)
        os.close(fd)


def _dead(folder: Path) -> bool:
    """True when `folder` carries the marker and no living process holds it."""
    try:
        fd = os.open(folder / MARKER, os.O_RDWR | os.O_CLOEXEC)
    except OSError:
        return False
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        return False
    finally:
        os.close(fd)
    return True


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
            if folder.exists() and not _dead(folder):
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
        if folder.is_dir() and not folder.is_symlink() and _dead(folder):
            shutil.rmtree(folder, ignore_errors=True)
            removed.append(folder)
    if removed:
        get_logger("updater.gitops.scratch").info(
            "removed what a dead run left", folders=[str(p) for p in removed]
        )
    return removed
