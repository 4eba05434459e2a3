"""Hash-fixing builds and direct prefetch on real fixed-output derivations: they must agree."""

from __future__ import annotations

import functools
import http.server
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from nixworld import NixWorld

from updater.errors import NixError
from updater.nix import prefetch
from updater.nix.fixing import build, fix_hash
from updater.nix.inspect import drv_path
from updater.nix.runner import EvalMode, Installable

pytestmark = pytest.mark.nix


def inst(world: NixWorld, attr: str, mode: EvalMode = EvalMode.DEFAULT_NIX) -> Installable:
    return Installable(world.repo, attr, mode)


def test_archive_prefetch_and_fixing_build_agree(nix_world: NixWorld) -> None:
    fixed = fix_hash(nix_world.runner, inst(nix_world, "archive-src"))
    assert fixed.specified.is_fake and not fixed.from_dependency
    assert fixed.drv_path == drv_path(nix_world.runner, inst(nix_world, "archive-src"))
    assert prefetch.prefetch_archive(nix_world.runner, nix_world.archive_url) == fixed.got
    # Written back, the hash builds.
    nix_world.write_pins(archiveHash=fixed.sri)
    (out,) = build(nix_world.runner, [inst(nix_world, "archive-src")])
    assert (Path(out) / "a.txt").read_text() == "hello\n"


def test_file_prefetch_and_fixing_build_agree(nix_world: NixWorld) -> None:
    fixed = fix_hash(nix_world.runner, inst(nix_world, "file-src"))
    assert prefetch.prefetch_file(nix_world.runner, nix_world.archive_url) == fixed.got
    assert prefetch.prefetch_archive(nix_world.runner, nix_world.archive_url) != fixed.got


@pytest.mark.parametrize("submodules", [False, True], ids=["plain", "submodules"])
def test_git_prefetch_and_fixing_build_agree(nix_world: NixWorld, submodules: bool) -> None:
    nix_world.write_pins(fetchSubmodules=submodules)
    fixed = fix_hash(nix_world.runner, inst(nix_world, "git-src"))
    source = prefetch.GitSource(nix_world.git_repo.as_uri(), nix_world.rev, submodules)
    assert prefetch.prefetch(nix_world.runner, source) == fixed.got
    nix_world.write_pins(gitHash=fixed.sri)
    (out,) = build(nix_world.runner, [inst(nix_world, "git-src")])
    assert (Path(out) / "vendor/sub/lib.txt").exists() is submodules
    assert not list(Path(out).rglob(".git"))


def test_git_and_archive_hashes_of_one_rev_differ(nix_world: NixWorld) -> None:
    # forceFetchGit matters: export-ignore and submodules make the two trees differ.
    git_hash = prefetch.prefetch(
        nix_world.runner, prefetch.GitSource(nix_world.git_repo.as_uri(), nix_world.rev)
    )
    assert git_hash != prefetch.prefetch(
        nix_world.runner, prefetch.ArchiveSource(nix_world.archive_url)
    )


def test_git_prefetch_by_tag_name(nix_world: NixWorld) -> None:
    from nixworld import git

    git(nix_world.git_repo, "tag", "v1.0")
    by_tag = prefetch.prefetch_git(
        nix_world.runner, prefetch.GitSource(nix_world.git_repo.as_uri(), "v1.0")
    )
    by_rev = prefetch.prefetch_git(
        nix_world.runner, prefetch.GitSource(nix_world.git_repo.as_uri(), nix_world.rev)
    )
    assert by_tag == by_rev


@pytest.fixture
def http_root(tmp_path: Path) -> Iterator[tuple[Path, str]]:
    root = tmp_path / "www"
    root.mkdir()
    handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=str(root))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield root, f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


def test_prefetch_and_build_over_http(nix_world: NixWorld, http_root: tuple[Path, str]) -> None:
    root, base = http_root
    (root / "archive").mkdir()
    (root / "archive" / "v1.tar.gz").write_bytes(nix_world.archive.read_bytes())
    url = f"{base}/archive/v1.tar.gz"
    nix_world.write_pins(archiveUrl=url)
    fixed = fix_hash(nix_world.runner, inst(nix_world, "archive-src"))
    assert prefetch.prefetch_archive(nix_world.runner, url) == fixed.got


def test_dependency_fod_targeted_by_attribute(nix_world: NixWorld) -> None:
    src = fix_hash(nix_world.runner, inst(nix_world, "pkg.src"))
    nix_world.write_pins(archiveHash=src.sri)
    deps = fix_hash(nix_world.runner, inst(nix_world, "pkg.goModules"))
    assert not deps.from_dependency and deps.got != src.got
    nix_world.write_pins(depsHash=deps.sri)
    (out,) = build(nix_world.runner, [inst(nix_world, "pkg")])
    assert (Path(out) / "deps/modules.txt").read_text() == "hello\nvendored\n"


def test_mismatch_in_another_derivation_is_refused_unless_allowed(nix_world: NixWorld) -> None:
    # The source hash is still fake: building goModules fails in src, not in goModules.
    with pytest.raises(NixError, match="another derivation") as info:
        fix_hash(nix_world.runner, inst(nix_world, "pkg.goModules"))
    assert "hash mismatch" in info.value.log_tail
    src = fix_hash(nix_world.runner, inst(nix_world, "archive-src"))
    nix_world.write_pins(archiveHash=src.sri)
    # A FOD with no attribute path of its own: measured by building its consumer.
    via_pkg = fix_hash(nix_world.runner, inst(nix_world, "pkg"), allow_dependency=True)
    assert via_pkg.from_dependency and via_pkg.drv_path.endswith("-pkg-go-modules.drv")
    assert via_pkg.got == fix_hash(nix_world.runner, inst(nix_world, "pkg.goModules")).got
    with pytest.raises(NixError, match="another derivation"):
        fix_hash(nix_world.runner, inst(nix_world, "pkg"))


def test_build_failing_for_another_reason_raises_with_log_tail(nix_world: NixWorld) -> None:
    with pytest.raises(NixError, match="broken") as info:
        fix_hash(nix_world.runner, inst(nix_world, "broken"))
    assert "this build fails on purpose" in info.value.log_tail
    with pytest.raises(NixError) as info:
        build(nix_world.runner, [inst(nix_world, "broken")])
    assert "this build fails on purpose" in info.value.log_tail


def test_build_succeeding_with_the_target_hash_is_an_error(nix_world: NixWorld) -> None:
    with pytest.raises(NixError, match="nothing to fix"):
        fix_hash(nix_world.runner, inst(nix_world, "not-fixed"))
    fixed = fix_hash(nix_world.runner, inst(nix_world, "archive-src"))
    nix_world.write_pins(archiveHash=fixed.sri)
    with pytest.raises(NixError, match="nothing to fix"):
        fix_hash(nix_world.runner, inst(nix_world, "archive-src"))


def test_unknown_attribute_is_an_evaluation_error(nix_world: NixWorld) -> None:
    with pytest.raises(NixError, match="cannot evaluate"):
        fix_hash(nix_world.runner, inst(nix_world, "no-such-package"))


def test_build_several_attributes_in_one_call(nix_world: NixWorld) -> None:
    archive = fix_hash(nix_world.runner, inst(nix_world, "archive-src"))
    flat = fix_hash(nix_world.runner, inst(nix_world, "file-src"))
    nix_world.write_pins(archiveHash=archive.sri, fileHash=flat.sri)
    outs = build(nix_world.runner, [inst(nix_world, "archive-src"), inst(nix_world, "file-src")])
    assert len(outs) == 2 and all(o.startswith("/nix/store/") for o in outs)
    nix_world.write_pins(fileHash=archive.sri)
    with pytest.raises(NixError, match="wrong hash in .*-source.drv"):
        build(nix_world.runner, [inst(nix_world, "archive-src"), inst(nix_world, "file-src")])


def test_flake_mode_fixes_and_builds(nix_world: NixWorld) -> None:
    flake = inst(nix_world, "archive-src", EvalMode.FLAKE)
    fixed = fix_hash(nix_world.runner, flake)
    assert fixed.got == prefetch.prefetch_archive(nix_world.runner, nix_world.archive_url)
    nix_world.write_pins(archiveHash=fixed.sri)
    (out,) = build(nix_world.runner, [flake])
    assert (Path(out) / "a.txt").is_file()


def test_timeout_kills_the_build(nix_world: NixWorld) -> None:
    runner = nix_world.runner.with_options(timeout=1.5)
    started = time.monotonic()
    with pytest.raises(NixError, match="timed out"):
        build(runner, [inst(nix_world, "slow")])
    assert time.monotonic() - started < 15
