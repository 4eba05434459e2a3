"""Git smart HTTP, archives and release assets, driven by real git and real HTTP."""

from __future__ import annotations

import io
import os
import subprocess
import tarfile
from pathlib import Path

import httpx
import pytest
from conftest import Upstream, run_git

from updater_sandbox.forge import LocalForge


def test_clone_push_ls_remote_through_insteadof(
    gh_repo: tuple[Upstream, dict[str, str]], git_env: dict[str, str], tmp_path: Path
) -> None:
    up, shas = gh_repo
    out = run_git(git_env, None, "ls-remote", "https://github.com/alice/proj")
    assert f"{shas['c3']}\trefs/heads/main" in out
    assert f"{shas['c4']}\trefs/heads/feature" in out
    assert f"{shas['c1']}\trefs/tags/v1.0^{{}}" in out

    clone = tmp_path / "clone"
    run_git(git_env, None, "clone", "-q", "https://github.com/alice/proj.git", str(clone))
    assert (clone / "README").read_text() == "two\n"
    assert run_git(git_env, clone, "rev-parse", "HEAD").strip() == shas["c3"]

    # Push a new branch from the clone, then fetch it back into the first working copy.
    run_git(git_env, clone, "checkout", "-q", "-b", "update/x")
    (clone / "new.txt").write_text("new\n")
    run_git(git_env, clone, "add", "new.txt")
    run_git(git_env, clone, "commit", "-q", "-m", "bot change")
    run_git(git_env, clone, "push", "-q", "origin", "update/x")
    pushed = run_git(git_env, clone, "rev-parse", "HEAD").strip()
    assert up.sha("refs/heads/update/x") == pushed
    up.git("fetch", "-q", "origin")
    assert up.git("rev-parse", "origin/update/x").strip() == pushed


def test_push_with_basic_auth_credentials(
    gh_repo: tuple[Upstream, dict[str, str]],
    forge: LocalForge,
    git_env: dict[str, str],
    tmp_path: Path,
) -> None:
    up, shas = gh_repo
    clone = tmp_path / "authclone"
    url = f"http://x-access-token:secret@127.0.0.1:{forge.url.rsplit(':', 1)[1]}/github.com/alice/proj"
    run_git(git_env, None, "clone", "-q", url, str(clone))
    run_git(git_env, clone, "commit", "-q", "--allow-empty", "-m", "empty")
    run_git(git_env, clone, "push", "-q", "origin", "HEAD:refs/heads/authed")
    assert up.sha("refs/heads/authed") == run_git(git_env, clone, "rev-parse", "HEAD").strip()


@pytest.mark.parametrize(
    ("host", "owner"),
    [
        ("tangled.org", "@alice.example.com"),
        ("tangled.sh", "@bob.dev"),
        ("codeberg.org", "carol"),
        ("gitlab.com", "dave"),
        ("git.example.org", "erin"),
    ],
)
def test_every_host_serves_git(
    upstream_factory, git_env: dict[str, str], tmp_path: Path, host: str, owner: str
) -> None:  # type: ignore[no-untyped-def]
    up = upstream_factory(host, owner, "tool")
    sha = up.commit("init", {"a": "1\n"}, "2024-01-01T00:00:00Z")
    up.push("main")
    for url in (f"https://{host}/{owner}/tool", f"https://{host}/{owner}/tool.git"):
        assert run_git(git_env, None, "ls-remote", url, "refs/heads/main").split()[0] == sha


def test_unknown_repository_is_not_served(forge: LocalForge, git_env: dict[str, str]) -> None:
    proc = subprocess.run(
        ["git", "ls-remote", "https://github.com/nobody/nothing"],
        env=git_env,
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
    )
    assert proc.returncode != 0
    assert httpx.get(f"{forge.url}/github.com/../../etc/info/refs").status_code == 404


def _git_archive(bare: Path, rev: str, prefix: str) -> bytes:
    return subprocess.run(
        ["git", "--git-dir", str(bare), "archive", "--format=tar.gz", f"--prefix={prefix}", rev],
        capture_output=True,
        check=True,
        timeout=60,
    ).stdout


def _tree(data: bytes) -> dict[str, bytes]:
    with tarfile.open(fileobj=io.BytesIO(data), mode="r:gz") as tar:
        return {m.name: tar.extractfile(m).read() for m in tar.getmembers() if m.isfile()}  # type: ignore[union-attr]


def test_github_archive_equals_git_archive(
    gh_repo: tuple[Upstream, dict[str, str]], forge: LocalForge
) -> None:
    up, shas = gh_repo
    for rev, prefix in (
        (shas["c1"], f"proj-{shas['c1']}/"),
        ("v1.0", "proj-v1.0/"),
        ("refs/tags/v1.1", "proj-v1.1/"),
    ):
        response = httpx.get(f"{forge.url}/github.com/alice/proj/archive/{rev}.tar.gz")
        assert response.status_code == 200
        assert response.content == _git_archive(up.bare, rev.removeprefix("refs/tags/"), prefix)
    tree = _tree(httpx.get(f"{forge.url}/github.com/alice/proj/archive/v1.0.tar.gz").content)
    assert tree == {"proj-v1.0/README": b"one\n", "proj-v1.0/src/lib.txt": b"a\n"}
    assert httpx.get(f"{forge.url}/github.com/alice/proj/archive/nope.tar.gz").status_code == 404


def test_other_archive_shapes(upstream_factory, forge: LocalForge) -> None:  # type: ignore[no-untyped-def]
    urls = {
        "tangled.org": "{base}/tangled.org/@h.example/tool/archive/{rev}",
        "tangled.sh": "{base}/tangled.sh/@h.example/tool/archive/{rev}",
        "codeberg.org": "{base}/codeberg.org/h/tool/archive/{rev}.tar.gz",
        "gitlab.com": "{base}/gitlab.com/h/tool/-/archive/{rev}/tool-{rev}.tar.gz",
    }
    for host, shape in urls.items():
        owner = "@h.example" if host.startswith("tangled") else "h"
        up = upstream_factory(host, owner, "tool")
        up.commit("init", {"f.txt": host}, "2024-01-01T00:00:00Z")
        up.tag("v0.1")
        up.push("main", "--tags")
        response = httpx.get(shape.format(base=forge.url, rev="v0.1"))
        assert response.status_code == 200, host
        assert _tree(response.content) == {"tool-v0.1/f.txt": host.encode()}


def test_tangled_archive_of_percent_encoded_tag_ref(upstream_factory, forge: LocalForge) -> None:  # type: ignore[no-untyped-def]
    up = upstream_factory("tangled.org", "@h.example", "tool")
    up.commit("init", {"f.txt": "x"}, "2024-01-01T00:00:00Z")
    up.tag("v1")
    up.push("main", "--tags")
    response = httpx.get(f"{forge.url}/tangled.org/@h.example/tool/archive/refs%2Ftags%2Fv1")
    assert response.status_code == 200
    assert list(_tree(response.content)) == ["tool-v1/f.txt"]


def test_release_assets_download_and_latest_redirect(
    gh_repo: tuple[Upstream, dict[str, str]], forge: LocalForge
) -> None:
    forge.add_release("github.com", "alice", "proj", "v1.0")
    url = forge.add_asset("github.com", "alice", "proj", "v1.0", "tool-linux.tar.gz", b"BINARY")
    assert url == "https://github.com/alice/proj/releases/download/v1.0/tool-linux.tar.gz"
    local = url.replace("https://", f"{forge.url}/")
    assert httpx.get(local).content == b"BINARY"
    latest = httpx.get(
        f"{forge.url}/github.com/alice/proj/releases/latest/download/tool-linux.tar.gz",
        follow_redirects=True,
    )
    assert latest.content == b"BINARY"
    assert httpx.get(local.replace("tool-linux", "other")).status_code == 404


def test_asset_urls_of_other_hosts_map_through_the_rules(
    gh_repo: tuple[Upstream, dict[str, str]], forge: LocalForge
) -> None:
    """The fixture's fetchers download with curl after applying the rules; the rules map every host."""
    url = forge.add_asset("codeberg.org", "carol", "tool", "v1", "a.bin", b"data")
    for base, original in forge.insteadof_rules().items():
        if url.startswith(original):
            url = base + url[len(original) :]
    assert url.startswith(forge.url)
    assert httpx.get(url).content == b"data"


def test_write_gitconfig_rules(forge: LocalForge, tmp_path: Path) -> None:
    path = forge.write_gitconfig(tmp_path / "cfg")
    out = subprocess.run(
        ["git", "config", "--file", str(path), "--get-regexp", "insteadof"],
        capture_output=True,
        text=True,
        check=True,
        timeout=30,
    ).stdout
    hosts = {
        "github.com",
        "tangled.org",
        "tangled.sh",
        "codeberg.org",
        "gitlab.com",
        "git.example.org",
    }
    assert {line.split()[1] for line in out.splitlines()} == {f"https://{h}/" for h in hosts}
    assert forge.insteadof_rules()[f"{forge.url}/github.com/"] == "https://github.com/"


def test_large_push_uses_chunked_encoding(
    gh_repo: tuple[Upstream, dict[str, str]], forge: LocalForge
) -> None:
    """git sends bodies over http.postBuffer (1 MiB) chunked; the server must de-chunk them."""
    up, _ = gh_repo
    (up.work / "blob.bin").write_bytes(os.urandom(3 * 1024 * 1024))
    up.git("add", "blob.bin")
    up.git("commit", "-q", "-m", "big")
    forge.clear_requests()
    up.push("main")
    assert up.sha("refs/heads/main") == up.git("rev-parse", "HEAD").strip()
    pushes = [r for r in forge.requests if r.path.endswith("/git-receive-pack")]
    assert pushes and pushes[-1].headers.get("transfer-encoding") == "chunked"
