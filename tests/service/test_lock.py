"""The run lock: one run at a time across threads and processes; a killed holder frees it."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

from service_support import git

from updater.state.runlock import FileRunLock, lock_name, run_lock

HOLDER = """
import sys
from pathlib import Path
from updater.state.runlock import FileRunLock
lock = FileRunLock(Path(sys.argv[1]))
assert lock.acquire(0)
print("held", flush=True)
sys.stdin.read()          # hold until the test closes our stdin
lock.release()
print("released", flush=True)
"""


def _holder(path: Path) -> subprocess.Popen[str]:
    proc = subprocess.Popen(
        [sys.executable, "-c", HOLDER, str(path)],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True,
    )  # fmt: skip
    assert proc.stdout is not None and proc.stdout.readline().strip() == "held"
    return proc


def test_second_process_is_refused_then_gets_the_lock_after_release(tmp_path: Path) -> None:
    path = tmp_path / ".updater" / "run.lock"
    proc = _holder(path)
    try:
        mine = FileRunLock(path)
        assert not mine.acquire(0)
        holder = mine.holder()
        assert holder is not None and f"pid {proc.pid}" in holder
        # Waiting: the holder lets go after a moment, acquire(timeout) then succeeds.
        assert proc.stdin is not None
        threading.Timer(0.5, proc.stdin.close).start()
        started = time.monotonic()
        assert mine.acquire(timeout=10)
        assert 0.3 < time.monotonic() - started < 9
        mine.release()
    finally:
        proc.kill()
        proc.wait(10)


def test_killed_holder_leaves_no_stale_lock(tmp_path: Path) -> None:
    path = tmp_path / "run.lock"
    proc = _holder(path)
    assert not FileRunLock(path).acquire(0)
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait(10)
    assert path.exists() and path.read_text()  # the dead holder's note is still there
    lock = FileRunLock(path)
    assert lock.acquire(0)
    assert f"pid {os.getpid()}" in (lock.holder() or "")
    lock.release()


def test_two_threads_of_one_process_exclude_each_other(tmp_path: Path) -> None:
    path = tmp_path / "run.lock"
    inside = 0
    most = 0
    guard = threading.Lock()

    def worker() -> None:
        nonlocal inside, most
        lock = FileRunLock(path)
        for _ in range(3):
            assert lock.acquire(timeout=20)
            with guard:
                inside += 1
                most = max(most, inside)
            time.sleep(0.01)
            with guard:
                inside -= 1
            lock.release()

    threads = [threading.Thread(target=worker) for _ in range(3)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert most == 1


def test_lock_beside_the_state_db_stays_out_of_git_status(tmp_path: Path) -> None:
    git(["init", "-q"], tmp_path)
    lock = run_lock(f"sqlite:///{tmp_path / '.updater' / 'state.db'}", tmp_path)
    assert isinstance(lock, FileRunLock) and lock.path == tmp_path / ".updater" / "run.lock"
    assert lock.acquire(0)
    assert git(["status", "--porcelain"], tmp_path) == ""
    lock.release()
    # Shards lock separately: 1/2 and 2/2 own disjoint packages and may run side by side,
    # but never beside a whole run, which owns every package; a second 1/2 waits too.
    url = f"sqlite:///{tmp_path}/s.db"
    whole, one = run_lock(url, tmp_path), run_lock(url, tmp_path, "1/2")
    two = run_lock(url, tmp_path, "2/2")
    again = run_lock(url, tmp_path, "1/2")
    assert one.acquire(0) and two.acquire(0)
    assert not again.acquire(0) and not whole.acquire(0)
    assert "shard runs" in (whole.holder() or "")
    one.release()
    assert not whole.acquire(0)
    two.release()
    assert whole.acquire(0)
    assert not one.acquire(0)
    assert f"pid {os.getpid()}" in (one.holder() or "")  # the whole run is named
    whole.release()
    assert one.acquire(0)
    one.release()
    assert lock_name("1/2") != lock_name("2/2") != lock_name(None)
