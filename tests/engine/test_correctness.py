"""Correctness on the fixture NUR, each case a pattern other tools get wrong. Every update is
built by Nix with the written hashes (settings build=True), and the hashes are compared with the
world's own oracle (NAR hashes computed in Python from the upstream trees)."""

from __future__ import annotations

from pathlib import Path

import pytest
from engine_world import branch_head, commit_change, git, release, show, update

from updater.config import Config, PackageConfig
from updater.engine.result import Outcome
from updater.nixhash import parse
from updater_sandbox.world import World

pytestmark = pytest.mark.nix


def sri(text: str) -> str:
    return parse(text).sri


def test_source_copied_into_six_files_is_built_once(world: World, nur: Path) -> None:
    up = world.upstream("indigo")
    target = branch_head(world, "indigo", "unstable")
    result = update(world, nur, "github.com/indigo-example/indigo", target)
    assert result.outcome is Outcome.UPDATED, result.reason + result.log_tail
    assert result.built and result.verified
    files = ["bigsky", "goat", "hepa", "palomar", "rainbow", "sonar"]
    for name in files:
        text = show(nur, result.branch or "", f"pkgs/indigo/{name}.nix")
        assert f'rev = "{up.head.sha}"' in text
        assert up.archive_hash("HEAD") in text
        assert 'version = "unstable"' in text  # the placeholder is kept
    for name in ("bigsky", "goat"):
        assert up.deps_hash("HEAD") in show(nur, result.branch or "", f"pkgs/indigo/{name}.nix")
    source_builds = [c for c in result.changes if c.how.startswith("build of") and c.attr == "hash"]
    assert len(source_builds) == 1, "one source derivation, one hash-fixing build"
    assert sum(1 for d in result.build_drvs if d.endswith("-source.drv")) == 1
    assert result.message is not None and result.message.startswith("indigo: 7bfb8eaa9712 -> ")
    assert result.branch == "updater/indigo"


def test_source_shared_by_eleven_packages_through_callpackage(world: World, nur: Path) -> None:
    up = world.upstream("atproto")
    result = update(
        world, nur, "github.com/bluesky-example/atproto", branch_head(world, "atproto", "0.1.0")
    )
    assert result.outcome is Outcome.UPDATED, result.reason + result.log_tail
    assert len(result.packages) == 11 and result.built
    text = show(nur, "updater/atproto", "pkgs/atproto/default.nix")
    assert up.head.sha in text and up.archive_hash("HEAD") in text
    assert result.builds == 1
    # the package files fetch nothing and are not touched
    assert git(nur, "diff", "--name-only", "main", "updater/atproto") == "pkgs/atproto/default.nix"


def test_same_hash_literal_twice_in_one_file(world: World, nur: Path) -> None:
    # The source hash and vendorHash hold the same literal: each must get its own new value.
    old = "sha256-x5Iw1cfP8XkFC48AVVPXR32N7nlnkX3acMPk1I8GS3U="
    commit_change(
        nur,
        "pkgs/jetstream/jetstream.nix",
        'vendorHash = "sha256-yLHV1/U/A/hbcfRxIpGoU2O/V5c5R1nd+1sRQjdIbCA="',
        f'vendorHash = "{old}"',
    )
    up = world.upstream("jetstream")
    result = update(
        world, nur, "github.com/bluesky-example/jetstream", release(world, "jetstream", "v0.3.0")
    )
    assert result.outcome is Outcome.UPDATED, result.reason + result.log_tail
    text = show(nur, result.branch or "", "pkgs/jetstream/jetstream.nix")
    assert f'hash = "{up.archive_hash("v0.3.0")}"' in text
    assert f'vendorHash = "{up.deps_hash("v0.3.0")}"' in text
    assert up.archive_hash("v0.3.0") != up.deps_hash("v0.3.0")


def test_rev_follows_version_in_a_rec_set(world: World, nur: Path) -> None:
    result = update(
        world, nur, "github.com/bluesky-example/jetstream", release(world, "jetstream", "v0.3.0")
    )
    assert result.outcome is Outcome.UPDATED, result.reason + result.log_tail
    diff = git(nur, "diff", "main", result.branch or "")
    assert '-  version = "0.2.0";' in diff and '+  version = "0.3.0";' in diff
    changed = [
        ln for ln in diff.splitlines() if ln[:1] in "+-" and not ln.startswith(("+++", "---"))
    ]
    assert not any("rev =" in ln for ln in changed)  # the template is left alone
    assert (
        result.message
        == "jetstream-jetstream: 0.2.0 -> 0.3.0\n\ntag: v0.3.0\ncommit: "
        + (result.commit_rev or "")
        + "\n"
    )
    assert result.branch == "updater/jetstream-jetstream"


def test_version_bound_in_a_let_with_a_hand_written_fod(world: World, nur: Path) -> None:
    up = world.upstream("skyview")
    result = update(
        world, nur, "github.com/webapp-example/skyview", release(world, "skyview", "v2.1.0")
    )
    assert result.outcome is Outcome.UPDATED, result.reason + result.log_tail
    text = show(nur, result.branch or "", "pkgs/webapp/skyview.nix")
    assert 'version = "2.1.0";' in text and 'rev = "v${version}";' in text
    assert up.archive_hash("v2.1.0") in text
    assert f'outputHash = "{up.deps_hash("v2.1.0")}"' in text
    # only the literal in the let moved, not other strings equal to the old version
    assert git(nur, "diff", "--stat", "main", result.branch or "").count("\n") == 1


def test_fod_whose_name_ignores_the_version_is_recomputed(world: World, nur: Path) -> None:
    # `deno-bot-deps` keeps its name across versions: left at its old hash, Nix would reuse the
    # stale output from the store. Faked, it is rebuilt and gets the new lock file's hash.
    up = world.upstream("denobot")
    result = update(
        world, nur, "tangled.org/@deno.example/deno-bot", release(world, "denobot", "v1.12.0-alpha")
    )
    assert result.outcome is Outcome.UPDATED, result.reason + result.log_tail
    text = show(nur, result.branch or "", "pkgs/deno/deno-bot.nix")
    new = up.deps_hash("v1.12.0-alpha")
    assert new != up.deps_hash("v1.11.0-alpha")
    assert f'outputHash = "{new}"' in text
    assert 'tag = "v1.12.0-alpha"' in text and 'version = "1.12.0-alpha"' in text


def test_per_platform_url_map_refreshes_every_system_here(world: World, nur: Path) -> None:
    # The hash of a downloaded file does not depend on who downloads it: every system's entry
    # is computed on this machine from the URL that system's evaluation names.
    up = world.upstream("atctl")
    result = update(
        world, nur, "github.com/atctl-example/atctl#tools-atctl", release(world, "atctl", "v0.4.1")
    )
    assert result.outcome is Outcome.UPDATED, result.reason + result.log_tail
    text = show(nur, result.branch or "", "pkgs/tools/atctl.nix")
    linux = up.asset_hash("v0.4.1", "atctl-0.4.1-linux-amd64.tar.gz", unpack=True)
    darwin = up.asset_hash("v0.4.1", "atctl-0.4.1-darwin-universal.tar.gz", unpack=True)
    assert f'x86_64-linux = "{linux}";' in text
    assert f'x86_64-darwin = "{darwin}";' in text
    assert f'aarch64-darwin = "{darwin}"; # same universal archive' in text
    assert "sha256-LFZ2bKITPfBE/DKeaUoioBfg+cr9uBG/X7zLs8OF218=" not in text
    assert result.not_refreshed == ()
    fetched = [c.how for c in result.changes if c.how.startswith("download of")]
    # the two darwin entries name one URL: fetched once, written twice
    assert len(fetched) == 2 and all("darwin-universal.tar.gz" in h for h in fetched)
    assert result.build_drvs and all("darwin" not in d for d in result.build_drvs)


def test_if_chain_under_sha256_keeps_name_and_base32(world: World, nur: Path) -> None:
    up = world.upstream("atctl")
    # Now both files pin the same version literal of one upstream: copies, they move together.
    commit_change(nur, "pkgs/tools/atctl-static.nix", 'version = "0.4.1"', 'version = "0.4.0"')
    result = update(
        world, nur, "github.com/atctl-example/atctl#tools-atctl", release(world, "atctl", "v0.4.1")
    )
    assert result.outcome is Outcome.UPDATED, result.reason + result.log_tail
    assert result.packages == ("tools-atctl", "tools-atctl-static")
    text = show(nur, result.branch or "", "pkgs/tools/atctl-static.nix")
    new = parse(up.asset_hash("v0.4.1", "atctl-linux-amd64", unpack=False))
    darwin = parse(up.asset_hash("v0.4.1", "atctl-darwin-arm64", unpack=False))
    assert f'"{new.base32}"' in text
    assert f'"{darwin.base32}"' in text  # the other branch of the chain, same notation
    # (the file pinned v0.4.1's hashes already: downloaded, the darwin one comes out the same)
    fetched = {str(c.location): c.how for c in result.changes if c.how.startswith("download of")}
    assert "atctl-darwin-arm64 (aarch64-darwin)" in fetched["pkgs/tools/atctl-static.nix:14"]
    assert result.not_refreshed == ()


def test_sha256_attributes_keep_their_name_and_notation(world: World, nur: Path) -> None:
    up = world.upstream("feedproxy")
    r1 = update(
        world,
        nur,
        "tangled.sh/@legacy.example.net/feed-proxy",
        branch_head(world, "feedproxy", "0.1.0"),
    )
    assert r1.outcome is Outcome.UPDATED, r1.reason + r1.log_tail
    text = show(nur, r1.branch or "", "pkgs/legacy/feed-proxy.nix")
    assert f'sha256 = "{parse(up.archive_hash("HEAD")).base32}"' in text
    assert 'version = "0.1.0"' in text

    lab = world.upstream("labeler")
    r2 = update(
        world,
        nur,
        "gitlab.com/labelgroup/ozone-labeler",
        branch_head(world, "labeler", "v0.5.0-alpha.4"),
    )
    assert r2.outcome is Outcome.UPDATED, r2.reason + r2.log_tail
    text = show(nur, r2.branch or "", "pkgs/labeler/ozone-labeler.nix")
    assert f'sha256 = "{lab.git_hash("HEAD")}"' in text  # SRI under `sha256` stays SRI
    assert lab.deps_hash("HEAD") in text

    fh = world.upstream("firehose")
    r3 = update(
        world,
        nur,
        "github.com/firehose-example/firehose-tools#firehose-firehose-tools",
        release(world, "firehose", "v0.3.1"),
    )
    assert r3.outcome is Outcome.UPDATED, r3.reason + r3.log_tail
    text = show(nur, r3.branch or "", "pkgs/firehose/firehose-tools.nix")
    assert f'sha256 = "sha256:" + "{parse(fh.archive_hash("v0.3.1")).base32}"' in text


def test_placeholder_with_a_date_follows_the_commit_date(world: World, nur: Path) -> None:
    up = world.upstream("knot")
    target = branch_head(world, "knot", "unstable-2025-01-23")
    result = update(world, nur, "tangled.org/@knot.example.org/core", target)
    assert result.outcome is Outcome.UPDATED, result.reason + result.log_tail
    text = show(nur, "updater/knot", "pkgs/knot/services.nix")
    assert f'version = "unstable-{up.head.date:%Y-%m-%d}"' in text
    assert up.git_hash("HEAD") in text  # forceFetchGit: the checkout's hash, not the archive's
    assert up.deps_hash("HEAD") in text
    assert len(result.packages) == 13


@pytest.mark.parametrize("how", ["config", "directive"])
def test_opted_out_package_is_not_touched(world: World, nur: Path, how: str) -> None:
    config = Config()
    if how == "config":
        config = Config(packages={"jetstream-jetstream": PackageConfig(skip=True)})
    else:
        commit_change(
            nur,
            "pkgs/jetstream/jetstream.nix",
            "  vendorHash =",
            "  # updater: skip\n  vendorHash =",
        )
    before = git(nur, "for-each-ref")
    result = update(
        world,
        nur,
        "github.com/bluesky-example/jetstream",
        release(world, "jetstream", "v0.3.0"),
        config,
    )
    assert result.outcome is Outcome.SKIPPED and "opted out" in result.reason
    assert git(nur, "for-each-ref") == before
