"""A run killed with SIGKILL inside a scratch worktree: the next run removes what it left, and
only that (real git, real processes)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from updater.gitops.scratch import sweep
from updater.gitops.worktree import scratch_worktree
from updater.tempdirs import MARKER, claimed_dir

KILLED = """
import os, signal, sys
from pathlib import Path
from updater.gitops.worktree import scratch_worktree
from updater.tempdirs import claimed_dir
with claimed_dir("updater-prefetch-", Path(sys.argv[2])) as other:
    with scratch_worktree(Path(sys.argv[1]), "main", tmp_root=Path(sys.argv[2])) as wt:
        (wt.path / "half-written").write_text("x")
        print(other, flush=True)
        print(wt.path, flush=True)
        os.kill(os.getpid(), signal.SIGKILL)
"""


def git(cwd: Path, *args: str) -> str:
    env = {**os.environ, "GIT_CONFIG_NOSYSTEM": "1", "GIT_CONFIG_GLOBAL": os.devnull}
    ident = ["-c", "user.name=A", "-c", "user.email=a@example.org"]
    return subprocess.run(
        ["git", *ident, *args], cwd=cwd, env=env, capture_output=True, text=True, check=True,
        timeout=60,
    ).stdout  # fmt: skip


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    path = tmp_path / "repo"
    path.mkdir()
    git(path, "init", "-q", "-b", "main")
    (path / "a.nix").write_text("{ }\n")
    git(path, "add", "a.nix")
    git(path, "commit", "-q", "-m", "init")
    return path


def _registered(repo: Path) -> list[str]:
    return [
        line.removeprefix("worktree ")
        for line in git(repo, "worktree", "list", "--porcelain").splitlines()
        if line.startswith("worktree ") and Path(line.removeprefix("worktree ")) != repo
    ]


def test_the_next_run_removes_what_a_killed_run_left_and_nothing_else(
    repo: Path, tmp_path: Path
) -> None:
    scratch = tmp_path / "tmp"
    scratch.mkdir()
    killed = subprocess.run(
        [sys.executable, "-c", KILLED, str(repo), str(scratch)],
        capture_output=True, text=True, timeout=60, check=False,
    )  # fmt: skip
    assert killed.returncode == -signal.SIGKILL
    *_, prefetch, worktree = killed.stdout.strip().splitlines()
    left, other = Path(worktree), Path(prefetch)
    assert left.exists() and str(left) in _registered(repo) and other.exists()
    # A person's own worktree, and a folder with our prefix but not our marker, stay.
    hers = tmp_path / "hers"
    git(repo, "worktree", "add", "-q", "--detach", str(hers))
    unmarked = scratch / "updater-worktree-not-ours"
    unmarked.mkdir()

    with scratch_worktree(repo, "main", tmp_root=scratch) as wt:
        # While this one is in use, a sweep (another run's) leaves it alone.
        assert sweep(repo, scratch) == []
        assert wt.path.exists() and (wt.path.parent / MARKER).exists()
    assert not left.parent.exists() and not other.exists()
    assert _registered(repo) == [str(hers)]
    assert unmarked.exists() and hers.exists()
    assert sorted(p.name for p in scratch.iterdir()) == ["updater-worktree-not-ours"]


def test_a_registration_whose_folder_is_gone_is_removed(repo: Path, tmp_path: Path) -> None:
    scratch = tmp_path / "tmp"
    scratch.mkdir()
    with claimed_dir("updater-worktree-", scratch) as folder:
        git(repo, "worktree", "add", "-q", "--detach", str(folder / "worktree"))
    # claimed_dir removed the folder, as a crash between the two steps would leave it.
    assert _registered(repo)
    sweep(repo, scratch)
    assert _registered(repo) == []


def test_units_in_parallel_open_and_close_their_worktrees_without_tripping(repo: Path) -> None:
    # `run --jobs N`: every unit adds and removes a worktree of the same repository at once.
    # git removes .git/worktrees when its last entry goes, under an `add` in flight: no unit
    # may fail for another's bookkeeping.
    from concurrent.futures import ThreadPoolExecutor

    def unit(n: int) -> str:
        with scratch_worktree(repo, "HEAD") as wt:
            (wt.path / f"f{n}").write_text("x")
            return wt.head()

    with ThreadPoolExecutor(max_workers=8) as pool:
        heads = list(pool.map(unit, range(64)))
    assert len(set(heads)) == 1
    assert _registered(repo) == []
