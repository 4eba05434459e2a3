"""Row operations shared by the modules that keep their own tables with SQLAlchemy Core.

Written with plain SELECT, UPDATE, DELETE and INSERT, so they behave the same on SQLite and
PostgreSQL (no dialect-specific ON CONFLICT). Key lists are cut into chunks because SQLite limits
the number of bound parameters in one statement.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping, Sequence
from datetime import UTC, datetime
from typing import Any, overload

from sqlalchemy import Column, Row, Table, and_, delete, insert, select, update
from sqlalchemy.orm import Session

CHUNK = 500


@overload
def utc(value: datetime) -> datetime: ...
@overload
def utc(value: None) -> None: ...
def utc(value: datetime | None) -> datetime | None:
    # SQLite gives naive datetimes back; everything we store is UTC.
    if value is None:
        return None
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def utc_now() -> datetime:
    return datetime.now(UTC)


def chunks(keys: Iterable[Any]) -> Iterator[list[Any]]:
    items = list(keys)
    for i in range(0, len(items), CHUNK):
        yield items[i : i + CHUNK]


def select_in(session: Session, column: Column[Any], keys: Iterable[Any]) -> Iterator[Row[Any]]:
    """The rows of `column`'s table whose `column` is among `keys`."""
    for chunk in chunks(keys):
        yield from session.execute(select(column.table).where(column.in_(chunk)))


def existing_keys(session: Session, column: Column[Any], keys: Iterable[Any]) -> set[Any]:
    """Those of `keys` that `column` holds."""
    found: set[Any] = set()
    for chunk in chunks(keys):
        found.update(session.scalars(select(column).where(column.in_(chunk))).all())
    return found


def delete_in(session: Session, column: Column[Any], keys: Iterable[Any]) -> None:
    for chunk in chunks(keys):
        session.execute(delete(column.table).where(column.in_(chunk)))


def replace_rows(session: Session, column: Column[Any], rows: Sequence[Mapping[str, Any]]) -> None:
    """Write whole rows: rows with the same `column` value are deleted first."""
    delete_in(session, column, [row[column.name] for row in rows])
    if rows:
        session.execute(insert(column.table), list(rows))


def upsert(
    session: Session,
    table: Table,
    key: Mapping[str, Any],
    values: Mapping[str, Any],
    *,
    on_insert: Mapping[str, Any] | None = None,
    exists: bool | None = None,
) -> bool:
    """Set `values` on the row with primary key `key`, or insert `key`, `on_insert` and `values`.

    Columns left out of `values` keep what the row holds. `exists` skips the lookup for a
    caller that looked up many keys at once. True when the row was inserted.
    """
    where = and_(*(table.c[name] == value for name, value in key.items()))
    if exists is None:
        exists = (
            session.execute(select(*table.primary_key.columns).where(where)).first() is not None
        )
    if not exists:
        session.execute(insert(table).values({**key, **(on_insert or {}), **values}))
        return True
    if values:
        session.execute(update(table).where(where).values(dict(values)))
    return False
