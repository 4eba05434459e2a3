"""A local forge serving github.com/acme/nur, and helpers to put commits on its branches."""
# Named uniquely (not conftest) so `import forge_helpers` cannot pick another directory's module.

from __future__ import annotations

import os
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from updater.config import PullRequestConfig
from updater.delivery.ownership import branch_state
from updater.forge.auth import StaticToken
from updater.forge.client import ForgeClient, build_retry
from updater.forge.models import BranchSituation
from updater.forge.pulls import PullRequests
from updater_sandbox.forge import LocalForge

TOKEN = "ghp_" + "T" * 36
OWNER, REPO = "acme", "nur"
BOT_EMAIL = "updater[bot]@users.noreply.github.com"


def git(cwd: Path, *args: str, email: str = BOT_EMAIL, name: str = "updater[bot]") -> str:
    env = {
        **os.environ,
        "GIT_AUTHOR_NAME": name,
        "GIT_AUTHOR_EMAIL": email,
        "GIT_COMMITTER_NAME": name,
        "GIT_COMMITTER_EMAIL": email,
        "GIT_CONFIG_GLOBAL": "/dev/null",
        "GIT_CONFIG_NOSYSTEM": "1",
    }
    proc = subprocess.run(
        ["git", *args], cwd=cwd, env=env, capture_output=True, text=True, timeout=60, check=True
    )
    return proc.stdout.strip()


@dataclass
class World:
    forge: LocalForge
    bare: Path
    work: Path

    def commit_on(
        self,
        branch: str,
        filename: str,
        content: str,
        *,
        email: str = BOT_EMAIL,
        force: bool = False,
    ) -> str:
        """Commit one file on `branch` (created from main when new) and push it to the forge."""
        existing = git(self.work, "ls-remote", "origin", f"refs/heads/{branch}")
        start = f"origin/{branch}" if existing and not force else "origin/main"
        git(self.work, "fetch", "-q", "origin")
        git(self.work, "checkout", "-q", "-B", branch, start)
        (self.work / filename).write_text(content)
        git(self.work, "add", filename)
        git(self.work, "commit", "-q", "-m", f"{branch}: {filename}", email=email)
        git(self.work, "push", "-q", "-f", "origin", f"{branch}:{branch}")
        return git(self.work, "rev-parse", "HEAD")


@contextmanager
def open_world(tmp_path: Path) -> Iterator[World]:
    with LocalForge(tmp_path / "forge", token=TOKEN) as forge:
        bare = forge.repo_path("github.com", OWNER, REPO)
        bare.parent.mkdir(parents=True, exist_ok=True)
        subprocess.run(
            ["git", "init", "-q", "--bare", "-b", "main", str(bare)], check=True, timeout=30
        )
        work = tmp_path / "work"
        subprocess.run(
            ["git", "clone", "-q", str(bare), str(work)],
            check=True,
            timeout=30,
            capture_output=True,
        )
        git(work, "checkout", "-q", "-b", "main")
        (work / "README").write_text("nur\n")
        git(work, "add", "README")
        git(work, "commit", "-q", "-m", "init", email="maintainer@example.org", name="Maintainer")
        git(work, "push", "-q", "origin", "main")
        yield World(forge, bare, work)


def make_client(
    world: World, *, dry_run: bool = False, interval: float = 0.0, **settings: object
) -> ForgeClient:
    config = PullRequestConfig(write_interval=interval, **settings)  # type: ignore[arg-type]
    return ForgeClient(
        api_url=world.forge.api_url,
        repository=f"{OWNER}/{REPO}",
        tokens=StaticToken(TOKEN),
        pull_requests=config,
        dry_run=dry_run,
        retry=build_retry(backoff_factor=0.0, secondary_rate_wait=1.0, max_rate_limit_wait=5.0),
        timeout=10,
    )


def situation(
    pulls: PullRequests, world: World, name: str, declined: frozenset[str] = frozenset()
) -> BranchSituation:
    """The branch's situation as delivery reads it: ownership from git, the rest from the forge."""
    state = branch_state(world.work, str(world.bare), pulls.branch(name), "main", [BOT_EMAIL])
    return pulls.situation(name, declined, ownership=state.ownership)
