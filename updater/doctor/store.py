"""The state store: it opens, its migrations run, and it takes a write.

A SQLite store that does not exist yet is not created by the doctor: the migrations are run on a
throwaway copy instead, and the directory where the first run will create it must be writable.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

from sqlalchemy.engine import make_url

from updater.context import AppContext
from updater.doctor.model import CheckResult
from updater.errors import UpdaterError
from updater.state.rows import utc_now
from updater.state.store import StateStore
from updater.state.tables import EtagRow


class _Rollback(Exception):
    """Ends the write test's transaction without keeping its row."""


def _writes(store: StateStore) -> None:
    try:
        with store.session() as s:
            row = EtagRow(key="updater-doctor-write-test", etag="", body="", fetched_at=utc_now())
            s.merge(row)
            s.flush()
            raise _Rollback
    except _Rollback:
        pass


def _sqlite_path(url: str) -> Path | None:
    parsed = make_url(url)
    if parsed.get_backend_name() != "sqlite" or not parsed.database:
        return None
    return Path(parsed.database)


def _creatable(path: Path) -> bool:
    parent = path.parent
    while not parent.exists() and parent != parent.parent:
        parent = parent.parent
    return os.access(parent, os.W_OK | os.X_OK)


def state_checks(ctx: AppContext) -> list[CheckResult]:
    url = ctx.state_url
    path = _sqlite_path(url)
    if path is not None and not path.exists():
        if not _creatable(path):
            return [CheckResult("state", "store", "fail", f"{path}: its directory is not writable")]
        with tempfile.TemporaryDirectory(prefix="updater-doctor-") as tmp:
            return [
                _open(f"sqlite:///{Path(tmp) / 'state.db'}", f"{path} (created on the first run)")
            ]
    return [_open(url, str(path) if path is not None else _shown(url))]


def _shown(url: str) -> str:
    return make_url(url).render_as_string(hide_password=True)


def _open(url: str, label: str) -> CheckResult:
    try:
        with StateStore.open(url) as store:
            _writes(store)
    except UpdaterError as exc:
        return CheckResult("state", "store", "fail", str(exc))
    except Exception as exc:
        why = str(exc).splitlines()[0][:200] if str(exc) else type(exc).__name__
        return CheckResult("state", "store", "fail", f"{label}: {why}")
    return CheckResult("state", "store", "ok", f"{label}: opens, migrated, writable")
