"""Pushing branches and reading remote branches, with credentials only through GIT_ASKPASS.

The token travels in an environment variable read by a tiny askpass script written to a
private temporary directory; it is never put in a URL, a command line, a log line or an error
message (every message is masked of it). Credential helpers are disabled so git stores nothing.
Force-pushes happen only when asked, and only as `--force-with-lease=<branch>:<expected sha>`.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from updater.errors import GitError
from updater.gitops.command import git_out, run_git
from updater.gitops.worktree import check_branch_name
from updater.logs import redact_text
from updater.tempdirs import claimed_dir

_TOKEN_ENV = "UPDATER_GIT_TOKEN"
_USER_ENV = "UPDATER_GIT_USERNAME"
# git asks "Username for '...': " then "Password for '...': ".
_ASKPASS = f"""#!/bin/sh
case "$1" in
  Username*) printf '%s\\n' "${_USER_ENV}" ;;
  *) printf '%s\\n' "${_TOKEN_ENV}" ;;
esac
"""
_CREDENTIALS_IN_URL = re.compile(r"^[a-z][a-z0-9+.\-]*://[^/@]*@", re.IGNORECASE)
_SHA = re.compile(r"[0-9a-f]{40}(?:[0-9a-f]{24})?")
# Commits on a remote branch, one per record: sha, author, committer, subject.
_LOG_FORMAT = "%H%x1f%an%x1f%ae%x1f%cn%x1f%ce%x1f%s%x1e"
_SCRATCH_REF = "refs/updater/remote/"


@dataclass(frozen=True)
class Credentials:
    """HTTP credentials for a forge; GitHub tokens work with any username."""

    token: str
    username: str = "x-access-token"

    def __repr__(self) -> str:
        return f"Credentials(username={self.username!r}, token=[REDACTED])"


@dataclass(frozen=True)
class RemoteCommit:
    sha: str
    author_name: str
    author_email: str
    committer_name: str
    committer_email: str
    subject: str


def _check_url(url: str) -> str:
    if url.startswith("-") or _CREDENTIALS_IN_URL.match(url) or any(c.isspace() for c in url):
        raise GitError(f"refusing remote URL {redact_text(url)!r}: credentials go through askpass")
    return url


@contextmanager
def _auth_env(credentials: Credentials | None) -> Iterator[dict[str, str]]:
    if credentials is None:
        yield {"GIT_ASKPASS": "/bin/false"}
        return
    with claimed_dir("updater-askpass-") as tmp:
        script = tmp / "askpass.sh"
        script.write_text(_ASKPASS)
        script.chmod(0o700)
        yield {
            "GIT_ASKPASS": str(script),
            _TOKEN_ENV: credentials.token,
            _USER_ENV: credentials.username,
        }


def _secrets(credentials: Credentials | None) -> list[str]:
    return [credentials.token] if credentials else []


def _auth_args() -> list[str]:
    # An empty helper list: nothing is read from or written to a credential store.
    return ["-c", "credential.helper=", "-c", "core.askPass="]


def remote_branch_sha(
    repo: Path, url: str, branch: str, credentials: Credentials | None = None
) -> str | None:
    """The commit `branch` points at on the remote, or None when it does not exist."""
    check_branch_name(repo, branch)
    with _auth_env(credentials) as env:
        out = git_out(
            [*_auth_args(), "ls-remote", "--heads", _check_url(url), f"refs/heads/{branch}"],
            repo,
            env=env,
            secrets=_secrets(credentials),
        )
    for line in out.splitlines():
        sha, _, ref = line.partition("\t")
        if ref == f"refs/heads/{branch}":
            return sha
    return None


def push_branch(
    repo: Path,
    url: str,
    branch: str,
    sha: str,
    *,
    credentials: Credentials | None = None,
    force_with_lease: str | None = None,
) -> None:
    """Make remote `branch` point at commit `sha` (from `repo`).

    Without `force_with_lease` only a fast-forward (or a new branch) is pushed. With it, the
    remote branch is overwritten only if it still points at that expected sha ("" = absent).
    """
    check_branch_name(repo, branch)
    if not _SHA.fullmatch(sha):
        raise GitError(f"{repo}: {sha!r} is not a commit id")
    args = [*_auth_args(), "push", "--quiet", "--porcelain"]
    if force_with_lease is not None:
        if force_with_lease and not _SHA.fullmatch(force_with_lease):
            raise GitError(f"{repo}: expected sha {force_with_lease!r} is not a commit id")
        args.append(f"--force-with-lease=refs/heads/{branch}:{force_with_lease}")
    args += [_check_url(url), f"{sha}:refs/heads/{branch}"]
    with _auth_env(credentials) as env:
        run_git(args, repo, env=env, secrets=_secrets(credentials))


@dataclass(frozen=True)
class RemoteBranch:
    """A remote branch as fetched: where it points and its commits not on the base branch."""

    sha: str
    commits: tuple[RemoteCommit, ...]


def remote_branch(
    repo: Path,
    url: str,
    branch: str,
    base: str,
    *,
    credentials: Credentials | None = None,
) -> RemoteBranch | None:
    """Fetch remote `branch` and `base` together and read the branch's own commits from git.

    None only when git itself says the branch does not exist on the remote; any other failure
    raises GitError, so a caller deciding whether to force-push fails closed. The fetched sha is
    the one to lease a force-push on: the commits read are the commits of that sha.
    """
    check_branch_name(repo, branch)
    check_branch_name(repo, base)
    scratch, scratch_base = f"{_SCRATCH_REF}{branch}", f"{_SCRATCH_REF}base/{base}"
    with _auth_env(credentials) as env:
        fetched = run_git(
            [
                *_auth_args(),
                "fetch",
                "--quiet",
                "--no-tags",
                "--no-write-fetch-head",
                _check_url(url),
                f"+refs/heads/{branch}:{scratch}",
                f"+refs/heads/{base}:{scratch_base}",
            ],
            repo,
            env=env,
            secrets=_secrets(credentials),
            check=False,
        )
    try:
        if fetched.returncode != 0:
            stderr = fetched.stderr
            missing = re.search(
                rf"couldn't find remote ref refs/heads/{re.escape(branch)}\s*$", stderr, re.M
            )
            if missing:
                # Absent: a push without force cannot overwrite anything there.
                return None
            last = redact_text(
                stderr.strip().splitlines()[-1:][0] if stderr.strip() else "",
                _secrets(credentials),
            )
            raise GitError(f"fetching {branch} from {redact_text(url)} failed: {last[:300]}")
        sha = git_out(["rev-parse", "--verify", f"{scratch}^{{commit}}"], repo)
        out = run_git(["log", f"--format={_LOG_FORMAT}", scratch, f"^{scratch_base}", "--"], repo)
    finally:
        for ref in (scratch, scratch_base):
            run_git(["update-ref", "-d", ref], repo, check=False)
    commits = []
    for record in out.stdout.split("\x1e"):
        fields = record.strip("\n").split("\x1f")
        if len(fields) == 6:
            commits.append(RemoteCommit(*fields))
    return RemoteBranch(sha, tuple(commits))
