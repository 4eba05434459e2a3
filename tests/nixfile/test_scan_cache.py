"""The scan cache: an unchanged repository is answered from `.updater/scan-cache.json`, any
changed byte the scan reads gives a fresh scan, and a damaged cache is never trusted."""

from __future__ import annotations

import dataclasses
import subprocess
from pathlib import Path

from conftest import RepoWriter
from nixfile_helpers import sri

from updater.nixfile.cache import CACHE_FILE, scan_cached, scan_key
from updater.nixfile.repository import scan_repository

PACKAGE = """{ lib, stdenv, fetchFromGitHub, }:
stdenv.mkDerivation {
  pname = "tool";
  version = "1.0.0";
  src = fetchFromGitHub {
    owner = "acme";
    repo = "tool";
    rev = "v1.0.0";
    hash = "%s";
  };
}
"""
FILES = {
    "default.nix": "{ pkgs ? import <nixpkgs> { } }:\n{ tool = pkgs.callPackage ./pkgs/tool { }; }\n",
    "pkgs/tool/default.nix": PACKAGE % sri(1),
}


def _hashes(result: object) -> list[str]:
    pins = getattr(result, "pins", ())
    return sorted(p.value for p in pins if p.kind.value == "hash" and p.value)


def test_an_unchanged_repository_is_answered_from_the_cache(write_repo: RepoWriter) -> None:
    repo = write_repo(FILES)
    first = scan_cached(repo)
    assert first == scan_repository(repo)
    assert (repo / CACHE_FILE).is_file()
    assert (repo / ".updater" / ".gitignore").read_text() == "*\n"
    # A result planted under the right key is what the next scan returns: the cache is used.
    planted = dataclasses.replace(first, pins=first.pins[:1])
    key = scan_key(repo, "pkgs", ())
    from updater.nixfile.cache import _store

    _store(repo / CACHE_FILE, key, planted)
    assert scan_cached(repo) == planted


def test_a_changed_file_gives_a_fresh_scan(write_repo: RepoWriter) -> None:
    repo = write_repo(FILES)
    assert _hashes(scan_cached(repo)) == [sri(1)]
    (repo / "pkgs/tool/default.nix").write_text(PACKAGE % sri(2))
    assert _hashes(scan_cached(repo)) == [sri(2)]
    # A new file, and options, are part of the key too.
    (repo / "pkgs/other.nix").write_text(PACKAGE % sri(3))
    assert sri(3) in _hashes(scan_cached(repo))
    assert sri(3) not in _hashes(scan_cached(repo, exclude=["pkgs/other.nix"]))


def test_an_npins_document_is_part_of_the_key(write_repo: RepoWriter) -> None:
    repo = write_repo(FILES)
    before = scan_key(repo, "pkgs", ())
    (repo / "npins").mkdir()
    (repo / "npins/sources.json").write_text('{"pins": {}, "version": 3}')
    assert scan_key(repo, "pkgs", ()) != before


def test_a_damaged_or_foreign_cache_is_not_trusted(write_repo: RepoWriter) -> None:
    repo = write_repo(FILES)
    fresh = scan_repository(repo)
    path = repo / CACHE_FILE
    path.parent.mkdir()
    key = scan_key(repo, "pkgs", ())
    path.write_bytes(key.encode() + b"\n{not json")
    assert scan_cached(repo) == fresh
    path.write_bytes(b"another-key\n" + path.read_bytes().split(b"\n", 1)[1])
    assert scan_cached(repo) == fresh


def test_the_cache_stays_out_of_git_status(write_repo: RepoWriter) -> None:
    repo = write_repo(FILES)
    subprocess.run(["git", "init", "-q", str(repo)], check=True, timeout=30)
    subprocess.run(["git", "-C", str(repo), "add", "-A"], check=True, timeout=30)
    scan_cached(repo)
    status = subprocess.run(
        ["git", "-C", str(repo), "status", "--porcelain"],
        check=True,
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert ".updater" not in status.stdout
    assert scan_cached(repo).files == ("default.nix", "pkgs/tool/default.nix")


def test_a_repository_it_cannot_write_to_still_scans(
    write_repo: RepoWriter, tmp_path: Path
) -> None:
    repo = write_repo(FILES)
    (repo / ".updater").write_text("a file where the directory would be")
    assert scan_cached(repo) == scan_repository(repo)


def test_a_command_that_writes_nothing_reads_the_cache_but_does_not_fill_it(
    write_repo: RepoWriter,
) -> None:
    repo = write_repo(FILES)
    assert scan_cached(repo, keep=False) == scan_repository(repo)
    assert not (repo / ".updater").exists()
