"""The forge's event feeds and ref snapshots: what git does shows up, conditional polls are free."""

from __future__ import annotations

import subprocess
from typing import Any

import httpx
import pytest
from conftest import TOKEN, Upstream, run_git
from openapi_check import spec_available, validate_response

from updater_sandbox.forge import LocalForge


def _feed(api: httpx.Client, path: str, etag: str | None = None) -> httpx.Response:
    headers = {"If-None-Match": etag} if etag else {}
    return api.get(path, headers=headers, params={"per_page": 100})


def _fits(path: str, body: Any) -> None:
    if spec_available():
        assert validate_response("GET", path, 200, body) == []


def test_pushes_tags_deletions_and_releases_become_events_in_githubs_shape(
    api: httpx.Client, forge: LocalForge, gh_repo: tuple[Upstream, dict[str, str]]
) -> None:
    up, shas = gh_repo
    assert _feed(api, "/repos/alice/proj/events").json() == []  # first sight: the baseline
    new = up.commit("fourth", {"README": "four\n"}, "2024-04-01T10:00:00Z")
    up.tag("v3.0")
    up.push("main", "v3.0")
    up.git("push", "-q", "origin", "--delete", "feature")
    forge.add_release("github.com", "alice", "proj", "v3.0", body="notes")
    forge.add_release("github.com", "alice", "proj", "v4-draft", draft=True)

    events = _feed(api, "/repos/alice/proj/events").json()
    _fits("/repos/alice/proj/events", events)
    by_type = {e["type"]: e for e in events}
    assert [e["type"] for e in events] == [
        "ReleaseEvent",
        "DeleteEvent",
        "PushEvent",
        "CreateEvent",
    ]
    assert by_type["PushEvent"]["payload"]["before"] == shas["c3"]
    assert by_type["PushEvent"]["payload"]["head"] == new
    assert by_type["CreateEvent"]["payload"]["ref"] == "v3.0"
    assert by_type["CreateEvent"]["payload"]["ref_type"] == "tag"
    assert by_type["DeleteEvent"]["payload"]["full_ref"] == "refs/heads/feature"
    assert by_type["ReleaseEvent"]["payload"]["release"]["tag_name"] == "v3.0"
    assert all(e["repo"]["name"] == "alice/proj" for e in events)
    ids = [int(e["id"]) for e in events]
    assert ids == sorted(ids, reverse=True)


def test_a_conditional_poll_with_nothing_new_is_a_free_304(
    api: httpx.Client, forge: LocalForge, gh_repo: tuple[Upstream, dict[str, str]]
) -> None:
    up, _ = gh_repo
    first = _feed(api, "/repos/alice/proj/events")
    assert first.headers["X-Poll-Interval"] == "60"
    etag = first.headers["ETag"]
    used = forge.rate_limit.core.used
    again = _feed(api, "/repos/alice/proj/events", etag)
    assert again.status_code == 304
    assert forge.rate_limit.core.used == used
    # A tag written by plain git, behind the forge's back, is seen on the next poll.
    run_git(up.env, None, "--git-dir", str(up.bare), "tag", "v9.9", "main")
    changed = _feed(api, "/repos/alice/proj/events", etag)
    assert changed.status_code == 200
    assert forge.rate_limit.core.used == used + 1
    assert changed.json()[0]["payload"]["full_ref"] == "refs/tags/v9.9"
    assert changed.headers["ETag"] != etag


def test_organization_and_user_feeds_cover_what_github_covers(
    api: httpx.Client, forge: LocalForge, upstream_factory: Any
) -> None:
    forge.add_organization("acme")
    repos = [upstream_factory("github.com", "acme", n) for n in ("a", "b")]
    solo = upstream_factory("github.com", "bob", "solo")
    for up in [*repos, solo]:
        up.commit("one", {"f": "1\n"}, "2024-01-01T00:00:00Z")
        up.push("main")
    # Baselines, then one change in each repository.
    _feed(api, "/orgs/acme/events")
    _feed(api, "/users/bob/events")
    for up in [*repos, solo]:
        up.tag("v1")
        up.push("v1")
    forge.add_release("github.com", "acme", "b", "v1")
    forge.add_release("github.com", "bob", "solo", "v1")  # published by the bot, not by bob

    org = _feed(api, "/orgs/acme/events").json()
    _fits("/orgs/acme/events", org)
    assert {(e["type"], e["repo"]["name"]) for e in org} == {
        ("CreateEvent", "acme/a"),
        ("CreateEvent", "acme/b"),
        ("ReleaseEvent", "acme/b"),
    }
    assert all(e["org"]["login"] == "acme" for e in org)
    user = _feed(api, "/users/bob/events").json()
    _fits("/users/bob/events", user)
    assert [(e["type"], e["actor"]["login"]) for e in user] == [("CreateEvent", "bob")]
    assert _feed(api, "/orgs/bob/events").status_code == 404
    assert _feed(api, "/repos/acme/missing/events").status_code == 404


def test_refs_written_right_after_a_read_are_never_served_stale(
    api: httpx.Client, forge: LocalForge, gh_repo: tuple[Upstream, dict[str, str]]
) -> None:
    up, shas = gh_repo
    for i in range(5):
        before = {t["name"] for t in api.get("/repos/alice/proj/tags").json()}
        run_git(up.env, None, "--git-dir", str(up.bare), "tag", f"quick{i}", shas["c1"])
        after = {t["name"] for t in api.get("/repos/alice/proj/tags").json()}
        assert after == before | {f"quick{i}"}
    # Moving a branch in place (same file, same size) within the same second is seen too.
    for sha in (shas["c1"], shas["c2"], shas["c3"]):
        subprocess.run(
            ["git", "--git-dir", str(up.bare), "update-ref", "refs/heads/main", sha],
            check=True, timeout=30,
        )  # fmt: skip
        assert api.get("/repos/alice/proj/branches/main").json()["commit"]["sha"] == sha


def test_graphql_tells_organizations_from_users(
    api: httpx.Client, forge: LocalForge, upstream_factory: Any
) -> None:
    forge.add_organization("acme")
    upstream_factory("github.com", "bob", "solo")
    query = (
        '{ a: repositoryOwner(login: "acme") { __typename login } '
        'b: repositoryOwner(login: "bob") { __typename } '
        'c: repositoryOwner(login: "nobody") { __typename } }'
    )
    data = httpx.post(
        forge.graphql_url, json={"query": query}, headers={"Authorization": f"bearer {TOKEN}"}
    ).json()["data"]
    assert data == {
        "a": {"__typename": "Organization", "login": "acme"},
        "b": {"__typename": "User"},
        "c": None,
    }


@pytest.mark.skipif(not spec_available(), reason="@octokit/openapi not installed")
def test_event_check_rejects_a_payload_of_another_type() -> None:
    actor = {
        "id": 1,
        "login": "a",
        "gravatar_id": "",
        "url": "https://api.github.com/users/a",
        "avatar_url": "https://avatars.githubusercontent.com/u/1",
    }
    event = {
        "id": "1",
        "type": "PushEvent",
        "actor": actor,
        "repo": {"id": 1, "name": "a/b", "url": "https://api.github.com/repos/a/b"},
        "payload": {
            "ref": "v1",
            "ref_type": "tag",
            "full_ref": "refs/tags/v1",
            "pusher_type": "user",
        },
        "public": True,
        "created_at": "2025-01-01T00:00:00Z",
    }
    assert validate_response("GET", "/repos/a/b/events", 200, [event])
    event["type"] = "DeleteEvent"
    assert validate_response("GET", "/repos/a/b/events", 200, [event]) == []
