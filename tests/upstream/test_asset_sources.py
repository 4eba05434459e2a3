"""Release-asset pins (fetchurl/fetchzip of a release download with the version interpolated):
tracking infers the forge repository from the URL, the check finds the newer release, the
engine moves the version (the URL follows) and refreshes the hash. Floating downloads
(`releases/latest/download`) stay reported, never updated."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from updater.config import parse_config
from updater.engine.tracking import Tracked, track
from updater.nixfile.repository import scan_repository
from updater.nixhash import parse, to_sri
from updater.upstream.assets import release_asset_of
from updater_sandbox.world import World

ORG = """{ callPackage }:
{
  gh = callPackage ./gh.nix { };
  cb = callPackage ./cb.nix { };
  gl = callPackage ./gl.nix { };
  own = callPackage ./own.nix { };
  nightly = callPackage ./nightly.nix { };
  site = callPackage ./site.nix { };
}
"""


def _fetch(pname: str, version: str, fetcher: str, url: str) -> str:
    return f"""{{ stdenv, {fetcher} }}:
stdenv.mkDerivation rec {{
  pname = "{pname}";
  version = "{version}";
  src = {fetcher} {{
    url = "{url}";
    hash = "sha256-AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=";
  }};
}}
"""


FILES = {
    "gh": _fetch(
        "gh", "1.2.0", "fetchzip", "https://github.com/acme/gh/releases/download/v${version}/gh-${version}.tar.gz"
    ),
    "cb": _fetch(
        "cb", "0.3.0", "fetchurl", "https://codeberg.org/bob/cb/releases/download/${version}/cb-linux"
    ),
    "gl": _fetch(
        "gl", "2.0.0", "fetchurl", "https://gitlab.com/carol/gl/-/releases/v${version}/downloads/gl.bin"
    ),
    "own": _fetch(
        "own", "4.0", "fetchurl", "https://git.example.net/dan/own/releases/download/v${version}/own"
    ),
    "nightly": _fetch(
        "nightly", "latest", "fetchzip", "https://github.com/acme/nightly/releases/latest/download/n.tar.gz"
    ),
    "site": _fetch("site", "1.0", "fetchurl", "https://example.org/downloads/site-${version}.tar.gz"),
}  # fmt: skip


@pytest.fixture
def tracked(tmp_path: Path) -> dict[str, Tracked]:
    d = tmp_path / "pkgs" / "org"
    d.mkdir(parents=True)
    (d / "default.nix").write_text(ORG)
    for name, text in FILES.items():
        (d / f"{name}.nix").write_text(text)
    config = parse_config({"forges": {"git.example.net": {"type": "gitea"}}}, "test")
    return {t.packages[0]: t for t in track(scan_repository(tmp_path), config)}


def test_release_downloads_name_their_forge_repository(tracked: dict[str, Tracked]) -> None:
    def source(pkg: str) -> tuple[str, str] | None:
        t = tracked[pkg]
        assert t.problem is None, t.problem
        assert t.source is not None and t.policy.mode == "release"
        return t.source.id, t.source.url

    # The same repository as a fetchFromGitHub of it: one GitHub query serves both.
    assert source("org-gh") == ("github:acme/gh", "https://github.com/acme/gh")
    assert tracked["org-gh"].current == "1.2.0"
    assert source("org-cb") == ("forgejo:codeberg.org/bob/cb", "https://codeberg.org/bob/cb")
    assert source("org-gl") == ("gitlab:gitlab.com/carol/gl", "https://gitlab.com/carol/gl")
    # The config names the host's forge.
    assert source("org-own") == ("gitea:git.example.net/dan/own", "https://git.example.net/dan/own")


def test_floating_and_unknown_downloads_are_not_followed(tracked: dict[str, Tracked]) -> None:
    nightly = tracked["org-nightly"]
    assert nightly.problem is not None and "floating" in nightly.problem
    assert nightly.source is None
    site = tracked["org-site"]
    assert site.source is None and site.problem is not None and "no known source" in site.problem


@pytest.mark.parametrize(
    "url",
    [
        "https://github.com/o/r/releases/latest/download/x.tar.gz",
        "https://github.com/o/r/releases/download/v${version}/x",  # not resolved
        "http://github.com/o/r/releases/download/v1/x",
        "https://github.com:8443/o/r/releases/download/v1/x",
        "https://user@github.com/o/r/releases/download/v1/x",
        "https://github.com/o/r/archive/v1.tar.gz",
        "https://github.com/o/r/releases/download/v1/",
        "https://github.com/o/r.git/releases/download/v1/x",
    ],
)
def test_urls_that_name_no_release(url: str) -> None:
    assert release_asset_of(url) is None


def test_release_asset_parts() -> None:
    a = release_asset_of("https://GitHub.com/o/r/releases/download/v1.2/r-${platform}.tgz")
    assert a is not None
    assert (a.domain, a.owner, a.repo, a.tag, a.asset, a.shape) == (
        "github.com", "o", "r", "v1.2", "r-${platform}.tgz", "releases",
    )  # fmt: skip
    g = release_asset_of("https://gitlab.com/g/sub/p/-/releases/v3/downloads/bin/p")
    assert g is not None and (g.owner, g.repo, g.tag, g.shape) == ("g/sub", "p", "v3", "gitlab")


# -- the fixture NUR: `updater check` and `updater run` -------------------------------------


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    if shutil.which("nix-build") is None:
        pytest.skip("nix-build is not installed")
    with World(tmp_path_factory.mktemp("assets-world")) as w:
        yield w


def updater(w: World, tmp_path: Path, *args: str) -> subprocess.CompletedProcess[str]:
    config = tmp_path / "updater.toml"
    config.write_text(f'[state]\nurl = "sqlite:///{tmp_path / "state.db"}"\n')
    return subprocess.run(
        [sys.executable, "-m", "updater", "--repo", str(w.nur_path), "--config", str(config),
         "--log-format", "json", "-q", *args],
        capture_output=True, text=True, timeout=600, env=w.process_env(), check=False,
    )  # fmt: skip


def _json(proc: subprocess.CompletedProcess[str]) -> list[dict[str, Any]]:
    failed = [
        (r.get("unit"), r.get("reason"), (r.get("log_tail") or "")[-1500:])
        for r in (json.loads(proc.stdout) if proc.stdout.startswith("[") else [])
        if r.get("outcome") == "failed"
    ]
    assert proc.returncode == 0, (proc.stderr[-3000:], failed)
    data = json.loads(proc.stdout)
    assert isinstance(data, list)
    return data


def _show(w: World, ref: str, rel: str) -> str:
    done = subprocess.run(
        ["git", "show", f"{ref}:{rel}"], cwd=w.nur_path, env=w.process_env(),
        capture_output=True, text=True, timeout=60, check=True,
    )  # fmt: skip
    return done.stdout


@pytest.mark.nix
def test_run_moves_release_asset_pins_and_refreshes_their_hashes(
    world: World, tmp_path: Path
) -> None:
    atctl = world.upstream("atctl")
    atctl.add_release("0.5.0")
    out = _json(
        updater(
            world,
            tmp_path,
            "run",
            "--no-pr",
            "--json",
            "-p",
            "tools-atctl",
            "-p",
            "tools-atctl-static",
            "-p",
            "tools-atctl-nightly",
        )  # fmt: skip
    )
    by_unit = {r["unit"].split("#")[1]: r for r in out}
    assert (by_unit["tools-atctl"]["old"], by_unit["tools-atctl"]["new"]) == ("0.4.0", "0.5.0")
    assert by_unit["tools-atctl-static"]["new"] == "0.5.0"
    nightly = by_unit["tools-atctl-nightly"]
    assert nightly["outcome"] == "skipped" and "floating" in nightly["reason"]

    zipped = _show(world, "updater/tools-atctl", "pkgs/tools/atctl.nix")
    assert 'version = "0.5.0";' in zipped and "releases/download/v${version}/" in zipped
    linux = atctl.asset_hash("v0.5.0", "atctl-0.5.0-linux-amd64.tar.gz", unpack=True)
    assert f'x86_64-linux = "{linux}";' in zipped
    # A downloaded file's hash does not depend on who downloads it: every system's entry is
    # computed here from the URL that system's evaluation names.
    darwin = atctl.asset_hash("v0.5.0", "atctl-0.5.0-darwin-universal.tar.gz", unpack=True)
    assert zipped.count(f'"{darwin}"') == 2

    plain = _show(world, "updater/tools-atctl-static", "pkgs/tools/atctl-static.nix")
    assert 'version = "0.5.0";' in plain
    m = re.search(r'"x86_64-linux" then\s*"([0-9a-z]+)"', plain)
    assert m is not None, plain
    assert to_sri(m[1]) == atctl.asset_hash("v0.5.0", "atctl-linux-amd64", unpack=False)
    arm = atctl.asset_hash("v0.5.0", "atctl-darwin-arm64", unpack=False)
    assert f'"{parse(arm).base32}"' in plain  # aarch64-darwin, in its notation
    branches = subprocess.run(
        ["git", "branch", "--list", "updater/*"], cwd=world.nur_path, env=world.process_env(),
        capture_output=True, text=True, timeout=60, check=True,
    ).stdout.split()  # fmt: skip
    assert sorted(branches) == ["updater/tools-atctl", "updater/tools-atctl-static"]
