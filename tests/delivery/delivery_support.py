"""Helpers of the delivery tests (a module with a unique name): the bot run the way `updater run`
runs it (sync, engine, deliver) on the world's fixture NUR, and the forge's state read directly
(not through HTTP, so the recorded requests are the bot's alone)."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from updater.config import Config, Endpoints, Secrets, parse_config
from updater.context import AppContext
from updater.delivery import DeliveryReport
from updater.engine.result import UpdateResult
from updater.pipeline.run import PipelineRequest, run_pipeline
from updater.pipeline.step import EngineStep
from updater_sandbox.forge.state import ForgeComment, ForgeIssue, ForgePull
from updater_sandbox.world import World

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "sandbox"))
import openapi_check

NUR = ("github.com", "nur-owner", "nur")
BOT_EMAIL = "updater[bot]@users.noreply.github.com"


@contextmanager
def world_environment(w: World) -> Iterator[None]:
    """os.environ as the world's processes see it (the engine's git, Nix and HTTP read it)."""
    saved = dict(os.environ)
    os.environ.clear()
    os.environ.update(w.process_env())
    try:
        yield
    finally:
        os.environ.clear()
        os.environ.update(saved)


def make_config(w: World, state: Path, **pull_requests: Any) -> Config:
    settings: dict[str, Any] = {"write_interval": 0.05, "reviewers": ["maintainer"]}
    settings.update(pull_requests)
    return parse_config(
        {
            "state": {"url": f"sqlite:///{state}"},
            "forges": {
                "codeberg.org": {"type": "forgejo", "api_url": f"{w.forge.url}/api/v1"},
                "gitlab.com": {"type": "gitlab", "api_url": f"{w.forge.url}/api/v4"},
            },
            "pull_requests": settings,
        },
        "test",
    )


@dataclass
class Bot:
    """The bot on the world's NUR (`w.nur_path`, origin github.com/nur-owner/nur)."""

    world: World
    state: Path
    settings: dict[str, Any] = field(default_factory=dict)

    @property
    def repo(self) -> Path:
        return self.world.nur_path

    def context(self) -> AppContext:
        config = make_config(self.world, self.state, **self.settings)
        env = self.world.env
        return AppContext(
            repo=self.repo,
            config=config,
            config_path=None,
            secrets=Secrets.from_env(env),
            endpoints=Endpoints.resolve(config, env),
        )

    def run(
        self, *packages: str, dry_run: bool = False, delivery_errors: bool = False
    ) -> tuple[list[UpdateResult], DeliveryReport]:
        """What `updater run [--package P]... [--dry-run]` does: the pipeline (check, engine,
        delivery: sync, push, PRs, dashboard)."""
        ctx = self.context()
        step = EngineStep(ctx, dry_run=dry_run, jobs=2, complete=not packages)
        with world_environment(self.world):
            run = run_pipeline(ctx, PipelineRequest(packages, scheduled=True), step)
        results, report = list(run.results), run.delivery
        assert report is not None
        # Every run in these tests delivers without a push or forge error, unless told.
        if not delivery_errors:
            assert report.errors == (), [u.describe() for u in report.errors]
        return results, report


# -- the forge, read directly ----------------------------------------------------------------


def pulls(w: World) -> list[ForgePull]:
    return w.forge.state.locked(NUR, lambda d: sorted(d.pulls.values(), key=lambda p: p.number))


def issue(w: World, number: int) -> ForgeIssue:
    return w.forge.state.locked(NUR, lambda d: d.issues[number])


def open_pulls(w: World) -> dict[str, ForgePull]:
    """head branch -> open PR."""
    return {p.head_ref: p for p in pulls(w) if issue(w, p.number).state == "open"}


def comments(w: World, number: int) -> list[ForgeComment]:
    return w.forge.state.locked(NUR, lambda d: [c for c in d.comments if c.issue_number == number])


def dashboards(w: World) -> list[ForgeIssue]:
    return w.forge.state.locked(
        NUR,
        lambda d: [
            i
            for i in d.issues.values()
            if not i.is_pull and "<!-- updater-dashboard -->" in (i.body or "")
        ],
    )


def remote_sha(w: World, branch: str) -> str | None:
    out = git(w, w.nur_remote_path, "rev-parse", "--verify", "--quiet", f"refs/heads/{branch}")
    return out or None


def git(w: World, cwd: Path, *args: str, email: str = "alice@example.org") -> str:
    env = {
        **w.process_env(),
        "GIT_AUTHOR_NAME": "Alice",
        "GIT_AUTHOR_EMAIL": email,
        "GIT_COMMITTER_NAME": "Alice",
        "GIT_COMMITTER_EMAIL": email,
    }
    done = subprocess.run(
        ["git", *args], cwd=cwd, env=env, capture_output=True, text=True, timeout=60, check=False
    )
    return done.stdout.strip()


def person_pushes(w: World, tmp: Path, branch: str) -> str:
    """Alice clones the forge's repository and pushes a commit of hers on top of `branch`."""
    work = tmp / "alice"
    subprocess.run(
        ["git", "clone", "-q", "-b", branch, w.nur_clone_url, str(work)],
        env=w.process_env(),
        check=True,
        timeout=60,
        capture_output=True,
    )
    (work / "NOTES.md").write_text("a fix by hand\n")
    git(w, work, "add", "NOTES.md")
    git(w, work, "commit", "-q", "-m", "hand fix")
    git(w, work, "push", "-q", "origin", f"HEAD:refs/heads/{branch}")
    return git(w, work, "rev-parse", "HEAD")


# -- the requests the bot sent ---------------------------------------------------------------


def api_requests(w: World) -> list[Any]:
    return [r for r in w.forge.requests if r.path.startswith("/api/v3/")]


def writes(w: World) -> list[Any]:
    """Every write the bot sent: REST writes and git pushes (receive-pack)."""
    return [
        r
        for r in w.forge.requests
        if (
            r.path.startswith("/api/")
            and r.method in ("POST", "PATCH", "PUT", "DELETE")
            and not r.path.startswith("/api/graphql")
        )
        or r.path.endswith("/git-receive-pack")
    ]


def check_requests_against_openapi(w: World) -> int:
    """Every REST request the bot sent fits GitHub's description; the number checked."""
    if not openapi_check.spec_available():
        pytest.skip("GitHub's OpenAPI description is not installed (npm ci --prefix tests/openapi)")
    problems: list[str] = []
    checked = api_requests(w)
    for r in checked:
        problems += openapi_check.validate_request(r.method, r.path, r.json)
    assert problems == [], problems[:10]
    return len(checked)
