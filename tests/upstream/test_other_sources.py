"""git ls-remote through insteadOf, Forgejo v1, GitLab v4, release-asset URLs."""

from __future__ import annotations

import asyncio
from datetime import timedelta
from pathlib import Path

import pytest
from upstream_fixtures import BASE, Tag, build_repo

from updater.errors import UnsafeValueError, UpstreamError
from updater.upstream.assets import is_floating, next_asset_url
from updater.upstream.forgejo import ForgejoSource
from updater.upstream.git import GitSource
from updater.upstream.gitlab import GitLabSource
from updater.upstream.http import HttpClient, HttpSettings
from updater.upstream.model import SourceSpec
from updater_sandbox.forge.local_forge import LocalForge

TAGS = [Tag("v1.0.0", 1, annotated=True), Tag("v1.1.0", 2), Tag("v2.0.0-beta", 4)]


@pytest.fixture
def routed(forge: LocalForge, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> LocalForge:
    monkeypatch.setenv("GIT_CONFIG_GLOBAL", str(forge.write_gitconfig(tmp_path / "gitconfig")))
    return forge


def test_git_ls_remote_over_insteadof_reads_peeled_tags_and_heads(routed: LocalForge) -> None:
    refs = build_repo(
        routed.repo_path("tangled.org", "@alice.test", "proj"), TAGS, head_day=9, branch="trunk"
    )
    spec = SourceSpec(
        "tangled", "tangled.org", "@alice.test", "proj", "https://tangled.org/@alice.test/proj"
    )
    snap = asyncio.run(GitSource().fetch(spec))
    tags = {t.tag: t.commit for t in snap.tags}
    assert tags == {t.name: refs[f"refs/tags/{t.name}"] for t in TAGS}
    assert snap.head is not None and (snap.head.branch, snap.head.commit) == (
        "trunk",
        refs["refs/heads/trunk"],
    )
    # Branch mode adds the head's date with a depth-1 fetch, unless the head is the pinned commit.
    dated = asyncio.run(GitSource().branch(spec, None, known="0" * 40))
    assert dated.head is not None and dated.head.date == BASE + timedelta(days=9)
    same = asyncio.run(GitSource().branch(spec, None, known=refs["refs/heads/trunk"]))
    assert same.head is not None and same.head.date is None


def test_git_failure_is_an_upstream_error(routed: LocalForge) -> None:
    spec = SourceSpec("git", "git.example.org", "x", "gone", "https://git.example.org/x/gone.git")
    with pytest.raises(UpstreamError, match="ls-remote failed"):
        asyncio.run(GitSource().fetch(spec))
    with pytest.raises(UpstreamError, match="not a git URL"):
        asyncio.run(GitSource().fetch(SourceSpec("git", "h", "o", "r", "--upload-pack=evil")))


def _with_http(coro_fn):  # type: ignore[no-untyped-def]
    async def go():  # type: ignore[no-untyped-def]
        async with HttpClient(HttpSettings(backoff_base=0.01)) as http:
            return await coro_fn(http)

    return asyncio.run(go())


def test_forgejo_releases_and_tags(forge: LocalForge) -> None:
    refs = build_repo(forge.repo_path("codeberg.org", "bob", "tool"), TAGS, head_day=5)
    forge.add_release(
        "codeberg.org", "bob", "tool", "v1.1.0", published_at=BASE + timedelta(days=2)
    )
    forge.add_release("codeberg.org", "bob", "tool", "v2.0.0-beta", prerelease=True)
    spec = SourceSpec("forgejo", "codeberg.org", "bob", "tool", "https://codeberg.org/bob/tool")
    snap = _with_http(lambda http: ForgejoSource(http, forge.url + "/api/v1").releases(spec))
    rel = {r.tag: r for r in snap.releases}
    assert rel["v2.0.0-beta"].prerelease and rel["v1.1.0"].date == BASE + timedelta(days=2)
    assert {t.tag: t.commit for t in snap.tags}["v1.1.0"] == refs["refs/tags/v1.1.0"]


def test_gitlab_releases_and_tags(forge: LocalForge) -> None:
    refs = build_repo(forge.repo_path("gitlab.com", "carol", "lib"), TAGS, head_day=5)
    forge.add_release("gitlab.com", "carol", "lib", "v1.1.0", published_at=BASE + timedelta(days=2))
    spec = SourceSpec("gitlab", "gitlab.com", "carol", "lib", "https://gitlab.com/carol/lib")
    snap = _with_http(lambda http: GitLabSource(http, forge.url + "/api/v4").releases(spec))
    assert [r.tag for r in snap.releases] == ["v1.1.0"]
    assert {t.tag: t.commit for t in snap.tags}["v1.0.0"] == refs["refs/tags/v1.0.0"]
    missing = SourceSpec("gitlab", "gitlab.com", "carol", "nope", "https://gitlab.com/carol/nope")
    with pytest.raises(UpstreamError, match="404"):
        _with_http(lambda http: GitLabSource(http, forge.url + "/api/v4").releases(missing))


def test_release_asset_url_follows_the_version() -> None:
    url = "https://github.com/o/r/releases/download/v1.2.0/tool-1.2.0-x86_64-linux.tar.gz"
    assert (
        next_asset_url(url, "v1.2.0", "v1.10.0", "1.2.0", "1.10.0")
        == "https://github.com/o/r/releases/download/v1.10.0/tool-1.10.0-x86_64-linux.tar.gz"
    )
    assert is_floating("https://github.com/o/r/releases/latest/download/tool.tar.gz")
    with pytest.raises(UnsafeValueError):
        next_asset_url("https://example.org/static/tool.tar.gz", "v1", "v2", "1", "2")
