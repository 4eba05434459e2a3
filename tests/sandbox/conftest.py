"""Fixtures for the local forge: a started forge, git routed to it, upstream repos with history."""

from __future__ import annotations

import os
import shutil
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from updater_sandbox.forge import LocalForge

TOKEN = "ghp_" + "F" * 36


def run_git(env: dict[str, str], cwd: Path | None, *args: str) -> str:
    proc = subprocess.run(
        ["git", *args], cwd=cwd, env=env, capture_output=True, text=True, timeout=60, check=False
    )
    if proc.returncode != 0:
        raise AssertionError(f"git {' '.join(args)} failed: {proc.stderr}")
    return proc.stdout


@dataclass
class Upstream:
    """A working clone of a served repository; commits go to the forge with real `git push`."""

    host: str
    owner: str
    name: str
    work: Path
    bare: Path
    env: dict[str, str]

    @property
    def url(self) -> str:
        return f"https://{self.host}/{self.owner}/{self.name}"

    def git(self, *args: str, date: str | None = None) -> str:
        env = dict(self.env)
        if date is not None:
            env["GIT_AUTHOR_DATE"] = env["GIT_COMMITTER_DATE"] = date
        return run_git(env, self.work, *args)

    def commit(self, message: str, files: dict[str, str], date: str) -> str:
        for rel, text in files.items():
            path = self.work / rel
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(text)
        self.git("add", "-A")
        self.git("commit", "-q", "-m", message, date=date)
        return self.git("rev-parse", "HEAD").strip()

    def tag(self, name: str, *, annotated: bool = True, date: str = "2024-01-01T00:00:00Z") -> None:
        if annotated:
            self.git("tag", "-a", name, "-m", f"release {name}", date=date)
        else:
            self.git("tag", name)

    def push(self, *refs: str) -> None:
        self.git("push", "-q", "origin", *refs)

    def sha(self, rev: str) -> str:
        return run_git(self.env, None, "--git-dir", str(self.bare), "rev-parse", rev).strip()


@pytest.fixture
def forge(tmp_path: Path) -> Iterator[LocalForge]:
    with LocalForge(tmp_path / "forge", token=TOKEN) as f:
        yield f


@pytest.fixture
def git_env(forge: LocalForge, tmp_path: Path) -> dict[str, str]:
    config = forge.write_gitconfig(tmp_path / "gitconfig")
    env = {k: v for k, v in os.environ.items() if not k.startswith("GIT_")}
    env.update(
        GIT_CONFIG_GLOBAL=str(config),
        GIT_CONFIG_NOSYSTEM="1",
        GIT_AUTHOR_NAME="Upstream Dev",
        GIT_AUTHOR_EMAIL="dev@example.org",
        GIT_COMMITTER_NAME="Upstream Dev",
        GIT_COMMITTER_EMAIL="dev@example.org",
        GIT_TERMINAL_PROMPT="0",
    )
    return env


def make_upstream(
    forge: LocalForge, env: dict[str, str], tmp_path: Path, host: str, owner: str, name: str
) -> Upstream:
    bare = forge.repo_path(host, owner, name)
    bare.parent.mkdir(parents=True, exist_ok=True)
    run_git(env, None, "init", "-q", "--bare", "-b", "main", str(bare))
    work = tmp_path / "work" / host / owner / name
    work.parent.mkdir(parents=True, exist_ok=True)
    run_git(env, None, "clone", "-q", f"https://{host}/{owner}/{name}", str(work))
    return Upstream(host, owner, name, work, bare, env)


@pytest.fixture
def upstream_factory(forge: LocalForge, git_env: dict[str, str], tmp_path: Path):  # type: ignore[no-untyped-def]
    def make(host: str, owner: str, name: str) -> Upstream:
        return make_upstream(forge, git_env, tmp_path, host, owner, name)

    return make


def populate(up: Upstream) -> dict[str, str]:
    """main: c1 (v1.0 annotated), c2 (v1.1 light), c3 (v2.0-rc1 annotated); feature: c4 on c3."""
    shas = {
        "c1": up.commit("first", {"README": "one\n", "src/lib.txt": "a\n"}, "2024-01-01T10:00:00Z"),
    }
    up.tag("v1.0", date="2024-01-01T11:00:00Z")
    shas["c2"] = up.commit("second", {"README": "two\n"}, "2024-02-01T10:00:00Z")
    up.tag("v1.1", annotated=False)
    shas["c3"] = up.commit("third\n\nwith a body", {"go.sum": "x\n"}, "2024-03-01T10:00:00Z")
    up.tag("v2.0-rc1", date="2024-03-01T11:00:00Z")
    up.git("checkout", "-q", "-b", "feature")
    shas["c4"] = up.commit("feature work", {"feature.txt": "f\n"}, "2024-03-05T10:00:00Z")
    up.git("checkout", "-q", "main")
    up.push("main", "feature", "--tags")
    return shas


@pytest.fixture(scope="session")
def _populated_template(
    tmp_path_factory: pytest.TempPathFactory,
) -> tuple[Path, Path, dict[str, str]]:
    """alice/proj with history, built once without a forge (pushed to a file path)."""
    base = tmp_path_factory.mktemp("template")
    env = {k: v for k, v in os.environ.items() if not k.startswith("GIT_")}
    env.update(
        GIT_CONFIG_GLOBAL=os.devnull,
        GIT_CONFIG_NOSYSTEM="1",
        GIT_AUTHOR_NAME="Upstream Dev",
        GIT_AUTHOR_EMAIL="dev@example.org",
        GIT_COMMITTER_NAME="Upstream Dev",
        GIT_COMMITTER_EMAIL="dev@example.org",
    )
    bare, work = base / "proj.git", base / "work"
    run_git(env, None, "init", "-q", "--bare", "-b", "main", str(bare))
    run_git(env, None, "clone", "-q", str(bare), str(work))
    shas = populate(Upstream("github.com", "alice", "proj", work, bare, env))
    return bare, work, shas


@pytest.fixture
def gh_repo(
    forge: LocalForge,
    git_env: dict[str, str],
    tmp_path: Path,
    _populated_template: tuple[Path, Path, dict[str, str]],
) -> tuple[Upstream, dict[str, str]]:
    """github.com/alice/proj served by the forge, with a working clone whose origin is the forge."""
    template_bare, template_work, shas = _populated_template
    bare = forge.repo_path("github.com", "alice", "proj")
    shutil.copytree(template_bare, bare)
    work = tmp_path / "work" / "github.com" / "alice" / "proj"
    shutil.copytree(template_work, work)
    run_git(git_env, work, "remote", "set-url", "origin", "https://github.com/alice/proj")
    return Upstream("github.com", "alice", "proj", work, bare, git_env), dict(shas)


@pytest.fixture
def api(forge: LocalForge) -> Iterator[httpx.Client]:
    with httpx.Client(
        base_url=forge.api_url, headers={"Authorization": f"token {TOKEN}"}, timeout=30
    ) as client:
        yield client
