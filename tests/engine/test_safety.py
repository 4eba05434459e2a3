"""The user's checkout is never touched: not by a failure midway, not by a dry run; and the two
ways of computing a source hash (hash-fixing build, direct prefetch) agree."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest
from engine_world import branch_head, commit_change, git, git_state, release, settings, update

from updater.engine.result import Outcome
from updater.engine.sourcehash import prefetch_source
from updater.engine.units import units_of
from updater.nixfile.model import PinKind
from updater.nixfile.repository import scan_repository
from updater_sandbox.world import World

pytestmark = pytest.mark.nix


def _user_mess(repo: Path) -> None:
    """A checkout as people leave it: another branch, an uncommitted edit, an untracked file."""
    git(repo, "checkout", "--quiet", "-b", "work")
    path = repo / "pkgs/webapp/skyview.nix"
    path.write_text(path.read_text() + "# my local note\n")
    (repo / "notes.txt").write_text("todo\n")


def test_failure_midway_leaves_the_checkout_untouched(world: World, nur: Path) -> None:
    # The hand-written FOD's build fails for a reason of its own, after the source hash was
    # already computed and written in the scratch worktree.
    commit_change(
        nur,
        "pkgs/webapp/skyview.nix",
        "grep -E '^  (resolved|integrity) ' yarn.lock > offline.txt",
        "echo 'yarn: registry unreachable' >&2; exit 3",
    )
    git(nur, "branch", "main-with-change")
    _user_mess(nur)
    before = git_state(nur)
    file_before = (nur / "pkgs/webapp/skyview.nix").read_bytes()
    result = update(
        world, nur, "github.com/webapp-example/skyview", release(world, "skyview", "v2.1.0")
    )
    assert result.outcome is Outcome.FAILED
    assert "skyview" in result.reason
    assert "registry unreachable" in result.log_tail  # the tail of Nix's log says why
    assert git_state(nur) == before
    assert (nur / "pkgs/webapp/skyview.nix").read_bytes() == file_before
    assert len(git(nur, "worktree", "list").splitlines()) == 1
    assert "updater/" not in git(nur, "branch", "--list")


def test_dry_run_writes_nothing(world: World, nur: Path) -> None:
    git_dir_before = sorted(str(p.relative_to(nur)) for p in (nur / ".git").rglob("*"))
    before = git_state(nur)
    result = update(
        world,
        nur,
        "github.com/bluesky-example/jetstream",
        release(world, "jetstream", "v0.3.0"),
        dry_run=True,
    )
    assert result.outcome is Outcome.UPDATED and result.branch is None and result.commit is None
    assert result.diff is not None
    assert '+  version = "0.3.0";' in result.diff
    assert world.upstream("jetstream").archive_hash("v0.3.0") in result.diff
    assert git_state(nur) == before
    assert sorted(str(p.relative_to(nur)) for p in (nur / ".git").rglob("*")) == git_dir_before
    # the diff applies to the checkout as it is
    check = subprocess.run(
        ["git", "apply", "--check", "-"], cwd=nur, input=result.diff, text=True, capture_output=True
    )
    assert check.returncode == 0, check.stderr


def _src_pin(repo: Path, unit_id: str):  # type: ignore[no-untyped-def]
    scan = scan_repository(repo)
    (unit,) = [u for u in units_of(scan) if u.id == unit_id]
    (src,) = [p for p in unit.pins if p.kind is PinKind.SRC]
    return src


@pytest.mark.parametrize(
    ("unit_id", "key", "how"),
    [
        ("github.com/bluesky-example/jetstream", "jetstream", "archive"),
        ("tangled.org/@knot.example.org/core", "knot", "git (forceFetchGit)"),
        ("gitlab.com/labelgroup/ozone-labeler", "labeler", "fetchgit"),
        ("tangled.sh/@legacy.example.net/feed-proxy", "feedproxy", "tangled archive"),
    ],
)
def test_prefetch_and_hash_fixing_build_agree(
    world: World, nur: Path, unit_id: str, key: str, how: str
) -> None:
    target = release(world, key, "v0.3.0") if key == "jetstream" else branch_head(world, key, "x")
    result = update(world, nur, unit_id, target, build=False)
    assert result.outcome is Outcome.UPDATED, result.reason + result.log_tail
    built = next(c.new for c in result.changes if c.kind is PinKind.HASH)
    runner = settings(world).runner
    prefetched = prefetch_source(runner, _src_pin(nur, unit_id), target)
    assert prefetched.sri == built, how


def test_release_asset_prefetch_agrees(world: World, nur: Path) -> None:
    target = release(world, "atctl", "v0.4.1")
    unit_id = "github.com/atctl-example/atctl#tools-atctl"
    result = update(world, nur, unit_id, target, build=False)
    assert result.outcome is Outcome.UPDATED, result.reason + result.log_tail
    built = next(c.new for c in result.changes if c.kind is PinKind.HASH)
    url = "https://github.com/atctl-example/atctl/releases/download/v0.4.1/atctl-0.4.1-linux-amd64.tar.gz"
    runner = settings(world).runner
    assert prefetch_source(runner, _src_pin(nur, unit_id), target, url).sri == built


def test_package_that_does_not_evaluate_gets_its_source_hash_by_prefetch(
    world: World, nur: Path
) -> None:
    # The package throws as soon as it is looked at: not even its `src` can be evaluated.
    commit_change(
        nur,
        "pkgs/legacy/feed-proxy.nix",
        "stdenv.mkDerivation {",
        'assert builtins.throw "feed-proxy: broken";\nstdenv.mkDerivation {',
    )
    up = world.upstream("feedproxy")
    result = update(
        world,
        nur,
        "tangled.sh/@legacy.example.net/feed-proxy",
        branch_head(world, "feedproxy", "0.1.0"),
    )
    assert result.outcome is Outcome.UPDATED, result.reason + result.log_tail
    (change,) = [c for c in result.changes if c.kind is PinKind.HASH]
    assert change.how == "prefetch"
    assert change.new == up.archive_hash("HEAD")
    assert not result.verified and "not evaluable" in result.verify_note


def test_failed_verification_keeps_no_branch(world: World, nur: Path) -> None:
    # Evaluates while the source hash is a placeholder (the hash-fixing steps: 24 zero bytes,
    # then a nonce, in SRI `sha256-` and 32 `A`s), not with the new hash:
    # the verification runs while the scratch worktree commits, and its verdict must still
    # decide whether a branch is kept.
    commit_change(
        nur,
        "pkgs/feeds/blobstore.nix",
        '  version = "0.9.0";\n',
        '  version = "0.9.0";\n'
        '  onlyFake = assert builtins.match "sha256-A{32}.*" src.outputHash != null; "x";\n',
    )
    before = git_state(nur)
    result = update(
        world, nur, "codeberg.org/blob-example/blobstore", release(world, "blobstore", "v1.0.0")
    )
    assert result.outcome is Outcome.FAILED, result
    assert "cannot evaluate feeds-blobstore" in result.reason, result.reason
    assert "assertion" in result.log_tail
    assert git_state(nur) == before
    assert len(git(nur, "worktree", "list").splitlines()) == 1
    assert "updater/" not in git(nur, "branch", "--list")
