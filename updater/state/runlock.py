"""The run lock: never two runs at once, in one process or across processes and machines.

Taken by every command that writes: `run` (`held_run_lock`, for the whole run), `serve` and
`demo` (the service's worker, per cycle). A second one waits up to its bound, then stops with
RunLockBusy (exit 1) saying who holds the lock: host, pid and since when (file lock), or the
server backend and since when (advisory lock).

With a SQLite state store (one machine) the lock is an flock(2) on a file beside the database:
each acquisition opens its own file description, so two threads of one process exclude each
other as two processes do, and the kernel drops the lock when its holder dies (a killed run
leaves no stale lock). With PostgreSQL (runners on several machines) it is a session-level
advisory lock on a dedicated connection, released by the server when that connection ends.
Shards lock separately: `--shard 1/2` and `--shard 2/2` own disjoint packages and may overlap,
but a whole run owns every package: each shard run also holds the whole run's lock *shared*
(flock LOCK_SH, pg_try_advisory_lock_shared), which a whole run takes exclusively, so a whole
run and a shard run never overlap.
"""

from __future__ import annotations

import fcntl
import hashlib
import os
import socket
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Protocol

from sqlalchemy import Connection, create_engine, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.pool import NullPool

from updater.botdir import ensure_dir
from updater.errors import ConfigError, UpdaterError

_POLL = 0.2


class RunLock(Protocol):
    @property
    def description(self) -> str: ...

    def acquire(self, timeout: float = 0.0) -> bool:
        """True when acquired; waits up to `timeout` seconds for the holder to finish."""
        ...

    def release(self) -> None: ...

    def holder(self) -> str | None:
        """Who holds it, as far as can be told (for messages)."""
        ...


def _wait(try_once: _TryOnce, timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    while True:
        if try_once():
            return True
        if time.monotonic() >= deadline:
            return False
        time.sleep(_POLL)


class _TryOnce(Protocol):
    def __call__(self) -> bool: ...


class FileRunLock:
    """`shared`: held alongside other shared holders, excluding only an exclusive one."""

    def __init__(self, path: Path, *, shared: bool = False) -> None:
        self.path = path
        self.shared = shared
        self._fd: int | None = None

    @property
    def description(self) -> str:
        return f"file lock {self.path}"

    def _try_once(self) -> bool:
        ensure_dir(self.path.parent)
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o644)
        try:
            fcntl.flock(fd, (fcntl.LOCK_SH if self.shared else fcntl.LOCK_EX) | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(fd)
            return False
        # Who holds it, for the refusal message of the next one; not part of the locking. Shared
        # holders are several: they say so instead (each names itself in its own shard's lock).
        info = (
            "shard runs\n"
            if self.shared
            else f"pid {os.getpid()} on {socket.gethostname()} since "
            f"{datetime.now(UTC):%Y-%m-%dT%H:%M:%SZ}\n"
        )
        os.ftruncate(fd, 0)
        os.pwrite(fd, info.encode(), 0)
        self._fd = fd
        return True

    def acquire(self, timeout: float = 0.0) -> bool:
        if self._fd is not None:
            raise RuntimeError(f"{self.path}: already held by this lock object")
        return _wait(self._try_once, timeout)

    def release(self) -> None:
        fd, self._fd = self._fd, None
        if fd is not None:
            if not self.shared:  # another shard run may still hold it: its note stays
                os.ftruncate(fd, 0)
            fcntl.flock(fd, fcntl.LOCK_UN)
            os.close(fd)

    def holder(self) -> str | None:
        try:
            return self.path.read_text().strip() or None
        except OSError:
            return None


class AdvisoryRunLock:
    """pg_try_advisory_lock on a connection of its own (the store's pool must not release it)."""

    def __init__(self, url: str, name: str, *, shared: bool = False) -> None:
        self._engine = create_engine(url, poolclass=NullPool)
        digest = hashlib.sha256(f"updater:{name}".encode()).digest()
        self.key = int.from_bytes(digest[:8], "big", signed=True)
        self.name = name
        self.shared = shared
        self._suffix = "_shared" if shared else ""
        self._conn: Connection | None = None

    @property
    def description(self) -> str:
        return f"PostgreSQL advisory lock {self.name!r} ({self.key})"

    def _try_once(self) -> bool:
        conn = self._engine.connect()
        try:
            got = bool(
                conn.execute(
                    text(f"SELECT pg_try_advisory_lock{self._suffix}(:k)"), {"k": self.key}
                ).scalar()
            )
            conn.commit()
        except SQLAlchemyError:
            conn.close()
            raise
        if not got:
            conn.close()
            return False
        self._conn = conn
        return True

    def acquire(self, timeout: float = 0.0) -> bool:
        if self._conn is not None:
            raise RuntimeError(f"{self.description}: already held by this lock object")
        return _wait(self._try_once, timeout)

    def release(self) -> None:
        conn, self._conn = self._conn, None
        if conn is not None:
            try:
                conn.execute(text(f"SELECT pg_advisory_unlock{self._suffix}(:k)"), {"k": self.key})
                conn.commit()
            finally:
                conn.close()

    def holder(self) -> str | None:
        unsigned = self.key & 0xFFFFFFFFFFFFFFFF
        with self._engine.connect() as conn:
            row = conn.execute(
                text(
                    "SELECT a.pid, a.client_addr, a.backend_start FROM pg_locks l "
                    "JOIN pg_stat_activity a ON a.pid = l.pid "
                    "WHERE l.locktype = 'advisory' AND l.granted AND l.objsubid = 1 "
                    "AND l.classid::text::bigint = :hi AND l.objid::text::bigint = :lo"
                ),
                {"hi": unsigned >> 32, "lo": unsigned & 0xFFFFFFFF},
            ).first()
        return None if row is None else f"server backend {row[0]} ({row[1]}) since {row[2]}"

    def close(self) -> None:
        self.release()
        self._engine.dispose()


def lock_name(shard_label: str | None) -> str:
    return "run" if shard_label is None else f"run-shard-{shard_label.replace('/', 'of')}"


def _one_lock(state_url: str, repo: Path, name: str, *, shared: bool) -> RunLock:
    try:
        url = make_url(state_url)
    except (ValueError, SQLAlchemyError):
        raise ConfigError("state.url: not a valid SQLAlchemy URL") from None
    if url.get_backend_name() == "postgresql":
        return AdvisoryRunLock(state_url, name, shared=shared)
    if url.get_backend_name() == "sqlite" and url.database not in (None, "", ":memory:"):
        directory = Path(url.database).parent
    else:
        directory = repo / ".updater"
    return FileRunLock(directory / f"{name}.lock", shared=shared)


def run_lock(state_url: str, repo: Path, shard_label: str | None = None) -> RunLock:
    """The lock matching the state store: advisory in PostgreSQL, else a file beside the db.
    A shard's lock is its own and the whole run's, shared."""
    whole = _one_lock(state_url, repo, lock_name(None), shared=shard_label is not None)
    if shard_label is None:
        return whole
    return ShardRunLock(whole, _one_lock(state_url, repo, lock_name(shard_label), shared=False))


class ShardRunLock:
    """A shard run's lock: the whole run's lock shared (no whole run meanwhile), then the
    shard's own exclusively (no second run of this shard)."""

    def __init__(self, whole: RunLock, own: RunLock) -> None:
        self.whole = whole
        self.own = own
        self._busy: RunLock = own

    @property
    def description(self) -> str:
        return self._busy.description

    def acquire(self, timeout: float = 0.0) -> bool:
        deadline = time.monotonic() + timeout
        if not self.whole.acquire(timeout):
            self._busy = self.whole
            return False
        if not self.own.acquire(max(0.0, deadline - time.monotonic())):
            self.whole.release()
            self._busy = self.own
            return False
        return True

    def release(self) -> None:
        try:
            self.own.release()
        finally:
            self.whole.release()

    def holder(self) -> str | None:
        return self._busy.holder()

    def close(self) -> None:
        for lock in (self.own, self.whole):
            close = getattr(lock, "close", None)
            if close is not None:
                close()


class RunLockBusy(UpdaterError):
    """Another run holds the lock (exit 1); the message says who."""


def busy_message(lock: RunLock) -> str:
    holder = lock.holder()
    return f"another run holds the {lock.description}" + (f" ({holder})" if holder else "")


@contextmanager
def held_run_lock(
    state_url: str, repo: Path, shard_label: str | None = None, *, wait: float = 0.0
) -> Iterator[RunLock]:
    """Hold the run lock for the block; RunLockBusy when another run still holds it after
    `wait` seconds."""
    lock = run_lock(state_url, repo, shard_label)
    try:
        if not lock.acquire(wait):
            raise RunLockBusy(busy_message(lock) + "; try again when it is done")
        try:
            yield lock
        finally:
            lock.release()
    finally:
        close = getattr(lock, "close", None)
        if close is not None:
            close()
