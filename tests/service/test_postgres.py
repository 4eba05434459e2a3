"""The state store and the run lock on a real, throwaway PostgreSQL server.

The test starts its own cluster (initdb + pg_ctl, as the postgres user when run as root) on a
free port of 127.0.0.1, then: Alembic migrations (the store's and the service's), service rows
written and read back, and the advisory run lock across processes, a killed holder included.
"""

from __future__ import annotations

import glob
import os
import shutil
import signal
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from service_support import free_port
from sqlalchemy import inspect, text

from updater.state.runlock import AdvisoryRunLock, run_lock
from updater.state.status import (
    PackageState,
    finish_run,
    package_rows,
    recent_runs,
    save_package_states,
    start_run,
)
from updater.state.store import CheckRecord, StateStore

INITDB = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"))


@pytest.fixture(scope="module")
def postgres_url() -> Iterator[str]:
    if not INITDB:
        pytest.skip("PostgreSQL's initdb is not installed (Debian: apt-get install postgresql)")
    bindir = Path(INITDB[-1]).parent
    as_root = os.geteuid() == 0
    if as_root and shutil.which("runuser") is None:
        pytest.skip("running as root without runuser: cannot start PostgreSQL as its own user")
    # Not under pytest's 0700 tmp dirs: the server runs as another user and must reach it.
    root = Path(tempfile.mkdtemp(prefix="updater-pg-"))
    prefix: list[str] = []
    if as_root:
        shutil.chown(root, "postgres")
        prefix = ["runuser", "-u", "postgres", "--"]
    data, port = root / "data", free_port()

    def run(*args: str) -> None:
        subprocess.run([*prefix, *args], check=True, capture_output=True, timeout=120)

    run(str(bindir / "initdb"), "-D", str(data), "-U", "postgres", "--auth=trust", "-E", "UTF8")
    run(
        str(bindir / "pg_ctl"), "-D", str(data), "-w", "-t", "60", "-l", str(root / "log"),
        "-o", f"-p {port} -k {root} -c listen_addresses=127.0.0.1 -c fsync=off", "start",
    )  # fmt: skip
    try:
        yield f"postgresql+psycopg://postgres@127.0.0.1:{port}/postgres"
    finally:
        run(str(bindir / "pg_ctl"), "-D", str(data), "-m", "immediate", "-w", "stop")
        shutil.rmtree(root, ignore_errors=True)


def test_store_migrates_and_keeps_service_rows(postgres_url: str) -> None:
    with StateStore.open(postgres_url) as store:
        tables = set(inspect(store.engine).get_table_names())
        assert {"check_results", "service_runs", "service_packages"} <= tables
        with store.engine.connect() as c:
            assert c.execute(text("select version_num from alembic_version")).scalar() is not None
        now = datetime(2025, 3, 1, 12, tzinfo=UTC)
        store.save_check_results(
            [CheckRecord("acme-tool", "1.0", "1.1", True, "github:a/t", checked_at=now)]
        )
        save_package_states(
            store, [PackageState("acme-tool", "pr open", now, "https://x.test/pull/1", None)]
        )
        save_package_states(
            store, [PackageState("acme-tool", "outdated", now, None, "e")]
        )  # PR link stays
        run = start_run(store, "1/2", "http", "acme-tool", now)
        finish_run(store, run, "ok", "checked 1", now)
    # A second process (a new connection pool) reads it all back; migrating again is a no-op.
    with StateStore.open(postgres_url) as store:
        (row,) = package_rows(store)
        assert (row.package, row.latest, row.state, row.pr_url, row.error) == (
            "acme-tool", "1.1", "outdated", "https://x.test/pull/1", "e",
        )  # fmt: skip
        assert row.released_at == now and row.checked_at == now
        (back,) = recent_runs(store, "1/2")
        assert (back.id, back.status, back.summary, back.finished_at) == (
            run,
            "ok",
            "checked 1",
            now,
        )


HOLDER = """
import sys
from updater.state.runlock import AdvisoryRunLock
lock = AdvisoryRunLock(sys.argv[1], "run")
assert lock.acquire(0)
print("held", flush=True)
sys.stdin.read()
"""


def test_advisory_run_lock_across_processes_and_after_a_kill(postgres_url: str) -> None:
    lock = run_lock(postgres_url, Path("/nonexistent"))
    assert isinstance(lock, AdvisoryRunLock)
    proc = subprocess.Popen(
        [sys.executable, "-c", HOLDER, postgres_url], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
        text=True,
    )  # fmt: skip
    try:
        assert proc.stdout is not None and proc.stdout.readline().strip() == "held"
        assert not lock.acquire(0)
        assert "server backend" in (lock.holder() or "")
        # A shard run also holds the whole run's lock, shared: not while a whole run runs ...
        other = run_lock(postgres_url, Path("/nonexistent"), "2/2")
        assert not other.acquire(0)
        assert "server backend" in (other.holder() or "")
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait(10)
        # The server ends the dead client's session and with it the lock.
        assert lock.acquire(timeout=30)
        assert lock.holder() is not None
        lock.release()
        # ... while two shards run side by side, and a whole run waits for both.
        one = run_lock(postgres_url, Path("/nonexistent"), "1/2")
        assert one.acquire(0) and other.acquire(0)
        assert not lock.acquire(0)
        one.release()
        assert not lock.acquire(0)
        other.release()
        assert lock.acquire(0)
        lock.release()
    finally:
        proc.kill()
        proc.wait(10)
        lock.close()
        other.close()
