"""Primary rate limit, X-RateLimit headers, ETags and conditional requests that cost nothing."""

from __future__ import annotations

import time

import httpx
from conftest import TOKEN, Upstream

from updater_sandbox.forge import LocalForge

R = "/repos/alice/proj"
Repo = tuple[Upstream, dict[str, str]]


def test_every_api_response_has_rate_limit_headers(
    api: httpx.Client, forge: LocalForge, gh_repo: Repo
) -> None:
    for path in (R, f"{R}/releases/latest", "/no/such/endpoint"):
        headers = api.get(path).headers
        for name in ("Limit", "Remaining", "Reset", "Used", "Resource"):
            assert f"X-RateLimit-{name}" in headers, (path, name)
    response = api.get(R)
    assert response.headers["X-RateLimit-Resource"] == "core"
    assert int(response.headers["X-RateLimit-Used"]) == int(
        response.headers["X-RateLimit-Limit"]
    ) - int(response.headers["X-RateLimit-Remaining"])


def test_conditional_request_304_does_not_consume(
    api: httpx.Client, forge: LocalForge, gh_repo: Repo
) -> None:
    first = api.get(f"{R}/tags")
    etag = first.headers["ETag"]
    remaining = int(first.headers["X-RateLimit-Remaining"])
    again = api.get(f"{R}/tags", headers={"If-None-Match": etag})
    assert again.status_code == 304
    assert again.content == b""
    assert again.headers["ETag"] == etag
    assert int(again.headers["X-RateLimit-Remaining"]) == remaining
    assert forge.rate_limit.core.remaining == remaining
    assert forge.requests[-1].was_304 and forge.requests[-1].cost == 0
    # A changed resource has a new ETag and costs again.
    forge.add_release("github.com", "alice", "proj", "v1.0")
    changed = api.get(f"{R}/releases", headers={"If-None-Match": etag})
    assert changed.status_code == 200
    assert int(changed.headers["X-RateLimit-Remaining"]) == remaining - 1


def test_etags_differ_per_token(forge: LocalForge, gh_repo: Repo) -> None:
    headers = {"Authorization": f"token {TOKEN}"}
    etag = httpx.get(f"{forge.api_url}{R}/tags", headers=headers).headers["ETag"]
    forge_token = httpx.post(
        f"{forge.api_url}/app/installations/1/access_tokens",
        headers={"Authorization": "Bearer a.b.c"},
    ).json()["token"]
    other = httpx.get(
        f"{forge.api_url}{R}/tags",
        headers={"Authorization": f"token {forge_token}", "If-None-Match": etag},
    )
    assert other.status_code == 200


def test_primary_limit_exhausted_gives_403_until_reset(
    api: httpx.Client, forge: LocalForge, gh_repo: Repo
) -> None:
    reset = int(time.time()) + 120
    forge.rate_limit.core.set(remaining=0, reset=reset)
    response = api.get(R)
    assert response.status_code == 403
    assert response.headers["X-RateLimit-Remaining"] == "0"
    assert response.headers["X-RateLimit-Reset"] == str(reset)
    assert "rate limit" in response.json()["message"]
    # rate_limit itself stays answerable and free.
    overview = api.get("/rate_limit").json()
    assert overview["resources"]["core"]["remaining"] == 0 and overview["rate"]["reset"] == reset
    # Once the reset time has passed, the window refills.
    forge.rate_limit.core.reset = int(time.time()) - 1
    assert api.get(R).status_code == 200
    assert forge.rate_limit.core.remaining == forge.rate_limit.core.limit - 1


def test_exhaust_helper_and_restore(api: httpx.Client, forge: LocalForge, gh_repo: Repo) -> None:
    forge.rate_limit.exhaust("core", reset_in=30)
    assert api.get(R).status_code == 403
    forge.rate_limit.reset()
    assert api.get(R).status_code == 200


def test_rate_limit_counts_down_per_request(
    api: httpx.Client, forge: LocalForge, gh_repo: Repo
) -> None:
    forge.rate_limit.core.set(limit=10, remaining=2)
    assert api.get(R).headers["X-RateLimit-Remaining"] == "1"
    assert api.get(R).headers["X-RateLimit-Remaining"] == "0"
    assert api.get(R).status_code == 403
