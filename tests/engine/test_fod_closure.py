"""Every fixed-output derivation that depends on what changed is rebuilt with its new hash:
the hash world (sandbox/updater_sandbox/hashworld), one package per kind, each moved to a
release that changes its dependencies, updated with real Nix and built. Hashes are compared
with the world's oracle (NAR hashes computed in Python from the upstream trees)."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from engine_world import clone_nur, commit_change, git, git_state, release, show, update

from updater.engine.result import Outcome
from updater.nixhash import parse
from updater_sandbox import nar
from updater_sandbox.hashspec import HASH_UPSTREAMS, HASHWORLD, SYSTEMS, node_modules_hash
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


def _moved(w: World, nur: Path, key: str, how: dict[str, str] | None = None) -> str:
    """Update `key` to v1.1.0; `how` maps a changed attribute to the start of how it was
    computed."""
    result = update(w, nur, f"github.com/hw-example/{key}", release(w, key, "v1.1.0"))
    assert result.outcome is Outcome.UPDATED, result.reason + result.log_tail
    assert result.verified and result.built
    assert len(result.build_drvs) == len(set(result.build_drvs)), "a derivation built twice"
    for attr, start in (how or {}).items():
        hows = [c.how for c in result.changes if c.attr == attr]
        assert any(h.startswith(start) for h in hows), (attr, hows)
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
    # the staging derivation alone is built, not the package around it
    text = _moved(
        hworld, hnur, "crate", {"cargoHash": "build of crate-1.1.0-vendor-vendor-staging"}
    )
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


def _prefetch_url(w: World, url: str) -> str:
    """nix-prefetch-url of the URL as the world serves it (not the engine's own code)."""
    served = url.replace("https://github.com", w.forge.server_url, 1)
    done = subprocess.run(
        ["nix-prefetch-url", "--type", "sha256", served],
        env=w.process_env(),
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    return parse(done.stdout.strip()).sri


def test_four_system_url_map_is_refreshed_for_every_system_here(hworld: World, hnur: Path) -> None:
    up = hworld.upstream("bins")
    result = update(hworld, hnur, "github.com/hw-example/bins", release(hworld, "bins", "v1.1.0"))
    assert result.outcome is Outcome.UPDATED, result.reason + result.log_tail
    assert result.not_refreshed == () and result.built
    text = show(hnur, result.branch or "", "pkgs/bins.nix")
    base = "https://github.com/hw-example/bins/releases/download/v1.1.0/bins-1.1.0-"
    for system, notation in (
        ("x86_64-linux", "sri"),
        ("aarch64-linux", "base32"),
        ("x86_64-darwin", "prefixed"),
        ("aarch64-darwin", "base16"),
    ):
        got = _prefetch_url(hworld, base + system)
        assert got == up.asset_hash("v1.1.0", f"bins-1.1.0-{system}", unpack=False)
        written = getattr(parse(got), notation)
        assert f'{system} = "{written}";' in text, (system, text)
    assert len({_prefetch_url(hworld, base + s) for s in SYSTEMS}) == 4


def test_builder_dependent_per_system_fod_refreshes_this_system_and_names_the_others(
    hworld: World, hnur: Path
) -> None:
    up = hworld.upstream("nodemods")
    result = update(
        hworld, hnur, "github.com/hw-example/nodemods", release(hworld, "nodemods", "v1.1.0")
    )
    assert result.outcome is Outcome.UPDATED, result.reason + result.log_tail
    text = show(hnur, result.branch or "", "pkgs/nodemods.nix")
    new_lock, old_lock = up.lockfile("v1.1.0"), up.lockfile("v1.0.0")
    assert f'x86_64-linux = "{node_modules_hash(new_lock, "x86_64-linux")}";' in text
    for system in ("aarch64-linux", "aarch64-darwin"):  # left as they were ...
        assert f'{system} = "{node_modules_hash(old_lock, system)}";' in text
    assert sorted(n.system or "" for n in result.not_refreshed) == [
        "aarch64-darwin",
        "aarch64-linux",
    ]
    message = result.message or ""
    assert "not refreshed" in message  # ... and said so, system by system
    assert "aarch64-linux" in message and "aarch64-darwin" in message


def test_stale_cargo_lock_output_hashes_entry_is_refreshed(hworld: World, hnur: Path) -> None:
    # The new Cargo.lock (read from the source) locks the git dependency at another tag under
    # the same "<name>-<version>" key: the entry is stale, though the scan knows no such pin.
    dep = hworld.upstream("gitdep")
    old, new = dep.git_hash("v0.1.0"), dep.git_hash("v0.2.0")
    assert old != new
    text = _moved(hworld, hnur, "gitcrate")
    assert f'"gitdep-0.1.0" = "{new}";' in text and old not in text


def _cli(w: World, repo: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "updater", "--log-format", "json", "-q", "--repo", str(repo), *args],
        env=w.process_env(),
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )


def test_check_counts_the_entries_no_builder_here_can_refresh(hworld: World, hnur: Path) -> None:
    # (`updater run --all` on this world end to end: test_hash_world_run.py.)
    check = _cli(hworld, hnur, "check", "--json", "-p", "nodemods", "-p", "bins")
    assert check.returncode == 0, check.stderr[-2000:]
    rows = {r["package"]: r for r in json.loads(check.stdout)}
    assert rows["nodemods"]["platforms_not_refreshed"] == ["aarch64-darwin", "aarch64-linux"]
    assert "2 per-platform hash(es) no builder here can refresh" in rows["nodemods"]["problem"]
    assert rows["bins"]["platforms_not_refreshed"] == []  # fetched by URL: all refreshable


def test_output_hashes_entries_follow_the_git_dependencies_of_the_lock(
    hworld: World, hnur: Path
) -> None:
    # v1.1.0's Cargo.lock drops gitdep1 and locks gitdep2: importCargoLock names the entry
    # that is no longer used, then the one that is missing; one goes, the other comes.
    old = hworld.upstream("gitdep1").git_hash("v0.1.0")
    new = hworld.upstream("gitdep2").git_hash("v0.2.0")
    text = _moved(
        hworld,
        hnur,
        "gitswap",
        {'"gitdep1-0.1.0"': "removed: no git dependency", '"gitdep2-0.1.0"': "build of gitdep2"},
    )
    assert "gitdep1" not in text and old not in text
    assert f'      "gitdep2-0.1.0" = "{new}";\n    }};' in text, text


def test_a_nix_update_script_subpackage_moves_with_its_package(hworld: World, hnur: Path) -> None:
    # subpkg.modules is no input of subpkg: only its `--subpackage modules` says it moves.
    up = hworld.upstream("subpkg")
    old = node_modules_hash(up.lockfile("v1.0.0"), None)
    new = node_modules_hash(up.lockfile("v1.1.0"), None)
    assert old != new
    text = _moved(hworld, hnur, "subpkg")
    assert f'outputHash = "{new}";' in text and old not in text


def test_without_the_subpackage_flag_the_update_is_refused(hworld: World, hnur: Path) -> None:
    # Without the flag the modules FOD is outside the package's closure: its hash cannot be
    # computed through the package, and the update fails closed instead of leaving it stale.
    commit_change(hnur, "pkgs/subpkg.nix", '"--subpackage"\n        "modules"\n', "")
    before = git_state(hnur)
    target = release(hworld, "subpkg", "v1.1.0")
    result = update(hworld, hnur, "github.com/hw-example/subpkg", target)
    assert result.outcome is Outcome.FAILED and result.branch is None
    assert "pkgs/subpkg.nix:" in result.reason and "--subpackage NAME" in result.reason
    assert git_state(hnur) == before


def test_a_lock_file_copied_into_the_repository_follows_the_source(
    hworld: World, hnur: Path
) -> None:
    # lockcrate keeps a copy of its Cargo.lock beside its file: moved to v1.1.0, the copy is
    # v1.1.0's lock, and the git dependency that lock now names gets its new hash.
    up = hworld.upstream("lockcrate")
    result = update(
        hworld, hnur, "github.com/hw-example/lockcrate", release(hworld, "lockcrate", "v1.1.0")
    )
    assert result.outcome is Outcome.UPDATED, result.reason + result.log_tail
    copied = show(hnur, result.branch or "", "pkgs/lockcrate/Cargo.lock")
    assert copied == up.lockfile("v1.1.0").rstrip("\n")  # (git show drops the last newline)
    assert [(c.file, c.source) for c in result.copied] == [
        ("pkgs/lockcrate/Cargo.lock", "Cargo.lock")
    ]
    text = show(hnur, result.branch or "", "pkgs/lockcrate/default.nix")
    assert f'"gitdep-0.1.0" = "{hworld.upstream("gitdep").git_hash("v0.2.0")}";' in text
    assert up.archive_hash("v1.1.0") in text


@pytest.mark.parametrize("kind", ["made", "fixed"])
def test_a_lock_that_is_not_the_old_sources_fails_closed(
    hworld: World, hnur: Path, kind: str
) -> None:
    # A lock made for the package (no such file upstream) or fixed by its maintainer is not a
    # copy the bot may replace: refused, unless --build shows the package builds with it.
    lock = hnur / "pkgs/lockcrate/Cargo.lock"
    if kind == "made":
        lock.rename(hnur / "pkgs/lockcrate/Cargo-made.lock")
        commit_change(hnur, "pkgs/lockcrate/default.nix", "./Cargo.lock", "./Cargo-made.lock")
        git(hnur, "add", "-A")
        git(hnur, "commit", "--quiet", "-m", "test: a lock made for the package")
        rel = "pkgs/lockcrate/Cargo-made.lock"
    else:
        commit_change(hnur, "pkgs/lockcrate/Cargo.lock", "version = 3", "version = 3\n# fixed")
        rel = "pkgs/lockcrate/Cargo.lock"
    before = git_state(hnur)
    target = release(hworld, "lockcrate", "v1.1.0")
    refused = update(hworld, hnur, "github.com/hw-example/lockcrate", target, build=False)
    assert refused.outcome is Outcome.FAILED and refused.branch is None
    assert refused.reason.startswith(f"{rel}: it is not the old source's"), refused.reason
    assert git_state(hnur) == before
    built = update(hworld, hnur, "github.com/hw-example/lockcrate", target)
    assert built.outcome is Outcome.UPDATED and built.built, built.reason + built.log_tail
    assert f"{rel}: kept as it is" in built.verify_note
    assert show(hnur, built.branch or "", rel) == (hnur / rel).read_text().rstrip("\n")
