"""Forgejo/Gitea v1 (codeberg.org) and GitLab v4 (gitlab.com) subsets in those APIs' shapes."""

from __future__ import annotations

from urllib.parse import quote

import httpx
from conftest import Upstream

from updater_sandbox.forge import LocalForge


def _history(up: Upstream) -> dict[str, str]:
    shas = {"c1": up.commit("one", {"a": "1"}, "2024-01-01T00:00:00Z")}
    up.tag("v1.0", date="2024-01-01T01:00:00Z")
    shas["c2"] = up.commit("two", {"a": "2"}, "2024-02-01T00:00:00Z")
    up.tag("v1.1", annotated=False)
    up.push("main", "--tags")
    return shas


def test_gitea_repository_releases_tags(upstream_factory, forge: LocalForge) -> None:  # type: ignore[no-untyped-def]
    shas = _history(upstream_factory("codeberg.org", "carol", "tool"))
    forge.add_release("codeberg.org", "carol", "tool", "v1.0")
    forge.add_release("codeberg.org", "carol", "tool", "v1.1", prerelease=True)
    forge.add_asset("codeberg.org", "carol", "tool", "v1.0", "tool.tgz", b"x")
    api = f"{forge.url}/api/v1/repos/carol/tool"
    repo = httpx.get(api).json()
    assert (repo["full_name"], repo["default_branch"], repo["release_counter"]) == (
        "carol/tool",
        "main",
        2,
    )
    assert repo["clone_url"] == "https://codeberg.org/carol/tool.git"
    releases = httpx.get(f"{api}/releases")
    assert releases.headers["X-Total-Count"] == "2"
    assert [(r["tag_name"], r["prerelease"]) for r in releases.json()] == [
        ("v1.1", True),
        ("v1.0", False),
    ]
    assert (
        releases.json()[1]["assets"][0]["browser_download_url"]
        == "https://codeberg.org/carol/tool/releases/download/v1.0/tool.tgz"
    )
    assert [
        r["tag_name"] for r in httpx.get(f"{api}/releases", params={"pre-release": "false"}).json()
    ] == ["v1.0"]
    assert httpx.get(f"{api}/releases/latest").json()["tag_name"] == "v1.0"
    page = httpx.get(f"{api}/releases", params={"limit": 1})
    assert len(page.json()) == 1 and "next" in page.links
    tags = httpx.get(f"{api}/tags").json()
    assert [(t["name"], t["commit"]["sha"]) for t in tags] == [
        ("v1.1", shas["c2"]),
        ("v1.0", shas["c1"]),
    ]
    assert tags[1]["commit"]["created"] == "2024-01-01T00:00:00Z"
    assert httpx.get(f"{forge.url}/api/v1/repos/carol/none").status_code == 404
    etag = httpx.get(f"{api}/tags").headers["ETag"]
    assert httpx.get(f"{api}/tags", headers={"If-None-Match": etag}).status_code == 304


def test_gitlab_project_releases_tags(upstream_factory, forge: LocalForge) -> None:  # type: ignore[no-untyped-def]
    shas = _history(upstream_factory("gitlab.com", "dave", "lib"))
    forge.add_release("gitlab.com", "dave", "lib", "v1.0", body="first")
    forge.add_release("gitlab.com", "dave", "lib", "v1.1")
    project = f"{forge.url}/api/v4/projects/{quote('dave/lib', safe='')}"
    body = httpx.get(project).json()
    assert (body["path_with_namespace"], body["default_branch"]) == ("dave/lib", "main")
    assert body["http_url_to_repo"] == "https://gitlab.com/dave/lib.git"
    releases = httpx.get(f"{project}/releases")
    assert releases.headers["X-Total"] == "2"
    assert [r["tag_name"] for r in releases.json()] == ["v1.1", "v1.0"]
    first = releases.json()[1]
    assert first["commit"]["id"] == shas["c1"] and first["description"] == "first"
    assert any(
        s["url"] == "https://gitlab.com/dave/lib/-/archive/v1.0/lib-v1.0.tar.gz"
        for s in first["assets"]["sources"]
    )
    assert httpx.get(f"{project}/releases/v1.0").json()["tag_name"] == "v1.0"
    tags = httpx.get(f"{project}/repository/tags").json()
    assert [(t["name"], t["commit"]["id"]) for t in tags] == [
        ("v1.1", shas["c2"]),
        ("v1.0", shas["c1"]),
    ]
    assert tags[1]["release"] == {"tag_name": "v1.0", "description": "first"}
    paged = httpx.get(f"{project}/repository/tags", params={"per_page": 1})
    assert (paged.headers["X-Next-Page"], paged.headers["X-Total-Pages"]) == ("2", "2")
    assert (
        httpx.get(f"{forge.url}/api/v4/projects/{quote('dave/none', safe='')}").status_code == 404
    )
