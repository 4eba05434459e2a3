"""`# updater: ...` comments: which pins they apply to, and warnings for bad ones."""

from __future__ import annotations

from conftest import RepoWriter
from nixfile_helpers import sri

from updater.nixfile.directives import parse_comment
from updater.nixfile.model import PinKind
from updater.nixfile.repository import scan_repository

REV = "0123456789abcdef0123456789abcdef01234567"


def test_directive_placement_and_scope(write_repo: RepoWriter) -> None:
    repo = write_repo(
        {
            "pkgs/o/default.nix": """{ callPackage }:
{
  # updater: skip
  frozen = callPackage ./frozen.nix { };
  live = callPackage ./live.nix { };
}
""",
            "pkgs/o/frozen.nix": f"""{{ fetchFromGitHub }}:
fetchFromGitHub {{ owner = "o"; repo = "frozen"; rev = "{REV}"; hash = "{sri(1)}"; }}
""",
            "pkgs/o/live.nix": f"""# updater: prereleases
{{ stdenv, fetchFromGitHub }}:
stdenv.mkDerivation {{
  pname = "live";
  version = "1.0";
  # updater: branch release/1.x
  # updater: tags v1.*
  src = fetchFromGitHub {{
    owner = "o";
    repo = "live";
    rev = "{REV}"; # updater: ignore 1.3.0
    hash = "{sri(2)}";
  }};
}}
""",
        }
    )
    result = scan_repository(repo)
    frozen = [p for p in result.pins if p.file == "pkgs/o/frozen.nix"]
    assert frozen and all(p.skipped for p in frozen)
    live = {p.kind: p for p in result.pins if p.file == "pkgs/o/live.nix"}
    assert not live[PinKind.REV].skipped
    rev_directives = {(d.name, d.argument) for d in live[PinKind.REV].directives}
    assert rev_directives == {
        ("prereleases", ""),
        ("branch", "release/1.x"),
        ("tags", "v1.*"),
        ("ignore", "1.3.0"),
    }
    hash_directives = {(d.name, d.argument) for d in live[PinKind.HASH].directives}
    assert ("ignore", "1.3.0") not in hash_directives and (
        "branch",
        "release/1.x",
    ) in hash_directives
    assert {(d.name, d.line) for d in live[PinKind.VERSION].directives} == {("prereleases", 1)}
    assert not result.warnings


def test_unknown_and_malformed_directives_are_warned_with_file_and_line(
    write_repo: RepoWriter,
) -> None:
    repo = write_repo(
        {
            "pkgs/o/p.nix": f"""{{ fetchFromGitHub }}:
fetchFromGitHub {{
  owner = "o"; # updater: frobnicate
  repo = "p"; # updater: skip now
  rev = "{REV}"; # updater: branch $(reboot)
  hash = "{sri(1)}"; # updater: tags
}}
"""
        }
    )
    result = scan_repository(repo)
    warned = {(w.file, w.line) for w in result.warnings}
    assert warned == {("pkgs/o/p.nix", n) for n in (3, 4, 5, 6)}
    assert "frobnicate" in next(w.message for w in result.warnings if w.line == 3)
    assert not any(p.directives for p in result.pins)


def test_parse_comment() -> None:
    assert parse_comment("# updater: branch main") == ("branch", "main")
    assert parse_comment("#updater:skip") == ("skip", "")
    assert parse_comment("# an ordinary comment about the updater") is None
