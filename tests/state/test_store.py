"""The state store on a real SQLite file, and on a real throwaway PostgreSQL server when present."""

from __future__ import annotations

import glob
import os
import shutil
import socket
import subprocess
import tempfile
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import inspect, text

from updater.state.store import (
    MIGRATIONS,
    CheckRecord,
    SkippedRecord,
    SourceAnswered,
    SourceFailed,
    StateStore,
)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture(scope="module")
def postgres_url() -> Iterator[str]:
    bins = sorted(glob.glob("/usr/lib/postgresql/*/bin/postgres"))
    if not bins or shutil.which("runuser") is None:
        pytest.skip("PostgreSQL server binaries not installed")
    bindir = Path(bins[-1]).parent
    # Outside pytest's 0700 temp tree, which the postgres user could not traverse.
    data = Path(tempfile.mkdtemp(prefix="updater-pg-"))
    as_user: list[str] = ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []
    if as_user:
        shutil.chown(data, "postgres")
    run = lambda args: subprocess.run(as_user + args, check=True, capture_output=True, timeout=120)  # noqa: E731
    run([str(bindir / "initdb"), "-D", str(data / "db"), "-U", "postgres", "--auth=trust"])
    port = _free_port()
    run(
        [str(bindir / "pg_ctl"), "-D", str(data / "db"), "-w", "-l", str(data / "log"), "-o",
         f"-p {port} -k {data} -c listen_addresses=127.0.0.1", "start"]
    )  # fmt: skip
    try:
        yield f"postgresql+psycopg://postgres@127.0.0.1:{port}/postgres"
    finally:
        run([str(bindir / "pg_ctl"), "-D", str(data / "db"), "-m", "fast", "stop"])
        shutil.rmtree(data, ignore_errors=True)


def _head() -> str:
    from alembic.config import Config
    from alembic.script import ScriptDirectory

    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    head = ScriptDirectory.from_config(cfg).get_current_head()
    assert head is not None
    return head


def _exercise(store: StateStore) -> None:
    assert store.get_etag("k") is None
    store.put_etag("k", '"abc"', '{"x": 1}')
    store.put_etag("k", '"def"', '{"x": 2}')
    got = store.get_etag("k")
    assert got is not None and (got.etag, got.body) == ('"def"', '{"x": 2}')
    assert got.fetched_at.tzinfo is not None
    assert set(store.get_etags(["k", "missing"])) == {"k"}

    store.put_source_version("github:o/r", "1.2.0")
    seen = store.get_source_version("github:o/r")
    assert seen is not None and seen[0] == "1.2.0"

    now = datetime(2025, 1, 1, tzinfo=UTC)
    f1 = store.record_failure("github:o/r", "HTTP 500", now=now)
    f2 = store.record_failure("github:o/r", "HTTP 500", now=now)
    assert (f1.count, f2.count) == (1, 2)
    assert f2.retry_at - now > f1.retry_at - now  # backoff grows
    assert store.backed_off("github:o/r", now=now) is not None
    assert store.backed_off("github:o/r", now=now + timedelta(days=2)) is None
    later = now + timedelta(hours=5)
    assert store.record_failure("x", "rate limited", retry_at=later, now=now).retry_at == later
    store.clear_failure("github:o/r")
    assert store.failure("github:o/r") is None

    # One check's lessons in one call: failures counted on top of earlier ones, answered
    # sources forgiven and their newest version kept.
    store.record_failure("down", "HTTP 502", now=now)
    got_failed = store.record_check(
        [SourceFailed("down", "HTTP 502"), SourceFailed("new", "timeout")],
        [SourceAnswered("x", "2.0"), SourceAnswered("github:o/r", "1.3.0")],
        now=now,
    )
    assert {k: v.count for k, v in got_failed.items()} == {"down": 2, "new": 1}
    assert set(store.backed_off_many(["down", "new", "x", "github:o/r"], now=now)) == {
        "down",
        "new",
    }
    assert store.failure("x") is None
    seen = store.get_source_version("github:o/r")
    assert seen is not None and seen[0] == "1.3.0"

    rec = CheckRecord(
        "pkg", "1.0", "1.1", True, "github:o/r", (SkippedRecord("v2.0-rc", "2.0-rc", "prerelease"),)
    )
    store.save_check_results([rec])
    store.save_check_results([rec])
    (back,) = store.check_results()
    assert (back.package, back.latest, back.outdated, back.skipped) == (
        "pkg",
        "1.1",
        True,
        rec.skipped,
    )


def test_sqlite_default_layout_is_created_migrated_and_git_ignored(tmp_path: Path) -> None:
    subprocess.run(["git", "init", "-q", str(tmp_path)], check=True, timeout=30)
    url = f"sqlite:///{tmp_path / '.updater' / 'state.db'}"
    with StateStore.open(url) as store:
        _exercise(store)
        tables = set(inspect(store.engine).get_table_names())
        assert {
            "etags",
            "source_versions",
            "failures",
            "check_results",
            "alembic_version",
        } <= tables
    status = subprocess.run(
        ["git", "-C", str(tmp_path), "status", "--porcelain", "--ignored=no"],
        capture_output=True, text=True, check=True, timeout=30,
    )  # fmt: skip
    assert status.stdout == ""
    # Reopening applies nothing twice and keeps the data.
    with StateStore.open(url) as store:
        assert store.get_etag("k") is not None
        with store.engine.connect() as c:
            assert c.execute(text("select version_num from alembic_version")).scalar() == _head()


def test_postgresql_by_url(postgres_url: str) -> None:
    with StateStore.open(postgres_url) as store:
        _exercise(store)


def test_unreachable_database_is_a_one_line_error() -> None:
    from updater.errors import UpdaterError

    with pytest.raises(UpdaterError) as err:
        StateStore.open(f"postgresql+psycopg://nobody:secretpw@127.0.0.1:{_free_port()}/x")
    assert "\n" not in str(err.value) and "secretpw" not in str(err.value)
