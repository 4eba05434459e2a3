"""The shared row helpers behave the same for one key and for more keys than SQLite binds at once."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import Column, Integer, MetaData, String, Table, create_engine, select
from sqlalchemy.orm import Session

from updater.state.rows import CHUNK, delete_in, existing_keys, replace_rows, select_in, upsert

meta = MetaData()
items = Table(
    "items",
    meta,
    Column("key", String, primary_key=True),
    Column("value", Integer, nullable=False),
    Column("created", Integer),
)


def session_for(tmp_path: Path) -> Session:
    engine = create_engine(f"sqlite:///{tmp_path / 'rows.db'}")
    meta.create_all(engine)
    return Session(engine)


def test_upsert_inserts_then_updates_and_keeps_insert_only_values(tmp_path: Path) -> None:
    with session_for(tmp_path) as s:
        assert upsert(s, items, {"key": "a"}, {"value": 1}, on_insert={"created": 7}) is True
        assert upsert(s, items, {"key": "a"}, {"value": 2}, on_insert={"created": 9}) is False
        s.commit()
        assert s.execute(select(items.c.value, items.c.created)).one() == (2, 7)


def test_bulk_helpers_cross_the_chunk_size(tmp_path: Path) -> None:
    keys = [f"k{i:05d}" for i in range(CHUNK * 2 + 200)]
    with session_for(tmp_path) as s:
        replace_rows(s, items.c.key, [{"key": k, "value": i} for i, k in enumerate(keys)])
        s.commit()
        assert existing_keys(s, items.c.key, keys + ["missing"]) == set(keys)
        assert len(list(select_in(s, items.c.key, keys))) == len(keys)
        delete_in(s, items.c.key, keys[:-10])
        s.commit()
        assert existing_keys(s, items.c.key, keys) == set(keys[-10:])
