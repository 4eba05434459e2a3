"""GitHub REST behaviour the bot relies on: releases, refs, commits, pulls, issues, labels, auth."""

from __future__ import annotations

from datetime import UTC, datetime

import httpx
import pytest
from conftest import TOKEN, Upstream

from updater_sandbox.forge import LocalForge

R = "/repos/alice/proj"
Repo = tuple[Upstream, dict[str, str]]


def test_repository_facts_come_from_git(api: httpx.Client, gh_repo: Repo) -> None:
    body = api.get(R).json()
    assert body["full_name"] == "alice/proj"
    assert body["default_branch"] == "main"
    assert body["pushed_at"] == "2024-03-01T10:00:00Z"
    assert body["created_at"] == "2024-01-01T10:00:00Z"
    assert body["clone_url"] == "https://github.com/alice/proj.git"
    assert api.get("/repos/alice/missing").status_code == 404


def test_releases_latest_skips_drafts_and_prereleases(
    api: httpx.Client, forge: LocalForge, gh_repo: Repo
) -> None:
    forge.add_release("github.com", "alice", "proj", "v1.0")
    forge.add_release("github.com", "alice", "proj", "v1.1", name="One one")
    forge.add_release("github.com", "alice", "proj", "v2.0-rc1", prerelease=True)
    forge.add_release("github.com", "alice", "proj", "v9", draft=True)
    listed = api.get(f"{R}/releases").json()
    # Newest first by creation; the draft's tag does not exist yet, so it was created now.
    assert [r["tag_name"] for r in listed] == ["v9", "v2.0-rc1", "v1.1", "v1.0"]
    latest = api.get(f"{R}/releases/latest").json()
    assert (latest["tag_name"], latest["name"], latest["prerelease"], latest["draft"]) == (
        "v1.1",
        "One one",
        False,
        False,
    )
    # created_at is the tagged commit's date, as on GitHub.
    assert latest["created_at"] == "2024-02-01T10:00:00Z"
    assert api.get(f"{R}/releases/tags/v2.0-rc1").json()["prerelease"] is True
    draft = api.get(f"{R}/releases/tags/v9").json()
    assert draft["draft"] is True and draft["published_at"] is None


def test_release_published_at_is_settable(
    api: httpx.Client, forge: LocalForge, gh_repo: Repo
) -> None:
    when = datetime(2024, 5, 6, 7, 8, 9, tzinfo=UTC)
    release = forge.add_release(
        "github.com", "alice", "proj", "v1.0", published_at=when, body="notes"
    )
    assert release.published_at == when
    body = api.get(f"{R}/releases/tags/v1.0").json()
    assert (body["published_at"], body["body"]) == ("2024-05-06T07:08:09Z", "notes")


def test_latest_release_404_when_none(api: httpx.Client, gh_repo: Repo) -> None:
    assert api.get(f"{R}/releases/latest").status_code == 404


def test_pagination_link_header(api: httpx.Client, forge: LocalForge, gh_repo: Repo) -> None:
    for tag in ("v1.0", "v1.1", "v2.0-rc1"):
        forge.add_release("github.com", "alice", "proj", tag)
    first = api.get(f"{R}/releases", params={"per_page": 2})
    assert len(first.json()) == 2
    links = first.links
    assert "next" in links and "last" in links and "prev" not in links
    second = api.get(links["next"]["url"])
    assert len(second.json()) == 1
    assert "prev" in second.links and "next" not in second.links
    tags = {r["tag_name"] for r in first.json() + second.json()}
    assert tags == {"v1.0", "v1.1", "v2.0-rc1"}


def test_tags_and_refs(api: httpx.Client, gh_repo: Repo) -> None:
    up, shas = gh_repo
    tags = api.get(f"{R}/tags").json()
    assert [t["name"] for t in tags] == ["v2.0-rc1", "v1.1", "v1.0"]
    assert {t["name"]: t["commit"]["sha"] for t in tags}["v1.0"] == shas["c1"]
    ref = api.get(f"{R}/git/ref/tags/v1.0").json()
    assert ref["object"]["type"] == "tag" and ref["object"]["sha"] == up.sha("refs/tags/v1.0")
    light = api.get(f"{R}/git/ref/tags/v1.1").json()
    assert light["object"] == {**light["object"], "type": "commit", "sha": shas["c2"]}
    matching = api.get(f"{R}/git/matching-refs/tags/v1").json()
    assert [m["ref"] for m in matching] == ["refs/tags/v1.0", "refs/tags/v1.1"]
    assert api.get(f"{R}/git/ref/tags/nope").status_code == 404


def test_create_update_delete_refs(api: httpx.Client, gh_repo: Repo) -> None:
    up, shas = gh_repo
    assert (
        api.post(f"{R}/git/refs", json={"ref": "refs/heads/b", "sha": shas["c1"]}).status_code
        == 201
    )
    assert up.sha("refs/heads/b") == shas["c1"]
    assert (
        api.post(f"{R}/git/refs", json={"ref": "refs/heads/b", "sha": shas["c1"]}).status_code
        == 422
    )
    assert api.patch(f"{R}/git/refs/heads/b", json={"sha": shas["c3"]}).status_code == 200
    assert (
        api.patch(f"{R}/git/refs/heads/b", json={"sha": shas["c1"]}).status_code == 422
    )  # not a fast-forward
    assert (
        api.patch(f"{R}/git/refs/heads/b", json={"sha": shas["c1"], "force": True}).status_code
        == 200
    )
    assert api.delete(f"{R}/git/refs/heads/b").status_code == 204
    assert api.get(f"{R}/branches/b").status_code == 404
    assert api.delete(f"{R}/git/refs/heads/b").status_code == 422


def test_branches_commits_compare(api: httpx.Client, gh_repo: Repo) -> None:
    _, shas = gh_repo
    assert {b["name"]: b["commit"]["sha"] for b in api.get(f"{R}/branches").json()} == {
        "main": shas["c3"],
        "feature": shas["c4"],
    }
    assert api.get(f"{R}/branches/feature").json()["commit"]["commit"]["message"] == "feature work"
    commits = api.get(f"{R}/commits", params={"sha": "feature", "per_page": 2})
    assert [c["sha"] for c in commits.json()] == [shas["c4"], shas["c3"]]
    assert "next" in commits.links
    assert [c["sha"] for c in api.get(commits.links["next"]["url"]).json()] == [
        shas["c2"],
        shas["c1"],
    ]
    one = api.get(f"{R}/commits/v1.0").json()
    assert one["sha"] == shas["c1"]
    assert one["commit"]["committer"]["date"] == "2024-01-01T10:00:00Z"
    assert {f["filename"] for f in one["files"]} == {"README", "src/lib.txt"}
    cmp = api.get(f"{R}/compare/v1.0...feature").json()
    assert (cmp["status"], cmp["ahead_by"], cmp["behind_by"]) == ("ahead", 3, 0)
    assert [c["sha"] for c in cmp["commits"]] == [shas["c2"], shas["c3"], shas["c4"]]
    assert api.get(f"{R}/compare/feature...v1.0").json()["status"] == "behind"


def test_pull_request_lifecycle_with_real_merge(
    api: httpx.Client, forge: LocalForge, gh_repo: Repo
) -> None:
    up, shas = gh_repo
    created = api.post(
        f"{R}/pulls", json={"title": "Bump", "head": "feature", "base": "main", "body": "why"}
    )
    assert created.status_code == 201
    pr = created.json()
    assert (pr["head"]["sha"], pr["base"]["sha"], pr["user"]["login"]) == (
        shas["c4"],
        shas["c3"],
        "github-actions[bot]",
    )
    assert pr["commits"] == 1 and pr["changed_files"] == 1
    dup = api.post(f"{R}/pulls", json={"title": "Again", "head": "alice:feature", "base": "main"})
    assert dup.status_code == 422 and "already exists" in dup.json()["errors"][0]["message"]
    assert [
        p["number"] for p in api.get(f"{R}/pulls", params={"head": "alice:feature"}).json()
    ] == [pr["number"]]
    assert api.get(f"{R}/pulls", params={"head": "alice:other"}).json() == []
    assert api.get(f"{R}/pulls", params={"base": "develop"}).json() == []

    # Pushing to the branch moves the open pull request's head.
    up.git("checkout", "-q", "feature")
    new_head = up.commit("more", {"feature.txt": "g\n"}, "2024-03-06T00:00:00Z")
    up.push("feature")
    assert api.get(f"{R}/pulls/{pr['number']}").json()["head"]["sha"] == new_head

    stale = api.put(f"{R}/pulls/{pr['number']}/merge", json={"sha": shas["c4"]})
    assert stale.status_code == 409
    merged = api.put(f"{R}/pulls/{pr['number']}/merge", json={"merge_method": "merge"}).json()
    assert merged["merged"] is True
    assert up.sha("refs/heads/main") == merged["sha"]
    assert up.git(
        "--git-dir", str(up.bare), "rev-parse", f"{merged['sha']}^1", f"{merged['sha']}^2"
    ).split() == [shas["c3"], new_head]
    after = api.get(f"{R}/pulls/{pr['number']}").json()
    assert (after["state"], after["merged"], after["merge_commit_sha"]) == (
        "closed",
        True,
        merged["sha"],
    )
    assert api.put(f"{R}/pulls/{pr['number']}/merge").status_code == 405


def test_no_commits_between_is_refused(api: httpx.Client, gh_repo: Repo) -> None:
    api.post(f"{R}/git/refs", json={"ref": "refs/heads/same", "sha": gh_repo[1]["c3"]})
    response = api.post(f"{R}/pulls", json={"title": "t", "head": "same", "base": "main"})
    assert response.status_code == 422
    assert (
        api.post(f"{R}/pulls", json={"title": "t", "head": "nope", "base": "main"}).status_code
        == 422
    )


def test_people_close_and_merge_pulls(api: httpx.Client, forge: LocalForge, gh_repo: Repo) -> None:
    up, _ = gh_repo
    number = api.post(f"{R}/pulls", json={"title": "A", "head": "feature", "base": "main"}).json()[
        "number"
    ]
    forge.close_pull("alice", "proj", number)
    closed = api.get(f"{R}/pulls/{number}").json()
    assert (closed["state"], closed["merged"]) == ("closed", False)
    assert [p["number"] for p in api.get(f"{R}/pulls", params={"state": "closed"}).json()] == [
        number
    ]
    assert api.get(f"{R}/pulls").json() == []
    # Reopen by the bot, then a maintainer merges (squash).
    assert api.patch(f"{R}/pulls/{number}", json={"state": "open"}).json()["state"] == "open"
    sha = forge.merge_pull("alice", "proj", number, method="squash")
    assert up.sha("refs/heads/main") == sha
    merged = api.get(f"{R}/pulls/{number}").json()
    assert merged["merged_by"]["login"] == "maintainer"


def test_update_pull_title_body_and_close(api: httpx.Client, gh_repo: Repo) -> None:
    number = api.post(f"{R}/pulls", json={"title": "A", "head": "feature", "base": "main"}).json()[
        "number"
    ]
    body = api.patch(
        f"{R}/pulls/{number}", json={"title": "B", "body": "text", "state": "closed"}
    ).json()
    assert (body["title"], body["body"], body["state"], body["merged"]) == (
        "B",
        "text",
        "closed",
        False,
    )


def test_reviewers_assignees_labels(api: httpx.Client, gh_repo: Repo) -> None:
    number = api.post(f"{R}/pulls", json={"title": "A", "head": "feature", "base": "main"}).json()[
        "number"
    ]
    reviewed = api.post(f"{R}/pulls/{number}/requested_reviewers", json={"reviewers": ["bob"]})
    assert reviewed.status_code == 201
    assert [u["login"] for u in reviewed.json()["requested_reviewers"]] == ["bob"]
    assigned = api.post(f"{R}/issues/{number}/assignees", json={"assignees": ["carol"]}).json()
    assert [u["login"] for u in assigned["assignees"]] == ["carol"]
    assert api.post(f"{R}/labels", json={"name": "deps", "color": "ff0000"}).status_code == 201
    assert api.post(f"{R}/labels", json={"name": "DEPS"}).status_code == 422
    labels = api.post(f"{R}/issues/{number}/labels", json={"labels": ["deps", "bot"]}).json()
    assert [lb["name"] for lb in labels] == ["deps", "bot"]
    assert {lb["name"] for lb in api.get(f"{R}/labels").json()} == {"deps", "bot"}
    replaced = api.put(f"{R}/issues/{number}/labels", json={"labels": ["bot"]}).json()
    assert [lb["name"] for lb in replaced] == ["bot"]
    pr = api.get(f"{R}/pulls/{number}").json()
    assert [lb["name"] for lb in pr["labels"]] == ["bot"]


def test_issues_filters_and_comments(api: httpx.Client, forge: LocalForge, gh_repo: Repo) -> None:
    dash = api.post(
        f"{R}/issues", json={"title": "Dashboard", "body": "b", "labels": ["dashboard"]}
    ).json()
    api.post(f"{R}/issues", json={"title": "Other"})
    pr = api.post(f"{R}/pulls", json={"title": "A", "head": "feature", "base": "main"}).json()
    listed = api.get(f"{R}/issues", params={"labels": "dashboard", "state": "open"}).json()
    assert [i["number"] for i in listed] == [dash["number"]]
    everything = api.get(f"{R}/issues", params={"creator": "github-actions[bot]"}).json()
    assert {i["number"] for i in everything} == {dash["number"], dash["number"] + 1, pr["number"]}
    assert [i for i in everything if i["number"] == pr["number"]][0]["pull_request"][
        "url"
    ].endswith(f"/pulls/{pr['number']}")
    assert api.get(f"{R}/issues", params={"creator": "someone"}).json() == []

    edited = api.patch(
        f"{R}/issues/{dash['number']}", json={"body": "new", "state": "closed"}
    ).json()
    assert (edited["body"], edited["state"], edited["state_reason"]) == (
        "new",
        "closed",
        "completed",
    )
    assert dash["number"] not in [i["number"] for i in api.get(f"{R}/issues").json()]
    assert dash["number"] in [
        i["number"] for i in api.get(f"{R}/issues", params={"state": "closed"}).json()
    ]

    comment = api.post(f"{R}/issues/{dash['number']}/comments", json={"body": "hi"})
    assert comment.status_code == 201
    assert (
        api.patch(f"{R}/issues/comments/{comment.json()['id']}", json={"body": "edited"}).json()[
            "body"
        ]
        == "edited"
    )
    assert [c["body"] for c in api.get(f"{R}/issues/{dash['number']}/comments").json()] == [
        "edited"
    ]
    assert api.get(f"{R}/issues/{dash['number']}").json()["comments"] == 1
    assert api.get(f"{R}/issues/999").status_code == 404


def test_requests_are_recorded_without_authorization(
    api: httpx.Client, forge: LocalForge, gh_repo: Repo
) -> None:
    forge.clear_requests()
    api.post(f"{R}/issues", json={"title": "T"})
    (rec,) = forge.requests
    assert (rec.method, rec.path, rec.status, rec.json, rec.cost) == (
        "POST",
        f"/api/v3{R}/issues",
        201,
        {"title": "T"},
        1,
    )
    assert "authorization" not in rec.headers
    assert TOKEN not in repr(rec)


def test_user_endpoint_and_installation_tokens(
    forge: LocalForge, api: httpx.Client, gh_repo: Repo
) -> None:
    assert api.get("/user").json()["login"] == "github-actions[bot]"
    forge.user_endpoint_forbidden = True
    assert api.get("/user").status_code == 403
    forge.user_endpoint_forbidden = False

    assert (
        httpx.post(
            f"{forge.api_url}/app/installations/7/access_tokens",
            headers={"Authorization": "Bearer notajwt"},
        ).status_code
        == 401
    )
    inst = httpx.get(
        f"{forge.api_url}{R}/installation", headers={"Authorization": "Bearer h.p.s"}
    ).json()
    issued = httpx.post(inst["access_tokens_url"], headers={"Authorization": "Bearer h.p.s"})
    assert issued.status_code == 201
    token = issued.json()["token"]
    assert token.startswith("ghs_") and issued.json()["expires_at"].endswith("Z")
    with_token = {"Authorization": f"token {token}"}
    assert httpx.get(f"{forge.api_url}{R}", headers=with_token).status_code == 200
    # An installation token is not a user: GET /user is forbidden, as in GitHub Actions.
    assert httpx.get(f"{forge.api_url}/user", headers=with_token).status_code == 403
    assert (
        httpx.get(f"{forge.api_url}{R}", headers={"Authorization": "token ghs_unknown"}).status_code
        == 401
    )


@pytest.mark.parametrize("scheme", ["token", "Bearer"])
def test_token_schemes(forge: LocalForge, gh_repo: Repo, scheme: str) -> None:
    assert (
        httpx.get(f"{forge.api_url}{R}", headers={"Authorization": f"{scheme} {TOKEN}"}).status_code
        == 200
    )
