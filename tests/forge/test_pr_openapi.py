"""Every request the forge layer sends is one GitHub describes: method, path, query, JSON body."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from forge_helpers import OWNER, REPO, World, situation

from updater.config import PullRequestConfig
from updater.forge.auth import AppTokenProvider
from updater.forge.client import ForgeClient, build_retry
from updater.forge.dashboard import Dashboard
from updater.forge.lifecycle import PERSON_PUSHED_MARKER, decide
from updater.forge.models import (
    DashboardData,
    FailureEntry,
    OutdatedPackage,
    PinChange,
    ProposedUpdate,
    ReleaseLinks,
    VerificationStep,
)
from updater.forge.pulls import PullRequests

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "sandbox"))
import openapi_check

pytestmark = pytest.mark.skipif(
    not openapi_check.spec_available(), reason="GitHub's OpenAPI description is not installed"
)


def _resolve(node: dict[str, Any]) -> dict[str, Any]:
    spec = openapi_check._spec()
    while "$ref" in node:
        target: Any = spec
        for part in node["$ref"].removeprefix("#/").split("/"):
            target = target[part]
        node = target
    return node


def query_problems(method: str, path: str, query: dict[str, list[str]]) -> list[str]:
    op = openapi_check.find_operation(method, path)
    if op is None:
        return []  # reported by validate_request
    params = [_resolve(p) for p in op.spec.get("parameters", [])]
    known = {p["name"] for p in params if p.get("in") == "query"}
    problems = [
        f"{method} {op.template}: unknown query parameter {name!r}"
        for name in query
        if name not in known
    ]
    for param in params:
        if (
            param.get("in") == "query"
            and param["name"] in query
            and "enum" in param.get("schema", {})
        ):
            for value in query[param["name"]]:
                if value not in param["schema"]["enum"]:
                    problems.append(
                        f"{method} {op.template}: {param['name']}={value!r} not in {param['schema']['enum']}"
                    )
    return problems


def proposal(new: str) -> ProposedUpdate:
    return ProposedUpdate(
        name="foo",
        old_version="1.0",
        new_version=new,
        packages=("foo", "foo-cli"),
        pins=(PinChange("pkgs/acme/foo.nix", 4, "rev", "a" * 40, "b" * 40),),
        links=ReleaseLinks(release="https://github.com/up/foo/releases/tag/v" + new),
        release_notes="thanks @alice, fixes #3",
        verification=(VerificationStep("nix-build -A foo", True),),
    )


def test_full_sequence_fits_githubs_description(world: World) -> None:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    pem = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    ).decode()
    tokens = AppTokenProvider(
        app_id=1, private_key=pem, api_url=world.forge.api_url, repository=f"{OWNER}/{REPO}"
    )
    settings = PullRequestConfig(
        write_interval=0,
        labels=["dependencies"],
        reviewers=["maintainer", "acme/nix"],
        assignees=["maintainer"],
    )
    client = ForgeClient(
        api_url=world.forge.api_url,
        repository=f"{OWNER}/{REPO}",
        tokens=tokens,
        pull_requests=settings,
        retry=build_retry(backoff_factor=0),
    )
    pulls = PullRequests(client)
    pulls.seed_budget()

    # open
    world.commit_on("updater/foo", "foo", "1.1")
    assert [a.kind for a in decide(situation(pulls, world, "foo"), proposal("1.1"))] == ["open"]
    number = pulls.open(proposal("1.1"))
    assert number is not None
    # update + comment
    world.commit_on("updater/foo", "foo", "1.2", force=True)
    (update,) = decide(situation(pulls, world, "foo"), proposal("1.2"))
    pulls.update(number, proposal("1.2"))
    pulls.comment(number, update.comment or "")
    # a person pushes: the once-only comment
    world.commit_on("updater/foo", "fix", "hand", email="alice@example.org")
    first = decide(situation(pulls, world, "foo"), proposal("1.3"))
    pulls.comment(number, first[0].comment or PERSON_PUSHED_MARKER)
    # dashboard, created then updated in place
    dashboard = Dashboard(client)
    dashboard.publish(
        DashboardData(outdated=(OutdatedPackage("foo", "1.0", "1.3"),), next_run=None)
    )
    dashboard.publish(DashboardData(failures=(FailureEntry("bar", "build failed @x"),)))
    # closed, merged, branch deleted
    world.commit_on("updater/bar", "bar", "2")
    bar = pulls.open(ProposedUpdate(name="bar", old_version="1", new_version="2"))
    assert bar is not None
    pulls.close(bar)
    world.forge.merge_pull(OWNER, REPO, number)
    merged = pulls.for_branch("updater/foo")[-1]
    assert pulls.delete_branch("updater/foo", expected_sha=merged.head_sha)
    pulls.bot_pulls()

    requests = [r for r in world.forge.requests if r.path.startswith("/api/v3/")]
    sent = {
        f"{r.method} {openapi_check.find_operation(r.method, r.path).template}" for r in requests
    }  # type: ignore[union-attr]
    for expected in (
        "GET /repos/{owner}/{repo}/installation",
        "POST /app/installations/{installation_id}/access_tokens",
        "POST /repos/{owner}/{repo}/pulls",
        "PATCH /repos/{owner}/{repo}/pulls/{pull_number}",
        "POST /repos/{owner}/{repo}/issues/{issue_number}/comments",
        "POST /repos/{owner}/{repo}/issues/{issue_number}/labels",
        "POST /repos/{owner}/{repo}/pulls/{pull_number}/requested_reviewers",
        "POST /repos/{owner}/{repo}/issues/{issue_number}/assignees",
        "POST /repos/{owner}/{repo}/issues",
        "PATCH /repos/{owner}/{repo}/issues/{issue_number}",
        "GET /repos/{owner}/{repo}/pulls",
        "GET /repos/{owner}/{repo}/issues/{issue_number}/comments",
        "DELETE /repos/{owner}/{repo}/git/refs/{ref}",
    ):
        assert expected in sent, expected
    # Whose commits are on a branch is read from git, never from the compare endpoint.
    assert "GET /repos/{owner}/{repo}/compare/{basehead}" not in sent
    problems: list[str] = []
    for r in requests:
        problems += openapi_check.validate_request(r.method, r.path, r.json)
        problems += query_problems(r.method, r.path, r.query)
        assert 200 <= r.status < 300, (r.method, r.path, r.status)
    assert problems == []


def test_query_check_catches_a_wrong_parameter() -> None:
    assert query_problems("GET", "/api/v3/repos/o/r/pulls", {"state": ["everything"]})
    assert query_problems("GET", "/api/v3/repos/o/r/pulls", {"heads": ["x"]})
    assert not query_problems("GET", "/api/v3/repos/o/r/pulls", {"state": ["all"], "head": ["o:b"]})
