"""Helpers of the engine tests (a module with a unique name): the local world, fresh NUR clones,
targets taken from the world's upstreams, and snapshots of a checkout's git state."""

from __future__ import annotations

import os
import subprocess
from dataclasses import dataclass, replace
from pathlib import Path

from updater.config import Config
from updater.engine.result import UpdateResult
from updater.engine.settings import EngineSettings
from updater.engine.target import Target
from updater.engine.update import update_unit
from updater.nix.runner import NixRunner
from updater.version.policy import placeholder_version
from updater_sandbox.world import World

GIT_ENV = {
    "GIT_AUTHOR_NAME": "t",
    "GIT_AUTHOR_EMAIL": "t@example.org",
    "GIT_COMMITTER_NAME": "t",
    "GIT_COMMITTER_EMAIL": "t@example.org",
}


def git(repo: Path, *args: str) -> str:
    env = {k: v for k, v in os.environ.items() if not k.startswith("GIT_")}
    env.update(GIT_ENV, GIT_CONFIG_GLOBAL=os.devnull, GIT_CONFIG_NOSYSTEM="1")
    done = subprocess.run(
        ["git", *args], cwd=repo, env=env, capture_output=True, text=True, timeout=60, check=True
    )
    return done.stdout.strip()


def clone_nur(w: World, dest: Path) -> Path:
    """A fresh clone of the fixture NUR (its own branches, worktrees and working tree)."""
    git(dest.parent, "clone", "--quiet", str(w.nur_path), str(dest))
    return dest


def commit_change(repo: Path, rel: str, old: str, new: str) -> None:
    """Edit a file of the clone and commit it (the repository as its maintainers left it)."""
    path = repo / rel
    text = path.read_text()
    assert old in text, f"{old!r} not in {rel}"
    path.write_text(text.replace(old, new, 1))
    git(repo, "commit", "--quiet", "-am", f"test: edit {rel}")


def settings(w: World, **changes: object) -> EngineSettings:
    base = EngineSettings(runner=NixRunner(base_env=w.process_env()), build=True)
    return replace(base, **changes)  # type: ignore[arg-type]


def release(w: World, key: str, tag: str) -> Target:
    c = w.upstream(key).commit(tag)
    return Target(version=c.version, tag=tag, commit=c.sha, date=c.date)


def branch_head(w: World, key: str, current_version: str) -> Target:
    head = w.upstream(key).head
    return Target(
        version=placeholder_version(current_version, head.date), commit=head.sha, date=head.date
    )


def update(
    w: World, repo: Path, unit: str, target: Target, config: Config | None = None, **changes: object
) -> UpdateResult:
    return update_unit(repo, unit, target, config or Config(), settings(w, **changes))


def show(repo: Path, ref: str, rel: str) -> str:
    return git(repo, "show", f"{ref}:{rel}")


@dataclass(frozen=True)
class GitState:
    head: str
    branch: str
    refs: str
    status: str
    worktrees: str


def git_state(repo: Path) -> GitState:
    return GitState(
        head=git(repo, "rev-parse", "HEAD"),
        branch=git(repo, "symbolic-ref", "--short", "HEAD"),
        refs=git(repo, "for-each-ref", "--format=%(refname) %(objectname)"),
        status=git(repo, "status", "--porcelain", "--untracked-files=all"),
        worktrees=git(repo, "worktree", "list", "--porcelain"),
    )
