"""The bot's temporary folders, marked as its own and locked while in use.

Every one (`updater-worktree-*`, `updater-askpass-*`, `updater-date-*`, `updater-prefetch-*`,
`updater-dry-run-*`) holds a marker file, `.updater-scratch`, that its process keeps locked
(flock) until the folder is removed. The kernel drops the lock when the process dies, SIGKILL
included, so a marked folder whose marker someone else can lock was left by a dead run
(`abandoned`); gitops/scratch.py removes such folders and the worktrees registered in them.
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

MARKER = ".updater-scratch"
PREFIXES = (
    "updater-worktree-",
    "updater-askpass-",
    "updater-date-",
    "updater-prefetch-",
    "updater-dry-run-",
)


@contextmanager
def claimed_dir(prefix: str, root: Path | None = None) -> Iterator[Path]:
    """A new private temporary folder, marked and locked as this process's until the block
    ends (then removed)."""
    if prefix not in PREFIXES:
        raise ValueError(f"temporary folder prefix {prefix!r} is not one the sweep knows")
    path = Path(tempfile.mkdtemp(prefix=prefix, dir=root))
    fd = os.open(path / MARKER, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o600)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        os.write(fd, f"pid {os.getpid()} on {socket.gethostname()}\n".encode())
        yield path
    finally:
        shutil.rmtree(path, ignore_errors=True)
        os.close(fd)


def abandoned(folder: Path) -> bool:
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
