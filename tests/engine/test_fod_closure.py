"""Every fixed-output derivation that depends on what changed is rebuilt with its new hash:
the hash world (sandbox/updater_sandbox/hashworld), one package per kind, each moved to a
release that changes its dependencies, updated with real Nix and built. Hashes are compared
with the world's oracle (NAR hashes computed in Python from the upstream trees)."""

from __future__ import annotations

import re
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from engine_world import clone_nur, commit_change, git, git_state, release, show, update

from updater.engine.result import Outcome
from updater_sandbox import nar
from updater_sandbox.hashspec import HASH_UPSTREAMS, HASHWORLD
from updater_sandbox.spec import LOCK_RULES, Kind
from updater_sandbox.world import World

pytestmark = pytest.mark.nix


@pytest.fixture(scope="module")
def hworld(tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    if shutil.which("nix-build") is None:
        pytest.skip("nix-build is not installed")
    with World(
        tmp_path_factory.mktemp("hashworld"), specs=HASH_UPSTREAMS, nur_source=HASHWORLD
    ) as w:
        yield w


@pytest.fixture
def hnur(hworld: World, tmp_path: Path) -> Path:
    return clone_nur(hworld, tmp_path / "nur")


def _moved(w: World, nur: Path, key: str) -> str:
    result = update(w, nur, f"github.com/hw-example/{key}", release(w, key, "v1.1.0"))
    assert result.outcome is Outcome.UPDATED, result.reason + result.log_tail
    assert result.verified and result.built
    assert len(result.build_drvs) == len(set(result.build_drvs)), "a derivation built twice"
    text = show(nur, result.branch or "", f"pkgs/{key}.nix")
    assert w.upstream(key).archive_hash("v1.1.0") in text
    return text


def _with_header(w: World, key: str, kind: Kind, header: str) -> str:
    lock = w.upstream(key).lockfile("v1.1.0")
    rule = LOCK_RULES[kind]
    lines = [ln + "\n" for ln in lock.splitlines() if re.search(rule.pattern, ln)]
    return nar.tree_hash({rule.output: nar.TreeFile((header + "\n" + "".join(lines)).encode())})


def test_own_fetcher_hash_the_scan_cannot_see_is_found_and_rebuilt(
    hworld: World, hnur: Path
) -> None:
    # The data archive's URL follows the version; its hash is an argument of a helper, tied to
    # no package by the scan. Left alone, Nix finds the old archive under the old hash.
    up = hworld.upstream("stale")
    old = up.asset_hash("v1.0.0", "stale-1.0.0-data.tar.gz", unpack=True)
    new = up.asset_hash("v1.1.0", "stale-1.1.0-data.tar.gz", unpack=True)
    assert old != new
    text = _moved(hworld, hnur, "stale")
    assert f'releaseData "{new}"' in text and old not in text


def test_unknown_fetcher_whose_name_ignores_the_version(hworld: World, hnur: Path) -> None:
    up = hworld.upstream("gomods")
    text = _moved(hworld, hnur, "gomods")
    assert up.deps_hash("v1.1.0") != up.deps_hash("v1.0.0")
    assert f'hash = "{up.deps_hash("v1.1.0")}"' in text


def test_cargo_hash_of_fetch_cargo_vendor_is_the_vendor_staging_hash(
    hworld: World, hnur: Path
) -> None:
    up = hworld.upstream("crate")
    text = _moved(hworld, hnur, "crate")
    assert f'cargoHash = "{up.deps_hash("v1.1.0")}"' in text


def test_fetch_yarn_deps_of_a_yarn_lock_in_the_source(hworld: World, hnur: Path) -> None:
    up = hworld.upstream("yarnapp")
    text = _moved(hworld, hnur, "yarnapp")
    assert f'hash = "{up.deps_hash("v1.1.0")}"' in text


def test_pnpm_deps_hash_follows_the_fetcher_version(hworld: World, hnur: Path) -> None:
    text = _moved(hworld, hnur, "pnpmapp")
    expected = _with_header(hworld, "pnpmapp", Kind.PNPM, "fetcherVersion: 2")
    assert expected != hworld.upstream("pnpmapp").deps_hash("v1.1.0")
    assert f'hash = "{expected}"' in text and "fetcherVersion = 2;" in text


def test_fetch_npm_deps(hworld: World, hnur: Path) -> None:
    up = hworld.upstream("npmapp")
    text = _moved(hworld, hnur, "npmapp")
    assert f'hash = "{up.deps_hash("v1.1.0")}"' in text


def test_go_proxy_vendor_hash(hworld: World, hnur: Path) -> None:
    text = _moved(hworld, hnur, "goproxy")
    expected = _with_header(hworld, "goproxy", Kind.GO, "proxy-vendor: GOPROXY=file://$out")
    assert f'vendorHash = "{expected}"' in text


def test_a_stale_hash_no_file_of_the_package_holds_is_refused(hworld: World, hnur: Path) -> None:
    # The data hash moves to a file that defines no package: nothing the bot may edit holds
    # it, so the update must not pass as verified with the old archive found in the store.
    up = hworld.upstream("stale")
    old = up.asset_hash("v1.0.0", "stale-1.0.0-data.tar.gz", unpack=True)
    (hnur / "pkgs/stale-data.nix").write_text(f'"{old}"\n')
    git(hnur, "add", "pkgs/stale-data.nix")
    commit_change(hnur, "pkgs/stale.nix", f'"{old}"', "(import ./stale-data.nix)")
    before = git_state(hnur)
    result = update(hworld, hnur, "github.com/hw-example/stale", release(hworld, "stale", "v1.1.0"))
    assert result.outcome is Outcome.FAILED
    assert "stale fixed-output hash" in result.reason and "stale-1.1.0" not in result.reason
    assert old in result.reason and result.branch is None
    assert git_state(hnur) == before
