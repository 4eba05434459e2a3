"""Scratch worktrees, bot commits and pushes, against real git repositories.

The user's checkout must be byte-identical after every operation: branch, HEAD, index file,
working tree (uncommitted changes included) and `git status --porcelain`.
"""

from __future__ import annotations

import base64
import hashlib
import http.server
import os
import subprocess
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
import structlog

from updater.delivery.ownership import branch_state
from updater.errors import GitError
from updater.forge.models import BranchOwnership
from updater.gitops.commit import Identity, changed_files, commit
from updater.gitops.push import (
    Credentials,
    push_branch,
    remote_branch,
    remote_branch_sha,
)
from updater.gitops.worktree import ensure_excluded, scratch_worktree, set_branch

BOT = Identity("updater[bot]", "updater[bot]@users.noreply.github.com")
TOKEN = "ghs_" + "T0kenValue" * 4


@pytest.fixture(autouse=True)
def no_git_identity(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Like a CI runner: no global or system git config, no identity anywhere."""
    home = tmp_path / "home"
    home.mkdir()
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.setenv("GIT_CONFIG_NOSYSTEM", "1")
    monkeypatch.setenv("GIT_CONFIG_GLOBAL", str(home / "gitconfig"))
    (home / "gitconfig").write_text("[init]\n\tdefaultBranch = main\n")
    for var in ("GIT_AUTHOR_NAME", "GIT_AUTHOR_EMAIL", "GIT_COMMITTER_NAME", "GIT_COMMITTER_EMAIL"):
        monkeypatch.delenv(var, raising=False)
    monkeypatch.setenv("EMAIL", "")


def git(cwd: Path, *args: str, who: str = "Alice") -> str:
    env = {
        **os.environ,
        "GIT_AUTHOR_NAME": who,
        "GIT_AUTHOR_EMAIL": f"{who.lower()}@example.org",
        "GIT_COMMITTER_NAME": who,
        "GIT_COMMITTER_EMAIL": f"{who.lower()}@example.org",
        "GIT_OPTIONAL_LOCKS": "0",
    }
    done = subprocess.run(
        ["git", *args], cwd=cwd, env=env, capture_output=True, text=True, timeout=60, check=True
    )
    return done.stdout.strip()


@pytest.fixture
def user_repo(tmp_path: Path) -> Path:
    """A checkout on `main` with a staged change, an unstaged change and an untracked file."""
    repo = tmp_path / "nur"
    repo.mkdir()
    git(repo, "init", "-q")
    (repo / "pkgs").mkdir()
    (repo / "pkgs" / "a.nix").write_text('{ rev = "1"; }\n')
    (repo / "pkgs" / "b.nix").write_text('{ rev = "2"; }\n')
    git(repo, "add", ".")
    git(repo, "commit", "-q", "-m", "init")
    git(repo, "checkout", "-q", "-b", "work")
    (repo / "pkgs" / "b.nix").write_text('{ rev = "staged"; }\n')
    git(repo, "add", "pkgs/b.nix")
    (repo / "pkgs" / "a.nix").write_text('{ rev = "unstaged"; }\n')
    (repo / "notes.txt").write_text("untracked\n")
    return repo


def snapshot(repo: Path) -> dict[str, object]:
    index = hashlib.sha256((repo / ".git" / "index").read_bytes()).hexdigest()
    files = {
        str(p.relative_to(repo)): p.read_bytes()
        for p in sorted(repo.rglob("*"))
        if p.is_file() and ".git" not in p.relative_to(repo).parts
    }
    return {
        "index": index,
        "files": files,
        "branch": git(repo, "symbolic-ref", "HEAD"),
        "head": git(repo, "rev-parse", "HEAD"),
        "status": git(repo, "status", "--porcelain", "--untracked-files=all"),
        "refs": git(repo, "for-each-ref", "--format=%(refname) %(objectname)"),
        "worktrees": git(repo, "worktree", "list", "--porcelain"),
    }


def test_success_commits_on_a_new_branch_and_leaves_the_checkout_alone(user_repo: Path) -> None:
    before = snapshot(user_repo)
    with scratch_worktree(user_repo, "main") as wt:
        scratch = wt.path
        assert not scratch.resolve().is_relative_to(user_repo.resolve())
        # The scratch tree is the base commit, not the user's uncommitted state.
        assert (scratch / "pkgs" / "a.nix").read_text() == '{ rev = "1"; }\n'
        (scratch / "pkgs" / "a.nix").write_text('{ rev = "3"; }\n')
        sha = commit(scratch, "a: 1 -> 3", BOT)
        assert changed_files(scratch, wt.base) == ["pkgs/a.nix"]
        wt.keep_as("updater/a")
    after = snapshot(user_repo)
    main = git(user_repo, "rev-parse", "main")
    # Refs gain exactly the bot's branch; everything else is as it was.
    assert str(after.pop("refs")).splitlines() == sorted(
        [*str(before.pop("refs")).splitlines(), f"refs/heads/updater/a {sha}"]
    )
    assert after == before
    assert not scratch.exists()
    assert git(user_repo, "rev-parse", "updater/a") == sha
    assert git(user_repo, "rev-parse", "updater/a^") == main
    assert git(user_repo, "log", "-1", "--format=%an <%ae>|%cn <%ce>|%s", sha) == (
        "updater[bot] <updater[bot]@users.noreply.github.com>|"
        "updater[bot] <updater[bot]@users.noreply.github.com>|a: 1 -> 3"
    )
    assert git(user_repo, "show", "updater/a:pkgs/a.nix") == '{ rev = "3"; }'


def test_refs_after_success_gain_exactly_the_bot_branch(user_repo: Path) -> None:
    before = set(git(user_repo, "for-each-ref", "--format=%(refname)").splitlines())
    with scratch_worktree(user_repo, "main") as wt:
        (wt.path / "new.nix").write_text("{}\n")
        commit(wt.path, "add", BOT)
        wt.keep_as("updater/new")
    after = set(git(user_repo, "for-each-ref", "--format=%(refname)").splitlines())
    assert after - before == {"refs/heads/updater/new"} and before <= after


def test_failure_midway_leaves_everything_as_it_was(user_repo: Path) -> None:
    before = snapshot(user_repo)
    with pytest.raises(RuntimeError, match="midway"):
        with scratch_worktree(user_repo, "main") as wt:
            scratch = wt.path
            (scratch / "pkgs" / "a.nix").write_text("broken\n")
            commit(scratch, "half done", BOT)
            wt.keep_as("updater/a")
            raise RuntimeError("failed midway")
    assert snapshot(user_repo) == before
    assert not scratch.exists() and not scratch.parent.exists()


def test_branch_checked_out_by_the_user_is_never_moved(user_repo: Path) -> None:
    before = snapshot(user_repo)
    with pytest.raises(GitError, match="checked out"):
        with scratch_worktree(user_repo, "main") as wt:
            (wt.path / "x").write_text("x\n")
            commit(wt.path, "x", BOT)
            wt.keep_as("work")
    assert snapshot(user_repo) == before


def test_set_branch_with_expected_old_value(user_repo: Path) -> None:
    main = git(user_repo, "rev-parse", "main")
    set_branch(user_repo, "updater/x", main, expected_old="")
    with pytest.raises(GitError):
        set_branch(user_repo, "updater/x", main, expected_old="")
    with pytest.raises(GitError, match="invalid branch"):
        set_branch(user_repo, "bad..name", main)


def test_nothing_to_commit_is_an_error(user_repo: Path) -> None:
    with pytest.raises(GitError, match="nothing to commit"):
        with scratch_worktree(user_repo, "main") as wt:
            commit(wt.path, "empty", BOT)


def test_unknown_base_ref(user_repo: Path) -> None:
    with pytest.raises(GitError, match="no commit named"):
        with scratch_worktree(user_repo, "no-such-branch"):
            pass


def test_exclude_keeps_bot_files_out_of_status_without_tracked_edits(user_repo: Path) -> None:
    status = git(user_repo, "status", "--porcelain", "--untracked-files=all")
    ensure_excluded(user_repo, ".updater/")
    ensure_excluded(user_repo, ".updater/")  # idempotent
    (user_repo / ".updater").mkdir()
    (user_repo / ".updater" / "state.db").write_text("x")
    assert git(user_repo, "status", "--porcelain", "--untracked-files=all") == status
    exclude = (user_repo / ".git" / "info" / "exclude").read_text()
    assert exclude.count(".updater/") == 1
    assert not (user_repo / ".gitignore").exists()
    # From a worktree, the shared exclude file is the one written.
    with scratch_worktree(user_repo, "main") as wt:
        ensure_excluded(wt.path, ".cache-x/")
    assert ".cache-x/" in (user_repo / ".git" / "info" / "exclude").read_text()


@pytest.fixture
def bare_remote(tmp_path: Path) -> Path:
    remote = tmp_path / "remote.git"
    git(tmp_path, "init", "-q", "--bare", str(remote))
    return remote


def _bot_commit(repo: Path, branch: str, content: str) -> str:
    with scratch_worktree(repo, "main") as wt:
        (wt.path / "pkgs" / "a.nix").write_text(content)
        sha = commit(wt.path, f"a: {content.strip()}", BOT)
        wt.keep_as(branch)
    return sha


def test_push_lease_and_remote_commits(user_repo: Path, bare_remote: Path, tmp_path: Path) -> None:
    url = str(bare_remote)
    main = git(user_repo, "rev-parse", "main")
    push_branch(user_repo, url, "main", main)
    first = _bot_commit(user_repo, "updater/a", "one\n")
    assert remote_branch_sha(user_repo, url, "updater/a") is None
    assert remote_branch(user_repo, url, "updater/a", "main") is None
    push_branch(user_repo, url, "updater/a", first)
    assert remote_branch_sha(user_repo, url, "updater/a") == first

    # A person adds a commit to the bot's branch on the remote.
    clone = tmp_path / "clone"
    git(tmp_path, "clone", "-q", "--branch", "updater/a", url, str(clone))
    (clone / "pkgs" / "b.nix").write_text("by hand\n")
    git(clone, "commit", "-q", "-am", "fix by hand", who="Bob")
    git(clone, "push", "-q", "origin", "updater/a")
    found = remote_branch(user_repo, url, "updater/a", "main")
    assert found is not None and found.sha == git(user_repo, "ls-remote", url, "updater/a")[:40]
    assert [(c.author_name, c.subject) for c in found.commits] == [
        ("Bob", "fix by hand"),
        ("updater[bot]", "a: one"),
    ]
    # Reading the remote branch leaves no ref, branch or FETCH_HEAD behind.
    assert "refs/updater" not in git(user_repo, "for-each-ref")
    assert not (user_repo / ".git" / "FETCH_HEAD").exists()

    second = _bot_commit(user_repo, "updater/a2", "two\n")
    with pytest.raises(GitError, match="push"):
        push_branch(user_repo, url, "updater/a", second)  # not a fast-forward: refused
    with pytest.raises(GitError, match="push"):
        push_branch(user_repo, url, "updater/a", second, force_with_lease=first)  # stale lease
    remote_head = remote_branch_sha(user_repo, url, "updater/a")
    assert remote_head is not None and remote_head != first
    push_branch(user_repo, url, "updater/a", second, force_with_lease=remote_head)
    assert remote_branch_sha(user_repo, url, "updater/a") == second


def test_whose_branch_is_decided_from_git_and_fails_closed(
    user_repo: Path, bare_remote: Path, tmp_path: Path
) -> None:
    url = str(bare_remote)
    push_branch(user_repo, url, "main", git(user_repo, "rev-parse", "main"))
    bots = [BOT.email]
    absent = branch_state(user_repo, url, "updater/a", "main", bots)
    assert absent.ownership is BranchOwnership.ABSENT and absent.sha is None
    first = _bot_commit(user_repo, "updater/a", "one\n")
    push_branch(user_repo, url, "updater/a", first)
    mine = branch_state(user_repo, url, "updater/a", "main", bots)
    assert mine.ownership is BranchOwnership.BOT_ONLY and mine.sha == first

    clone = tmp_path / "clone"
    git(tmp_path, "clone", "-q", "--branch", "updater/a", url, str(clone))
    (clone / "pkgs" / "b.nix").write_text("by hand\n")
    git(clone, "commit", "-q", "-am", "fix by hand", who="Bob")
    git(clone, "push", "-q", "origin", "updater/a")
    hers = branch_state(user_repo, url, "updater/a", "main", bots)
    assert hers.ownership is BranchOwnership.PERSON_PUSHED
    assert hers.sha == git(clone, "rev-parse", "HEAD")
    assert "refs/updater" not in git(user_repo, "for-each-ref")

    # A remote git cannot read is not an absent branch: the caller gets an error, not a push.
    with pytest.raises(GitError, match="fetching updater/a"):
        branch_state(user_repo, str(tmp_path / "nowhere.git"), "updater/a", "main", bots)


class _AuthRecorder(http.server.BaseHTTPRequestHandler):
    seen: list[str] = []

    def do_GET(self) -> None:
        auth = self.headers.get("Authorization")
        if auth is None:
            self.send_response(401)
            self.send_header("WWW-Authenticate", 'Basic realm="forge"')
            self.end_headers()
            return
        type(self).seen.append(auth)
        self.send_response(403)
        self.end_headers()

    def log_message(self, format: str, *args: object) -> None:
        pass


@pytest.fixture
def auth_server() -> Iterator[tuple[str, list[str]]]:
    seen: list[str] = []
    handler = type("Recorder", (_AuthRecorder,), {"seen": seen})
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}/owner/repo.git", seen
    server.shutdown()
    server.server_close()


def test_token_goes_through_askpass_and_never_into_output(
    user_repo: Path, auth_server: tuple[str, list[str]], capfd: pytest.CaptureFixture[str]
) -> None:
    url, seen = auth_server
    main = git(user_repo, "rev-parse", "main")
    creds = Credentials(TOKEN)
    with structlog.testing.capture_logs() as logs, pytest.raises(GitError) as info:
        push_branch(user_repo, url, "updater/a", main, credentials=creds)
    expected = base64.b64encode(f"x-access-token:{TOKEN}".encode()).decode()
    assert seen == [f"Basic {expected}"]  # the forge got the token, through askpass
    out, err = capfd.readouterr()
    for text in (str(info.value), repr(info.value), repr(creds), repr(logs), out, err):
        assert TOKEN not in text and expected not in text
    assert not list(user_repo.rglob("askpass*"))
    assert TOKEN not in (user_repo / ".git" / "config").read_text()


def test_credentials_in_a_url_are_refused_without_echoing_them(user_repo: Path) -> None:
    main = git(user_repo, "rev-parse", "main")
    with pytest.raises(GitError) as info:
        push_branch(user_repo, f"https://x:{TOKEN}@example.org/r.git", "updater/a", main)
    assert TOKEN not in str(info.value)
