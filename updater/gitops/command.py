"""Running git: argument lists, timeouts, a clean environment, secrets masked in errors.

The environment drops every variable that would redirect git to another repository
(GIT_DIR, GIT_WORK_TREE, GIT_INDEX_FILE, ...): a bot started from a git hook or an editor must
still act on the scratch worktree it names, never on the user's index.
"""

from __future__ import annotations

import os
import subprocess
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path

from updater.errors import GitError
from updater.logs import get_logger, redact_text

_log = get_logger("updater.gitops")

GIT_TIMEOUT = 300.0

# The user's hooks (post-checkout on `worktree add`, pre-commit, pre-push) are theirs, not the
# bot's: they may be slow, interactive or edit files. Signing needs keys the bot does not have.
_NEUTRAL_CONFIG = ("-c", "core.hooksPath=/dev/null", "-c", "commit.gpgSign=false")

# Variables that make git operate on another repository, index or object store than `cwd`'s.
_REDIRECTING = (
    "GIT_DIR",
    "GIT_WORK_TREE",
    "GIT_INDEX_FILE",
    "GIT_OBJECT_DIRECTORY",
    "GIT_ALTERNATE_OBJECT_DIRECTORIES",
    "GIT_COMMON_DIR",
    "GIT_NAMESPACE",
    "GIT_PREFIX",
    "GIT_ASKPASS",
    "SSH_ASKPASS",
)


def git_env(extra: Mapping[str, str] | None = None) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in _REDIRECTING}
    env["GIT_TERMINAL_PROMPT"] = "0"
    env["GIT_OPTIONAL_LOCKS"] = "0"  # `git status` in the user's repo must not write its index
    env.update(extra or {})
    return env


def run_git(
    args: Sequence[str],
    cwd: Path,
    *,
    env: Mapping[str, str] | None = None,
    secrets: Iterable[str] = (),
    timeout: float = GIT_TIMEOUT,
    check: bool = True,
) -> subprocess.CompletedProcess[str]:
    """Run `git args...` in `cwd`; a failure raises GitError with output masked of `secrets`."""
    hidden = [s for s in secrets if s]
    shown = redact_text(" ".join(args[:6]), hidden)
    try:
        done = subprocess.run(
            ["git", *_NEUTRAL_CONFIG, *args],
            cwd=cwd,
            env=git_env(env),
            stdin=subprocess.DEVNULL,
            capture_output=True,
            text=True,
            errors="replace",
            timeout=timeout,
            check=False,
        )
    except subprocess.TimeoutExpired:
        raise GitError(f"git {shown} in {cwd} timed out after {timeout:g}s") from None
    except OSError as exc:
        raise GitError(f"cannot run git in {cwd}: {exc.strerror or exc}") from None
    _log.debug(
        "git",
        args=redact_text(" ".join(args), hidden),
        cwd=str(cwd),
        returncode=done.returncode,
        stderr=redact_text(done.stderr[-2000:], hidden),
    )
    if check and done.returncode != 0:
        lines = [line for line in done.stderr.splitlines() if line.strip()]
        last = redact_text(lines[-1].strip() if lines else f"exit {done.returncode}", hidden)
        raise GitError(f"git {shown} in {cwd} failed: {last[:300]}")
    return done


def git_out(args: Sequence[str], cwd: Path, **kwargs: object) -> str:
    return run_git(args, cwd, **kwargs).stdout.strip()  # type: ignore[arg-type]
