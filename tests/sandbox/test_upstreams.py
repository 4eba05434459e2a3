"""Upstream repositories: deterministic history, language files, releases, the hash oracle."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest

from updater.nixhash import to_sri
from updater_sandbox import nar
from updater_sandbox.spec import UPSTREAMS, upstream_spec
from updater_sandbox.upstreams import AUTHOR, Upstream


def git(repo: Path, *args: str) -> str:
    env = {k: v for k, v in os.environ.items() if not k.startswith("GIT_")}
    env["GIT_CONFIG_GLOBAL"] = os.devnull
    return subprocess.run(
        ["git", *args], cwd=repo, env=env, capture_output=True, text=True, check=True, timeout=30
    ).stdout


def make(tmp_path: Path, key: str) -> Upstream:
    up = Upstream(upstream_spec(key), tmp_path / f"{key}.git", None)
    up.create()
    return up


def test_the_same_spec_gives_the_same_shas_every_time(tmp_path: Path) -> None:
    first = {s.key: Upstream(s, tmp_path / "a" / s.key, None) for s in UPSTREAMS}
    second = {s.key: Upstream(s, tmp_path / "b" / s.key, None) for s in UPSTREAMS}
    for up in [*first.values(), *second.values()]:
        up.create()
    for key in first:
        assert [c.sha for c in first[key].commits] == [c.sha for c in second[key].commits]
    # and a release added later is deterministic too
    a = first["jetstream"].add_release("0.5.0", deps_change=True)
    b = second["jetstream"].add_release("0.5.0", deps_change=True)
    assert a.sha == b.sha
    assert len({c.sha for up in first.values() for c in up.commits}) == sum(
        len(up.commits) for up in first.values()
    )


def test_history_tags_identity_and_dates(tmp_path: Path) -> None:
    up = make(tmp_path, "jetstream")
    log = git(up.path, "log", "--format=%H %an <%ae> %at %s", "main").splitlines()
    assert [line.split()[0] for line in reversed(log)] == [c.sha for c in up.commits]
    assert all(AUTHOR in line for line in log)
    dates = [int(line.split()[4]) for line in reversed(log)]
    assert dates == sorted(dates) and len(set(dates)) == len(dates)
    tags = git(up.path, "tag", "--list").split()
    assert sorted(tags) == sorted(c.tag for c in up.commits if c.tag)
    assert git(up.path, "rev-parse", "v0.2.0^{commit}").strip() == up.rev("v0.2.0")
    # lightweight tags here, annotated ones for the knot upstream
    assert git(up.path, "cat-file", "-t", "v0.2.0").strip() == "commit"
    knot = make(tmp_path, "knot")
    assert git(knot.path, "cat-file", "-t", "v1.11.0-alpha").strip() == "tag"
    assert git(up.path, "symbolic-ref", "HEAD").strip() == "refs/heads/main"


@pytest.mark.parametrize(
    ("key", "files"),
    [
        ("jetstream", {"go.mod", "go.sum", "main.go"}),
        ("labeler", {"package.json", "package-lock.json", "index.js"}),
        ("gatekeeper", {"Cargo.toml", "Cargo.lock", "src/main.rs"}),
        ("feedgen", {"package.json", "pnpm-lock.yaml"}),
        ("skyview", {"package.json", "yarn.lock"}),
        ("denobot", {"deno.json", "deno.lock"}),
        ("atctl", {"Makefile", "bin/atctl"}),
    ],
)
def test_each_language_has_its_real_files(tmp_path: Path, key: str, files: set[str]) -> None:
    up = make(tmp_path, key)
    listed = set(git(up.path, "ls-tree", "-r", "--name-only", "main").split())
    assert files <= listed


def test_monorepo_services_and_subdirectories(tmp_path: Path) -> None:
    knot = make(tmp_path, "knot")
    listed = set(git(knot.path, "ls-tree", "-r", "--name-only", "main").split())
    assert {f"cmd/{s}/main.go" for s in knot.project().services} <= listed
    atproto = make(tmp_path, "atproto")
    listed = set(git(atproto.path, "ls-tree", "-r", "--name-only", "main").split())
    assert len({p.split("/")[1] for p in listed if p.startswith("packages/")}) == 11


def test_a_release_changes_the_lock_file_only_when_dependencies_change(tmp_path: Path) -> None:
    up = make(tmp_path, "labeler")
    before = up.head
    same = up.add_release("0.6.0")
    changed = up.add_release("0.7.0", deps_change=True)
    assert up.lockfile(same.sha) != up.lockfile(before.sha)  # npm's lock names the version...
    assert up.deps_hash(same.sha) == up.deps_hash(before.sha)  # ...but the deps stay
    assert up.deps_hash(changed.sha) != up.deps_hash(same.sha)
    assert git(up.path, "rev-parse", "v0.7.0").strip() == changed.sha
    go = make(tmp_path, "jetstream")
    head = go.head
    c1 = go.add_release("0.5.0")
    assert go.lockfile(c1.sha) == go.lockfile(head.sha)
    c2 = go.add_commit("bump deps", deps_change=True)
    assert c2.tag is None and go.lockfile(c2.sha) != go.lockfile(c1.sha)
    assert git(go.path, "rev-parse", "main").strip() == c2.sha


def test_release_records_and_assets_reach_the_registry(tmp_path: Path) -> None:
    class Registry:
        def __init__(self) -> None:
            self.releases: list[tuple[str, bool, bool]] = []
            self.assets: list[str] = []

        def add_release(self, host: str, owner: str, repo: str, tag: str, **kw: object) -> None:
            self.releases.append((tag, bool(kw["prerelease"]), bool(kw["draft"])))

        def add_asset(
            self, host: str, owner: str, repo: str, tag: str, name: str, data: bytes
        ) -> str:
            self.assets.append(f"{tag}/{name}")
            return name

    reg = Registry()
    up = Upstream(upstream_spec("atctl"), tmp_path / "atctl.git", reg)
    up.create()
    up.add_release("0.5.0-beta.1", prerelease=True)
    up.add_release("0.5.0", release=False)
    assert reg.releases == [
        ("v0.4.0", False, False),
        ("v0.4.1", False, False),
        ("v0.5.0-beta.1", True, False),
    ]
    assert "v0.4.1/atctl-0.4.1-linux-amd64.tar.gz" in reg.assets
    assert "v0.5.0/atctl-linux-amd64" in reg.assets


def test_archive_view_drops_export_ignored_paths(tmp_path: Path) -> None:
    up = make(tmp_path, "gatekeeper")
    archived = subprocess.run(
        ["git", "archive", "--format=tar", "main"],
        cwd=up.path,
        capture_output=True,
        check=True,
        timeout=30,
    ).stdout
    listing = subprocess.run(
        ["tar", "-t"], input=archived, capture_output=True, check=True, timeout=30
    ).stdout.decode()
    assert ".tangled/" not in listing and "Cargo.lock" in listing
    assert up.archive_hash("HEAD") != up.git_hash("HEAD")
    plain = make(tmp_path, "jetstream")
    assert plain.archive_hash("HEAD") == plain.git_hash("HEAD")


@pytest.mark.nix
def test_the_nar_oracle_agrees_with_nix_hash(tmp_path: Path) -> None:
    up = make(tmp_path, "knot")
    checkout = tmp_path / "checkout"
    subprocess.run(["git", "clone", "--quiet", str(up.path), str(checkout)], check=True, timeout=60)
    subprocess.run(["rm", "-rf", str(checkout / ".git")], check=True, timeout=30)
    out = subprocess.run(
        ["nix-hash", "--type", "sha256", "--base32", str(checkout)],
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
    ).stdout.strip()
    assert to_sri(f"sha256:{out}") == up.git_hash("HEAD")
    assert nar.tree_hash(nar.tree_of_dir(checkout)) == up.git_hash("HEAD")
