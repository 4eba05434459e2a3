"""Faithfulness: every JSON body of every implemented GitHub REST operation fits GitHub's OpenAPI.

The description comes from the npm package @octokit/openapi (tests/openapi, `npm ci`). Each
operation is exercised against a repository with real history; every recorded response is
validated, and the test fails if any route of the forge was not exercised.
"""

from __future__ import annotations

import re
from typing import Any

import httpx
import pytest
from conftest import TOKEN, Upstream
from openapi_check import spec_available, validate_request, validate_response

from updater_sandbox.forge import LocalForge
from updater_sandbox.forge.http import Router

pytestmark = pytest.mark.skipif(
    not spec_available(),
    reason="@octokit/openapi not installed: run `npm ci --prefix tests/openapi`",
)

# Legacy forms GitHub still serves but no longer describes: validate as their documented twins.
LEGACY = [
    (re.compile(r"(/repos/[^/]+/[^/]+)/git/refs\Z"), r"\1/git/matching-refs/heads"),
    (re.compile(r"(/repos/[^/]+/[^/]+)/git/refs/(heads|tags)\Z"), r"\1/git/matching-refs/\2"),
    (re.compile(r"(/repos/[^/]+/[^/]+)/git/refs/(.+)\Z"), r"\1/git/ref/\2"),
]


def _documented(method: str, path: str) -> str:
    if method == "GET":
        for rx, repl in LEGACY:
            if rx.search(path):
                return rx.sub(repl, path)
    return path


def exercise(api: httpx.Client, forge: LocalForge, up: Upstream, shas: dict[str, str]) -> None:
    """Call every implemented operation at least once, with realistic arguments."""
    forge.add_release("github.com", "alice", "proj", "v1.0", body="notes")
    forge.add_release("github.com", "alice", "proj", "v1.1")
    forge.add_release("github.com", "alice", "proj", "v2.0-rc1", prerelease=True)
    forge.add_release("github.com", "alice", "proj", "v3-draft", draft=True)
    forge.add_asset("github.com", "alice", "proj", "v1.1", "tool.tar.gz", b"x" * 10)
    r = "/repos/alice/proj"

    def call(method: str, path: str, status: int, json: Any = None) -> httpx.Response:
        response = api.request(method, path, json=json)
        assert response.status_code == status, (method, path, response.text)
        return response

    call("GET", "/rate_limit", 200)
    call("GET", "/user", 200)
    call("GET", r, 200)
    call("GET", f"{r}/installation", 200)
    releases = call("GET", f"{r}/releases", 200).json()
    call("GET", f"{r}/releases?per_page=1&page=2", 200)
    call("GET", f"{r}/releases/latest", 200)
    call("GET", f"{r}/releases/tags/v1.1", 200)
    call("GET", f"{r}/releases/{releases[0]['id']}", 200)
    call("GET", f"{r}/releases/tags/none", 404)
    call("GET", f"{r}/tags", 200)
    call("GET", f"{r}/git/ref/tags/v1.0", 200)
    call("GET", f"{r}/git/ref/heads/main", 200)
    call("GET", f"{r}/git/matching-refs/tags/v", 200)
    call("GET", f"{r}/git/refs", 200)
    call("GET", f"{r}/git/refs/tags", 200)
    call("GET", f"{r}/git/refs/heads/main", 200)
    call("POST", f"{r}/git/refs", 201, {"ref": "refs/heads/tmp", "sha": shas["c2"]})
    call("PATCH", f"{r}/git/refs/heads/tmp", 200, {"sha": shas["c3"]})
    call("DELETE", f"{r}/git/refs/heads/tmp", 204)
    call("GET", f"{r}/branches", 200)
    call("GET", f"{r}/branches/main", 200)
    call("GET", f"{r}/commits?per_page=2", 200)
    call("GET", f"{r}/commits/{shas['c3']}", 200)
    call("GET", f"{r}/commits/{shas['c1']}", 200)
    call("GET", f"{r}/compare/v1.0...main", 200)
    call("GET", f"{r}/compare/main...feature", 200)
    call("GET", f"{r}/labels", 200)
    call(
        "POST",
        f"{r}/labels",
        201,
        {"name": "dependencies", "color": "0366d6", "description": "Pin updates"},
    )
    pull = call(
        "POST",
        f"{r}/pulls",
        201,
        {"title": "Update feature", "head": "feature", "base": "main", "body": "b"},
    ).json()
    n = pull["number"]
    call("GET", f"{r}/pulls?state=open&head=alice:feature", 200)
    call("GET", f"{r}/pulls/{n}", 200)
    call("PATCH", f"{r}/pulls/{n}", 200, {"title": "Update feature (retitled)", "body": "new body"})
    call("POST", f"{r}/pulls/{n}/requested_reviewers", 201, {"reviewers": ["maintainer"]})
    call("POST", f"{r}/issues/{n}/labels", 200, {"labels": ["dependencies"]})
    call("PUT", f"{r}/issues/{n}/labels", 200, {"labels": ["dependencies", "automated"]})
    call("GET", f"{r}/issues/{n}/labels", 200)
    call("POST", f"{r}/issues/{n}/assignees", 201, {"assignees": ["maintainer"]})
    call("GET", f"{r}/pulls/{n}/merge", 404)
    call("PUT", f"{r}/pulls/{n}/merge", 200, {"merge_method": "merge"})
    call("GET", f"{r}/pulls/{n}/merge", 204)
    call("GET", f"{r}/pulls/{n}", 200)
    issue = call(
        "POST",
        f"{r}/issues",
        201,
        {"title": "Dependency dashboard", "body": "x", "labels": ["dependencies"]},
    ).json()
    i = issue["number"]
    call("GET", f"{r}/issues?state=all&labels=dependencies&creator=github-actions%5Bbot%5D", 200)
    call("GET", f"{r}/issues/{i}", 200)
    call("PATCH", f"{r}/issues/{i}", 200, {"body": "updated", "state": "closed"})
    comment = call("POST", f"{r}/issues/{i}/comments", 201, {"body": "hello"}).json()
    call("GET", f"{r}/issues/{i}/comments", 200)
    call("GET", f"{r}/issues/comments/{comment['id']}", 200)
    call("PATCH", f"{r}/issues/comments/{comment['id']}", 200, {"body": "edited"})
    call("POST", f"{r}/pulls", 422, {"title": "same", "head": "feature", "base": "main"})
    token = httpx.post(
        f"{forge.api_url}/app/installations/1/access_tokens",
        headers={"Authorization": "Bearer aaa.bbb.ccc"},
    )
    assert token.status_code == 201
    # The closed-pull path: a second branch, a pull request, closed without merge.
    up.git("checkout", "-q", "-b", "other", shas["c1"])
    up.commit("other work", {"other.txt": "o\n"}, "2024-04-01T00:00:00Z")
    up.push("other")
    second = call(
        "POST", f"{r}/pulls", 201, {"title": "Other", "head": "alice:other", "base": "main"}
    ).json()
    call("PATCH", f"{r}/pulls/{second['number']}", 200, {"state": "closed"})
    call("GET", f"{r}/pulls?state=closed", 200)
    # Event feeds: the pushes, refs and releases above, then the same as an organization's.
    assert {e["type"] for e in call("GET", f"{r}/events?per_page=100", 200).json()} >= {
        "PushEvent", "CreateEvent", "DeleteEvent", "ReleaseEvent"
    }  # fmt: skip
    call("GET", "/users/alice/events", 200)
    call("GET", "/users/alice/events/public", 200)
    forge.add_organization("alice")
    call("GET", "/orgs/alice/events", 200)


@pytest.fixture(scope="module")
def spec_warm() -> None:
    validate_response("GET", "/rate_limit", 200, {})  # loads and indexes the description once


def test_every_github_response_fits_the_openapi_description(
    spec_warm: None, api: httpx.Client, forge: LocalForge, gh_repo: tuple[Upstream, dict[str, str]]
) -> None:
    up, shas = gh_repo
    forge.clear_requests()
    exercise(api, forge, up, shas)
    problems: list[str] = []
    checked = 0
    for rec in forge.requests:
        if not rec.path.startswith("/api/v3"):
            continue
        path = _documented(rec.method, rec.path)
        problems += validate_request(rec.method, path, rec.json)
        body = rec.response_json
        problems += validate_response(rec.method, path, rec.status, body)
        checked += 1
    assert checked > 50
    assert problems == [], "\n".join(problems)

    # Every route of the GitHub REST mount was exercised above, so none escapes the check.
    router: Router = forge._app().mounts[0].router
    seen = [
        (r.method, r.path.removeprefix("/api/v3"))
        for r in forge.requests
        if r.path.startswith("/api/v3")
    ]
    missing = [
        f"{route.method} {route.pattern.pattern}"
        for route in router.routes
        if not any(m == route.method and route.pattern.match(p) for m, p in seen)
    ]
    assert missing == []


def test_validator_catches_an_invented_shape() -> None:
    """The check itself must fail on bodies GitHub would never send."""
    assert validate_response("GET", "/repos/a/b/releases/latest", 200, {"tag_name": "v1"})
    assert validate_response(
        "GET",
        "/repos/a/b/git/ref/heads/main",
        200,
        {"ref": 1, "node_id": "x", "url": "u", "object": {}},
    )
    assert validate_request("POST", "/repos/a/b/pulls", {"title": "x"})
    assert validate_request("GET", "/repos/a/b/no-such-thing", None)
    assert validate_request("POST", "/repos/a/b/issues", {"title": "t", "labels": ["x"]}) == []


def test_unauthenticated_requests_are_refused(
    forge: LocalForge, gh_repo: tuple[Upstream, dict[str, str]]
) -> None:
    response = httpx.get(f"{forge.api_url}/repos/alice/proj")
    assert response.status_code == 401
    assert response.json()["message"] == "Bad credentials"
    ok = httpx.get(
        f"{forge.api_url}/repos/alice/proj", headers={"Authorization": f"Bearer {TOKEN}"}
    )
    assert ok.status_code == 200
