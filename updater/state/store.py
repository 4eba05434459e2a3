"""The state store's typed API: cached HTTP answers, last seen versions, failures, check results.

`StateStore.open(url)` connects and brings the schema up to date with Alembic (revisions in
migrations/versions/, configured in code). Every table is declared in tables.py; the modules
that keep rows of their own (delivery.py, status.py, upstream/github_memory.py) use
`store.session()`.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import cache
from pathlib import Path
from types import TracebackType
from typing import Any, cast

from alembic import command
from alembic.config import Config as AlembicConfig
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Engine, Table, create_engine, event, select
from sqlalchemy.engine import make_url
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session, sessionmaker

from updater.botdir import ensure_dir
from updater.errors import ConfigError, UpdaterError
from updater.state.rows import delete_in, replace_rows, select_in, utc, utc_now
from updater.state.tables import CheckResultRow, EtagRow, FailureRow, SourceVersionRow

MIGRATIONS = Path(__file__).parent / "migrations"
# Backoff after repeated failures of one source: 5 min, 10, 20, ... at most one day.
BACKOFF_BASE = timedelta(minutes=5)
BACKOFF_MAX = timedelta(days=1)
# The ORM classes' tables, for the bulk row operations of rows.py.
_FAILURES = cast(Table, FailureRow.__table__)
_SOURCE_VERSIONS = cast(Table, SourceVersionRow.__table__)
_CHECK_RESULTS = cast(Table, CheckResultRow.__table__)


class StateError(UpdaterError):
    """The state database cannot be opened or written."""


@dataclass(frozen=True)
class CachedResponse:
    key: str
    etag: str
    body: str
    fetched_at: datetime


@dataclass(frozen=True)
class FailureRecord:
    source_id: str
    reason: str
    count: int
    retry_at: datetime


@dataclass(frozen=True)
class SourceFailed:
    """One source that did not answer in a check, to be counted and backed off."""

    source_id: str
    reason: str
    retry_at: datetime | None = None


@dataclass(frozen=True)
class SourceAnswered:
    """One source that answered in a check: its failures are forgotten, its newest kept."""

    source_id: str
    latest: str | None


@dataclass(frozen=True)
class SkippedRecord:
    tag: str
    version: str
    reason: str


@dataclass(frozen=True)
class CheckRecord:
    package: str
    current: str | None
    latest: str | None
    outdated: bool
    source: str | None
    skipped: tuple[SkippedRecord, ...] = ()
    error: str | None = None
    checked_at: datetime | None = None
    # "release" or "branch" (a commit pin); the revisions (tag or commit) and their dates.
    mode: str | None = None
    current_rev: str | None = None
    latest_rev: str | None = None
    current_date: datetime | None = None
    latest_date: datetime | None = None
    compare_url: str | None = None


def _prepare_sqlite(url: str) -> None:
    parsed = make_url(url)
    if not parsed.drivername.startswith("sqlite") or parsed.database in (None, "", ":memory:"):
        return
    ensure_dir(Path(parsed.database).parent)


class StateStore:
    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self._sessions = sessionmaker(engine, expire_on_commit=False)

    @classmethod
    def open(cls, url: str) -> StateStore:
        """Connect to `url` and apply every pending migration."""
        try:
            _prepare_sqlite(url)
            engine = create_engine(url)
        except (OSError, SQLAlchemyError, ValueError) as exc:
            raise ConfigError(
                f"state store {_safe(url)}: {exc.__class__.__name__}: {exc}"
            ) from None
        if engine.dialect.name == "sqlite":
            event.listen(engine, "connect", _sqlite_pragmas)
        store = cls(engine)
        try:
            store.migrate()
        except SQLAlchemyError as exc:
            engine.dispose()
            raise StateError(f"state store {_safe(url)}: {str(exc).splitlines()[0]}") from None
        return store

    def migrate(self) -> None:
        """Upgrade to the newest revision; a database already there is left untouched."""
        with self.engine.begin() as connection:
            # Reading the version table is far cheaper than `upgrade head`, which loads the
            # environment and runs it in a transaction on every open.
            if set(MigrationContext.configure(connection).get_current_heads()) == _heads():
                return
            cfg = _alembic_config()
            cfg.attributes["connection"] = connection
            command.upgrade(cfg, "head")

    def close(self) -> None:
        self.engine.dispose()

    def __enter__(self) -> StateStore:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    @contextmanager
    def session(self) -> Iterator[Session]:
        """A session committed on success, rolled back on error."""
        with self._sessions.begin() as session:
            yield session

    # -- HTTP cache (ETags) -------------------------------------------------------------------

    def get_etag(self, key: str) -> CachedResponse | None:
        with self.session() as s:
            row = s.get(EtagRow, key)
            if row is None:
                return None
            return CachedResponse(row.key, row.etag, row.body, utc(row.fetched_at))

    def put_etag(self, key: str, etag: str, body: str) -> None:
        with self.session() as s:
            s.merge(EtagRow(key=key, etag=etag, body=body, fetched_at=utc_now()))

    def get_etags(self, keys: Sequence[str]) -> dict[str, CachedResponse]:
        with self.session() as s:
            rows = s.scalars(select(EtagRow).where(EtagRow.key.in_(list(keys)))).all()
            return {r.key: CachedResponse(r.key, r.etag, r.body, utc(r.fetched_at)) for r in rows}

    # -- last seen versions -------------------------------------------------------------------

    def get_source_version(self, source_id: str) -> tuple[str | None, datetime] | None:
        with self.session() as s:
            row = s.get(SourceVersionRow, source_id)
            return None if row is None else (row.latest, utc(row.checked_at))

    def put_source_version(self, source_id: str, latest: str | None) -> None:
        with self.session() as s:
            s.merge(SourceVersionRow(source_id=source_id, latest=latest, checked_at=utc_now()))

    # -- failures and cross-run backoff -------------------------------------------------------

    def record_failure(
        self,
        source_id: str,
        reason: str,
        retry_at: datetime | None = None,
        now: datetime | None = None,
    ) -> FailureRecord:
        """Count one more failure; the source rests until `retry_at` or an exponential backoff."""
        failed = SourceFailed(source_id, reason, retry_at)
        return self.record_check([failed], [], now)[source_id]

    def record_check(
        self,
        failed: Sequence[SourceFailed],
        answered: Sequence[SourceAnswered],
        now: datetime | None = None,
    ) -> dict[str, FailureRecord]:
        """What one check learnt about its sources, in one transaction: a row per source costs
        a commit each, and a check of a thousand sources spent seconds on them."""
        now = now or utc_now()
        fail_col = _FAILURES.c.source_id
        records: dict[str, FailureRecord] = {}
        with self.session() as s:
            counts: dict[str, int] = {
                row.source_id: row._mapping["count"]
                for row in select_in(s, fail_col, {f.source_id for f in failed})
            }
            for f in failed:
                count = counts.get(f.source_id, 0) + 1
                counts[f.source_id] = count
                backoff = min(BACKOFF_BASE * (2 ** min(count - 1, 20)), BACKOFF_MAX)
                until = now + backoff if f.retry_at is None else max(f.retry_at, now + backoff)
                records[f.source_id] = FailureRecord(f.source_id, f.reason[:2000], count, until)
            replace_rows(
                s,
                fail_col,
                [
                    {
                        "source_id": r.source_id,
                        "reason": r.reason,
                        "count": r.count,
                        "retry_at": r.retry_at,
                    }
                    for r in records.values()
                ],
            )
            delete_in(s, fail_col, [a.source_id for a in answered])
            latest = {a.source_id: a.latest for a in answered}
            replace_rows(
                s,
                _SOURCE_VERSIONS.c.source_id,
                [{"source_id": k, "latest": v, "checked_at": now} for k, v in latest.items()],
            )
        return records

    def clear_failure(self, source_id: str) -> None:
        with self.session() as s:
            row = s.get(FailureRow, source_id)
            if row is not None:
                s.delete(row)

    def failure(self, source_id: str) -> FailureRecord | None:
        with self.session() as s:
            row = s.get(FailureRow, source_id)
            if row is None:
                return None
            return FailureRecord(row.source_id, row.reason, row.count, utc(row.retry_at))

    def backed_off(self, source_id: str, now: datetime | None = None) -> FailureRecord | None:
        """The failure that still forbids asking `source_id`, if any."""
        return self.backed_off_many([source_id], now).get(source_id)

    def backed_off_many(
        self, source_ids: Sequence[str], now: datetime | None = None
    ) -> dict[str, FailureRecord]:
        """Of `source_ids`, those a failure still forbids asking, read in one query."""
        now = now or utc_now()
        with self.session() as s:
            rows = list(select_in(s, _FAILURES.c.source_id, set(source_ids)))
        return {
            r.source_id: FailureRecord(r.source_id, r.reason, r._mapping["count"], utc(r.retry_at))
            for r in rows
            if utc(r.retry_at) > now
        }

    # -- check results ------------------------------------------------------------------------

    def save_check_results(self, records: Sequence[CheckRecord]) -> None:
        now = utc_now()
        rows = {
            r.package: {
                "package": r.package,
                "current": r.current,
                "latest": r.latest,
                "outdated": r.outdated,
                "source": r.source,
                "skipped": json.dumps(
                    [{"tag": k.tag, "version": k.version, "reason": k.reason} for k in r.skipped]
                ),
                "error": r.error,
                "checked_at": r.checked_at or now,
                "mode": r.mode,
                "current_rev": _cut(r.current_rev, 256),
                "latest_rev": _cut(r.latest_rev, 256),
                "current_date": r.current_date,
                "latest_date": r.latest_date,
                "compare_url": r.compare_url
                if r.compare_url and len(r.compare_url) <= 1024
                else None,
            }
            for r in records
        }
        with self.session() as s:
            undated = {r.package: r for r in records if r.current_date is None and r.current_rev}
            for previous in select_in(s, _CHECK_RESULTS.c.package, set(undated)):
                rows[previous.package]["current_date"] = _known_date(
                    previous, undated[previous.package]
                )
            replace_rows(s, _CHECK_RESULTS.c.package, list(rows.values()))

    def check_results(self) -> list[CheckRecord]:
        with self.session() as s:
            rows = s.scalars(select(CheckResultRow).order_by(CheckResultRow.package)).all()
            return [
                CheckRecord(
                    package=r.package,
                    current=r.current,
                    latest=r.latest,
                    outdated=r.outdated,
                    source=r.source,
                    skipped=tuple(SkippedRecord(**k) for k in json.loads(r.skipped)),
                    error=r.error,
                    checked_at=utc(r.checked_at),
                    mode=r.mode,
                    current_rev=r.current_rev,
                    latest_rev=r.latest_rev,
                    current_date=utc(r.current_date),
                    latest_date=utc(r.latest_date),
                    compare_url=r.compare_url,
                )
                for r in rows
            ]


def _known_date(previous: Any, r: CheckRecord) -> datetime | None:
    """The date of the pinned revision as an earlier check saw it: an upstream that gives no
    date for the commit a pin holds (a branch head moved on) gave it when that commit was new."""
    if previous is None or not r.current_rev:
        return None
    when: datetime | None = None
    if previous.latest_rev == r.current_rev:
        when = previous.latest_date
    elif previous.current_rev == r.current_rev:
        when = previous.current_date
    return utc(when)


def _cut(value: str | None, limit: int) -> str | None:
    return value[:limit] if value else None


def _alembic_config() -> AlembicConfig:
    cfg = AlembicConfig()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    return cfg


@cache
def _heads() -> frozenset[str]:
    # The revisions ship with the package: read their files once per process.
    return frozenset(ScriptDirectory.from_config(_alembic_config()).get_heads())


def _sqlite_pragmas(dbapi_connection: object, _record: object) -> None:
    cursor = dbapi_connection.cursor()  # type: ignore[attr-defined]
    # WAL lets the status page read while a run writes; busy_timeout waits out a writer.
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA busy_timeout=10000")
    cursor.close()


def _safe(url: str) -> str:
    try:
        return make_url(url).render_as_string(hide_password=True)
    except (ValueError, SQLAlchemyError):
        return "<invalid URL>"
