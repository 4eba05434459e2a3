"""`scan_repository` on small repositories holding each pattern real NUR files use."""

from __future__ import annotations

from pathlib import Path

from conftest import RepoWriter
from nixfile_helpers import b16, b32, sri

from updater.nixfile.model import HashFormat, Pin, PinKind, ScanResult
from updater.nixfile.repository import scan_repository

REV = "0123456789abcdef0123456789abcdef01234567"
REV2 = "89abcdef0123456789abcdef0123456789abcdef"


def one(result: ScanResult, file: str, kind: PinKind, line: int | None = None) -> Pin:
    found = [
        p
        for p in result.pins
        if p.file == file and p.kind is kind and (line is None or p.line == line)
    ]
    assert len(found) == 1, [(p.file, p.line, p.kind, p.value) for p in found]
    return found[0]


def scan(write_repo: RepoWriter, files: dict[str, str]) -> tuple[Path, ScanResult]:
    repo = write_repo(files)
    return repo, scan_repository(repo)


def test_tangled_fetcher_with_handle_owner_and_forced_git(write_repo: RepoWriter) -> None:
    repo, result = scan(
        write_repo,
        {
            "pkgs/at/tool.nix": f"""{{ buildGoModule, fetchFromTangled }}:
buildGoModule {{
  pname = "tool";
  version = "0.1.0";
  src = fetchFromTangled {{
    domain = "tangled.sh";
    owner = "@alice.example";
    repo = "tool";
    rev = "{REV}"; # bumped by hand
    hash = "{sri(1)}";
    forceFetchGit = true;
  }};
  vendorHash = "{sri(2)}";
}}
"""
        },
    )
    src = one(result, "pkgs/at/tool.nix", PinKind.SRC)
    assert (src.forge, src.domain, src.owner, src.repo) == (
        "tangled",
        "tangled.sh",
        "@alice.example",
        "tool",
    )
    assert src.url == "https://tangled.sh/@alice.example/tool"
    assert src.line == 5 and src.fetcher == "fetchFromTangled"
    rev = one(result, "pkgs/at/tool.nix", PinKind.REV)
    assert (rev.value, rev.line, rev.literal, rev.group) == (REV, 9, True, src.group)
    source = (repo / "pkgs/at/tool.nix").read_bytes()
    assert source[rev.start : rev.end] == REV.encode()
    h = one(result, "pkgs/at/tool.nix", PinKind.HASH)
    assert (h.value, h.format, h.attr, h.line) == (sri(1), HashFormat.SRI, "hash", 10)
    vendor = one(result, "pkgs/at/tool.nix", PinKind.VENDOR_HASH)
    assert vendor.group == src.group and vendor.line == 13
    version = one(result, "pkgs/at/tool.nix", PinKind.VERSION)
    assert (version.value, version.group) == ("0.1.0", src.group)


def test_tangled_default_domain_and_plain_fetchgit_url(write_repo: RepoWriter) -> None:
    _, result = scan(
        write_repo,
        {
            "pkgs/a/x.nix": f"""{{ fetchFromTangled, fetchgit, stdenv }}:
{{
  x = stdenv.mkDerivation {{
    pname = "x"; version = "unstable";
    src = fetchFromTangled {{ owner = "@bob.dev"; repo = "x"; rev = "{REV}"; hash = "{sri(3)}"; }};
  }};
  y = stdenv.mkDerivation {{
    pname = "y"; version = "unstable-2025-01-23";
    src = fetchgit {{ url = "https://tangled.org/@bob.dev/y"; rev = "{REV2}"; hash = "{sri(4)}"; }};
  }};
}}
"""
        },
    )
    groups = {p.group for p in result.pins if p.kind is PinKind.SRC}
    assert groups == {"tangled.org/@bob.dev/x", "tangled.org/@bob.dev/y"}
    y = [p for p in result.pins if p.group == "tangled.org/@bob.dev/y"]
    assert {p.kind for p in y} == {PinKind.SRC, PinKind.REV, PinKind.HASH, PinKind.VERSION}
    assert all(p.forge == "tangled" for p in y)


def test_github_gitea_gitlab_and_qualified_fetchers(write_repo: RepoWriter) -> None:
    _, result = scan(
        write_repo,
        {
            "pkgs/o/all.nix": f"""{{ pkgs, fetchFromGitea, fetchgit }}:
[
  (pkgs.fetchFromGitHub {{ owner = "Owner"; repo = "Repo"; rev = "{REV}"; hash = "{sri(5)}"; }})
  (fetchFromGitea {{ domain = "codeberg.org"; owner = "c"; repo = "d"; tag = "v1.2"; hash = "{sri(6)}"; }})
  (fetchgit {{ url = "https://gitlab.com/group/sub/proj.git"; rev = "{REV}"; sha256 = "{sri(7)}"; }})
]
"""
        },
    )
    srcs = {p.group: p for p in result.pins if p.kind is PinKind.SRC}
    assert set(srcs) == {"github.com/owner/repo", "codeberg.org/c/d", "gitlab.com/group/sub/proj"}
    assert srcs["github.com/owner/repo"].forge == "github"
    assert srcs["codeberg.org/c/d"].forge == "forgejo"
    assert srcs["gitlab.com/group/sub/proj"].owner == "group/sub"
    tag = one(result, "pkgs/o/all.nix", PinKind.TAG)
    assert tag.value == "v1.2" and tag.group == "codeberg.org/c/d"
    sha = [p for p in result.pins if p.attr == "sha256"]
    assert len(sha) == 1 and sha[0].kind is PinKind.HASH and sha[0].format is HashFormat.SRI


def test_rev_from_version_in_rec_set_points_at_the_version_literal(write_repo: RepoWriter) -> None:
    repo, result = scan(
        write_repo,
        {
            "pkgs/o/p.nix": f"""{{ stdenv, fetchFromGitHub }}:
stdenv.mkDerivation rec {{
  pname = "p";
  version = "1.4.0";
  src = fetchFromGitHub {{
    owner = "o";
    repo = "p";
    rev = "v${{version}}";
    hash = "{sri(8)}";
  }};
}}
"""
        },
    )
    rev = one(result, "pkgs/o/p.nix", PinKind.REV)
    version = one(result, "pkgs/o/p.nix", PinKind.VERSION)
    assert not rev.literal
    assert rev.value == "v${version}" and rev.resolved == "v1.4.0"
    assert rev.depends_on == (version.location,)
    assert version.group == rev.group == "github.com/o/p"
    assert (repo / "pkgs/o/p.nix").read_bytes()[version.start : version.end] == b"1.4.0"


def test_independent_tag_and_version_literals(write_repo: RepoWriter) -> None:
    _, result = scan(
        write_repo,
        {
            "pkgs/o/p.nix": f"""{{ buildNpmPackage, fetchFromGitHub }}:
buildNpmPackage {{
  pname = "p";
  version = "1.11.0-alpha";
  src = fetchFromGitHub {{ owner = "o"; repo = "p"; tag = "v1.11.0-alpha"; hash = "{sri(9)}"; }};
  npmDepsHash = "{sri(10)}";
}}
"""
        },
    )
    tag = one(result, "pkgs/o/p.nix", PinKind.TAG)
    assert tag.literal and tag.value == "v1.11.0-alpha" and not tag.depends_on
    assert one(result, "pkgs/o/p.nix", PinKind.VERSION).value == "1.11.0-alpha"
    assert one(result, "pkgs/o/p.nix", PinKind.NPM_DEPS_HASH).group == "github.com/o/p"


def test_floating_references_are_reported(write_repo: RepoWriter) -> None:
    _, result = scan(
        write_repo,
        {
            "pkgs/o/f.nix": f"""{{ fetchgit, fetchurl }}:
{{
  a = fetchgit {{ url = "https://git.example.org/a.git"; rev = "HEAD"; hash = "{sri(11)}"; }};
  b = fetchurl {{ url = "https://github.com/o/b/releases/latest/download/b.tar.gz"; hash = "{sri(12)}"; }};
  c = fetchurl {{ url = "https://cdn.example.org/npm/thing@3.x.x/dist/thing.js"; hash = "{sri(13)}"; }};
  d = fetchurl {{ url = "https://github.com/o/d/releases/download/v1.0/d.tar.gz"; hash = "{sri(14)}"; }};
}}
"""
        },
    )
    rev = one(result, "pkgs/o/f.nix", PinKind.REV)
    assert rev.value == "HEAD" and rev.floating
    urls = {p.line: p for p in result.pins if p.kind is PinKind.URL}
    assert urls[4].floating and urls[5].floating and not urls[6].floating
    srcs = {p.line: p for p in result.pins if p.kind is PinKind.SRC}
    assert srcs[3].floating and srcs[4].floating and not srcs[6].floating
    assert urls[6].group == "github.com/o/d"


def test_hash_formats(write_repo: RepoWriter) -> None:
    malformed_b32 = "sha256-" + b32(1)
    malformed_hex = "sha256-" + b16(2)
    repo, result = scan(
        write_repo,
        {
            "pkgs/o/h.nix": f"""{{ fetchurl, lib }}:
[
  (fetchurl {{ url = "https://e.org/1"; sha256 = "{sri(1)}"; }})
  (fetchurl {{ url = "https://e.org/2"; sha256 = "{b32(2)}"; }})
  (fetchurl {{ url = "https://e.org/3"; sha256 = "sha256:" + "{b32(3)}"; }})
  (fetchurl {{ url = "https://e.org/4"; hash = "{malformed_b32}"; }})
  (fetchurl {{ url = "https://e.org/5"; hash = "{malformed_hex}"; }})
  (fetchurl {{ url = "https://e.org/6"; hash = lib.fakeHash; }})
  (fetchurl {{ url = "https://e.org/7"; sha256 = "{b16(7)}"; }})
  (fetchurl {{ url = "https://e.org/8"; hash = ""; }})
]
"""
        },
    )
    hashes = {p.line: p for p in result.pins if p.kind is PinKind.HASH}
    assert hashes[3].format is HashFormat.SRI and hashes[3].attr == "sha256"
    assert hashes[4].format is HashFormat.BASE32
    assert hashes[5].format is HashFormat.PREFIXED
    assert hashes[5].value == "sha256:" + b32(3)
    source = (repo / "pkgs/o/h.nix").read_bytes()
    assert source[hashes[5].start : hashes[5].end] == b32(3).encode() == hashes[5].raw.encode()
    assert hashes[6].format is HashFormat.MALFORMED
    assert hashes[7].format is HashFormat.MALFORMED
    assert hashes[8].format is HashFormat.FAKE and not hashes[8].literal
    assert hashes[8].value == "lib.fakeHash"
    assert source[hashes[8].start : hashes[8].end] == b"lib.fakeHash"
    assert hashes[9].format is HashFormat.BASE16
    assert hashes[10].format is HashFormat.FAKE and hashes[10].value == ""


def test_dependency_hashes_and_hand_written_fod(write_repo: RepoWriter) -> None:
    _, result = scan(
        write_repo,
        {
            "pkgs/o/d.nix": f"""{{ stdenv, rustPlatform, pnpm, fetchFromGitHub, buildGoModule }}:
let
  src = fetchFromGitHub {{ owner = "o"; repo = "d"; rev = "{REV}"; hash = "{sri(1)}"; }};
  nodeModules = stdenv.mkDerivation {{
    name = "d-node-modules";
    inherit src;
    outputHashMode = "recursive";
    outputHash = "{sri(2)}";
  }};
in
{{
  rust = rustPlatform.buildRustPackage {{ pname = "d"; version = "0.1.0"; inherit src; cargoHash = "{sri(3)}"; }};
  legacy = rustPlatform.buildRustPackage {{ pname = "e"; version = "0.1.0"; inherit src; cargoSha256 = "{b32(4)}"; }};
  web = stdenv.mkDerivation (finalAttrs: {{
    pname = "web";
    version = "0.1.0";
    inherit src;
    pnpmDeps = pnpm.fetchDeps {{ inherit (finalAttrs) pname version src; hash = "{sri(5)}"; }};
    buildInputs = [ nodeModules ];
  }});
  web2 = stdenv.mkDerivation {{ pname = "web2"; version = "0.1.0"; inherit src; pnpmDepsHash = "{sri(6)}"; }};
  go = buildGoModule {{ pname = "go"; version = "0.1.0"; inherit src; vendorHash = null; }};
}}
"""
        },
    )
    kinds = {p.line: p.kind for p in result.pins if p.kind.is_dependency_hash}
    assert kinds == {
        8: PinKind.OUTPUT_HASH,
        12: PinKind.CARGO_HASH,
        13: PinKind.CARGO_HASH,
        18: PinKind.PNPM_DEPS_HASH,
        21: PinKind.PNPM_DEPS_HASH,
    }
    assert {p.group for p in result.pins} == {"github.com/o/d"}
    assert one(result, "pkgs/o/d.nix", PinKind.CARGO_HASH, 13).attr == "cargoSha256"


def test_per_platform_attrset_and_if_chain(write_repo: RepoWriter) -> None:
    _, result = scan(
        write_repo,
        {
            "pkgs/o/bin.nix": f"""{{ stdenv, fetchurl }}:
let
  version = "2.0.1";
  hashes = {{
    x86_64-linux = "{sri(1)}";
    aarch64-linux = "{sri(2)}";
    aarch64-darwin = "{sri(2)}";
  }};
  arch = if stdenv.system == "x86_64-linux" then "amd64" else "arm64";
in
stdenv.mkDerivation {{
  pname = "bin";
  inherit version;
  src = fetchurl {{
    url = "https://github.com/o/bin/releases/download/v${{version}}/bin-${{arch}}.tar.gz";
    hash = hashes.${{stdenv.hostPlatform.system}};
  }};
  deps = stdenv.mkDerivation {{
    name = "deps";
    outputHash =
      if stdenv.system == "x86_64-linux" then "{sri(3)}"
      else if "aarch64-darwin" == stdenv.system then "{sri(4)}"
      else throw "unsupported";
  }};
}}
"""
        },
    )
    hashes = sorted((p.line, p.system) for p in result.pins if p.kind is PinKind.HASH)
    assert hashes == [(5, "x86_64-linux"), (6, "aarch64-linux"), (7, "aarch64-darwin")]
    outputs = sorted((p.line, p.system) for p in result.pins if p.kind is PinKind.OUTPUT_HASH)
    assert outputs == [(21, "x86_64-linux"), (22, "aarch64-darwin")]
    shared = [p for p in result.pins if p.kind is PinKind.HASH and p.value == sri(2)]
    assert len(shared) == 2 and not any(p.copies for p in shared)  # different systems
    url = one(result, "pkgs/o/bin.nix", PinKind.URL)
    version = one(result, "pkgs/o/bin.nix", PinKind.VERSION)
    assert url.depends_on == (version.location,)
    assert url.group == "github.com/o/bin" == version.group
    assert url.resolved is not None and url.resolved.startswith(
        "https://github.com/o/bin/releases/download/v2.0.1/"
    )


def test_trailing_comments_and_monorepo_subdirs(write_repo: RepoWriter) -> None:
    _, result = scan(
        write_repo,
        {
            "pkgs/o/m.nix": f"""{{ buildGoModule, fetchFromGitHub }}:
let
  src = fetchFromGitHub {{
    owner = "o"; repo = "mono";
    rev = "{REV}"; # main as of 2025-01-23
    hash = "{sri(1)}"; # do not touch by hand
  }};
in {{
  a = buildGoModule {{ pname = "a"; version = "0"; src = "${{src}}/a"; vendorHash = "{sri(2)}"; }};
  b = buildGoModule {{ pname = "b"; version = "0"; inherit src; sourceRoot = "${{src.name}}/b"; vendorHash = "{sri(3)}"; }};
}}
"""
        },
    )
    assert one(result, "pkgs/o/m.nix", PinKind.REV).value == REV
    vendors = [p for p in result.pins if p.kind is PinKind.VENDOR_HASH]
    assert {p.group for p in vendors} == {"github.com/o/mono"}


def test_same_hash_literal_twice_in_one_file_stays_two_pins(write_repo: RepoWriter) -> None:
    repo, result = scan(
        write_repo,
        {
            "pkgs/o/two.nix": f"""{{ fetchFromGitHub, buildGoModule }}:
{{
  one = buildGoModule {{
    pname = "one"; version = "1";
    src = fetchFromGitHub {{ owner = "o"; repo = "one"; rev = "{REV}"; hash = "{sri(1)}"; }};
    vendorHash = "{sri(9)}";
  }};
  two = buildGoModule {{
    pname = "two"; version = "1";
    src = fetchFromGitHub {{ owner = "o"; repo = "two"; rev = "{REV}"; hash = "{sri(2)}"; }};
    vendorHash = "{sri(9)}";
  }};
}}
"""
        },
    )
    vendors = [p for p in result.pins if p.kind is PinKind.VENDOR_HASH]
    assert [p.line for p in vendors] == [6, 11]
    assert vendors[0].start != vendors[1].start
    assert {p.group for p in vendors} == {"github.com/o/one", "github.com/o/two"}
    assert not vendors[0].copies and not vendors[1].copies


def test_unreadable_and_damaged_files_do_not_stop_the_scan(write_repo: RepoWriter) -> None:
    _, result = scan(
        write_repo,
        {
            "pkgs/o/comma.nix": f"""{{ stdenv, fetchFromGitHub, }}:
stdenv.mkDerivation {{
  pname = "c"; version = "1.0";
  src = fetchFromGitHub {{ owner = "o"; repo = "c"; rev = "{REV}"; hash = "{sri(1)}"; }};
}}
""",
            "pkgs/o/broken.nix": f"""{{ fetchFromGitHub }}:
{{
  ok = fetchFromGitHub {{ owner = "o"; repo = "ok"; rev = "{REV}"; hash = "{sri(2)}"; }};
  bad = ) ( ;
}}
""",
            "pkgs/o/fine.nix": f"""{{ fetchFromGitHub }}:
fetchFromGitHub {{ owner = "o"; repo = "fine"; rev = "{REV}"; hash = "{sri(3)}"; }}
""",
        },
    )
    files_with_hash = {p.file for p in result.pins if p.kind is PinKind.HASH}
    assert files_with_hash == {"pkgs/o/comma.nix", "pkgs/o/broken.nix", "pkgs/o/fine.nix"}
    # the trailing comma is valid Nix: no warning; the real syntax error is one error
    assert result.warnings == ()
    assert [(e.file, e.line, e.column) for e in result.errors] == [("pkgs/o/broken.nix", 4, 9)]
