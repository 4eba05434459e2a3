"""Fault knobs: latency, 5xx, 403/429 with Retry-After, secondary limits, dropped connections."""

from __future__ import annotations

import time

import httpx
import pytest
from conftest import TOKEN, Upstream

from updater_sandbox.forge import LocalForge

R = "/repos/alice/proj"
Repo = tuple[Upstream, dict[str, str]]


def test_latency_is_added_to_every_request(
    api: httpx.Client, forge: LocalForge, gh_repo: Repo
) -> None:
    forge.faults.latency = 0.3
    start = time.monotonic()
    api.get(R)
    assert time.monotonic() - start >= 0.3
    forge.faults.reset()
    assert forge.faults.latency == 0


@pytest.mark.parametrize("status", [500, 502, 503])
def test_fail_next_n(api: httpx.Client, forge: LocalForge, gh_repo: Repo, status: int) -> None:
    forge.faults.fail_next(2, status=status)
    assert [api.get(R).status_code for _ in range(3)] == [status, status, 200]


def test_fail_next_only_under_path_prefix(
    api: httpx.Client, forge: LocalForge, gh_repo: Repo
) -> None:
    forge.faults.fail_next(1, status=502, path_prefix="/api/graphql")
    assert api.get(R).status_code == 200
    assert api.post(forge.graphql_url, json={"query": "{ rateLimit { cost } }"}).status_code == 502
    assert api.post(forge.graphql_url, json={"query": "{ rateLimit { cost } }"}).status_code == 200


@pytest.mark.parametrize("status", [403, 429])
def test_rate_limited_with_retry_after(
    api: httpx.Client, forge: LocalForge, gh_repo: Repo, status: int
) -> None:
    forge.faults.rate_limit_next(1, status=status, retry_after=7)
    response = api.get(R)
    assert response.status_code == status
    assert response.headers["Retry-After"] == "7"
    assert "X-RateLimit-Remaining" in response.headers
    assert api.get(R).status_code == 200


def test_secondary_rate_limit(api: httpx.Client, forge: LocalForge, gh_repo: Repo) -> None:
    forge.faults.secondary_limit_next(1, retry_after=61)
    response = api.post(f"{R}/issues", json={"title": "x"})
    assert response.status_code == 403
    assert response.json()["message"].startswith("You have exceeded a secondary rate limit")
    assert response.headers["Retry-After"] == "61"
    assert response.headers["X-RateLimit-Remaining"] != "0"
    assert forge.state.issues(("github.com", "alice", "proj")) == []


def test_drop_connections(api: httpx.Client, forge: LocalForge, gh_repo: Repo) -> None:
    forge.faults.drop_next(2)
    for _ in range(2):
        with pytest.raises(httpx.RemoteProtocolError):
            httpx.get(f"{forge.api_url}{R}")
    assert api.get(R).status_code == 200


def test_drop_applies_to_git_too(forge: LocalForge, gh_repo: Repo, git_env: dict[str, str]) -> None:
    import subprocess

    forge.faults.drop_next(1, path_prefix="/github.com/")
    failed = subprocess.run(
        ["git", "ls-remote", "https://github.com/alice/proj"],
        env=git_env,
        capture_output=True,
        timeout=30,
        check=False,
    )
    assert failed.returncode != 0
    ok = subprocess.run(
        ["git", "ls-remote", "https://github.com/alice/proj"],
        env=git_env,
        capture_output=True,
        timeout=30,
        check=False,
    )
    assert ok.returncode == 0


def test_reset_disarms_everything(api: httpx.Client, forge: LocalForge, gh_repo: Repo) -> None:
    forge.faults.fail_next(5)
    forge.faults.drop_next(5)
    forge.faults.rate_limit_next(5)
    assert forge.faults.pending() == 15
    forge.faults.reset()
    assert forge.faults.pending() == 0
    assert api.get(R).status_code == 200


# per repository --------------------------------------------------------------------------------
_ONE = "query($o: String!, $n: String!) { r: repository(owner: $o, name: $n) { name } }"
_TWO = (
    'query { a: repository(owner: "alice", name: "proj") { name } '
    'b: repository(name: "other", owner: "bob") { name } }'
)


def _graphql(api: httpx.Client, forge: LocalForge, query: str, **variables: str) -> httpx.Response:
    return api.post(forge.graphql_url, json={"query": query, "variables": variables})


def test_repo_down_answers_every_request_naming_it(
    api: httpx.Client, forge: LocalForge, gh_repo: Repo
) -> None:
    forge.faults.repo_down("alice", "proj", status=503)
    assert api.get(R).status_code == 503
    assert _graphql(api, forge, _ONE, o="alice", n="proj").status_code == 503
    assert _graphql(api, forge, _TWO).status_code == 503  # literals, either argument order
    assert _graphql(api, forge, _ONE, o="alice", n="else").status_code == 200
    assert api.get("/repos/alice/else").status_code == 404  # another repository is answered
    assert forge.requests[-2].repos == frozenset({"alice/else"})
    forge.faults.clear_repo("alice", "proj")
    assert api.get(R).status_code == 200


def test_repo_rate_limited_until_its_reset(
    api: httpx.Client, forge: LocalForge, gh_repo: Repo
) -> None:
    window = forge.faults.repo_rate_limited("alice", "proj", reset_in=1)
    assert window.reset is None  # opened by the first request naming the repository
    rest = api.get(R)
    assert window.reset is not None
    assert rest.status_code == 403
    assert rest.headers["X-RateLimit-Remaining"] == "0"
    assert rest.headers["X-RateLimit-Reset"] == str(window.reset)
    graphql = _graphql(api, forge, _ONE, o="alice", n="proj")
    assert graphql.status_code == 200 and graphql.json()["errors"][0]["type"] == "RATE_LIMITED"
    assert graphql.headers["X-RateLimit-Reset"] == str(window.reset)
    time.sleep(max(0.0, (window.reset or 0) - time.time()) + 0.05)
    assert api.get(R).status_code == 200


def test_repo_retry_after_and_drop_for_n_requests(
    api: httpx.Client, forge: LocalForge, gh_repo: Repo
) -> None:
    forge.faults.repo_retry_after("alice", "proj", seconds=3, n=1)
    limited = api.get(R)
    assert limited.status_code == 429 and limited.headers["Retry-After"] == "3"
    assert api.get(R).status_code == 200
    forge.faults.repo_drop("alice", "proj", n=1)
    with pytest.raises(httpx.RemoteProtocolError):
        httpx.get(f"{forge.api_url}{R}", headers={"Authorization": f"token {TOKEN}"})
    assert api.get(R).status_code == 200
