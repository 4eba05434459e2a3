"""Resolution across files: callPackage arguments, shared lets, copied literals, packages."""

from __future__ import annotations

from conftest import RepoWriter
from nixfile_helpers import sri

from updater.nixfile.model import Location, PinKind
from updater.nixfile.repository import scan_repository

REV = "0123456789abcdef0123456789abcdef01234567"
REV_B = "fedcba9876543210fedcba9876543210fedcba98"

TOP = """{ pkgs ? import <nixpkgs> { } }:
let
  inherit (pkgs) lib;
  orgs = lib.filterAttrs (_: t: t == "directory") (builtins.readDir ./.);
in
lib.concatMapAttrs (org: _: lib.mapAttrs' (k: v: lib.nameValuePair "${org}-${k}" v)
  (pkgs.callPackage (./. + "/${org}") { })) orgs
"""

SHARED_ORG = f"""{{ callPackage, fetchFromTangled, symlinkJoin }}:
let
  src = fetchFromTangled {{
    owner = "@atproto.example";
    repo = "monorepo";
    rev = "{REV}";
    hash = "{sri(1)}";
  }};
  packages = {{
{{SERVICES}}  }};
in
packages // {{
  cli = callPackage ./cli {{ src = src; }};
  tool = packages.svc0;
  all = symlinkJoin {{ name = "all"; paths = builtins.attrValues packages; }};
}}
""".replace(
    "{SERVICES}",
    "".join(f"    svc{i} = callPackage ./svc{i}.nix {{ inherit src; }};\n" for i in range(11)),
)


def svc(i: int) -> str:
    return f"""{{ buildGoModule, src }}:
buildGoModule {{
  pname = "svc{i}";
  version = "0.1.0";
  inherit src;
  subPackages = [ "cmd/svc{i}" ];
  vendorHash = "{sri(10 + i)}";
}}
"""


CLI = f"""{{ buildNpmPackage, src }}:
buildNpmPackage {{
  pname = "cli";
  version = "unstable-2025-01-23";
  src = "${{src}}/cli";
  npmDepsHash = "{sri(30)}";
}}
"""


def test_src_passed_as_callpackage_argument_is_one_pin_for_every_package(
    write_repo: RepoWriter,
) -> None:
    files = {
        "pkgs/default.nix": TOP,
        "pkgs/at/default.nix": SHARED_ORG,
        "pkgs/at/cli/default.nix": CLI,
    }
    files.update({f"pkgs/at/svc{i}.nix": svc(i) for i in range(11)})
    result = scan_repository(write_repo(files))
    group = "tangled.org/@atproto.example/monorepo"
    revs = [p for p in result.pins if p.kind is PinKind.REV]
    assert len(revs) == 1 and revs[0].file == "pkgs/at/default.nix" and revs[0].group == group
    # the package files hold no fetcher, yet their pins belong to the shared source
    for i in range(11):
        vendor = next(
            p
            for p in result.pins
            if p.file == f"pkgs/at/svc{i}.nix" and p.kind is PinKind.VENDOR_HASH
        )
        assert vendor.group == group
        assert f"at-svc{i}" in vendor.packages
    cli = next(p for p in result.pins if p.kind is PinKind.NPM_DEPS_HASH)
    assert cli.group == group and cli.packages == ("at-cli",)
    src = next(p for p in result.pins if p.kind is PinKind.SRC)
    expected = {f"at-svc{i}" for i in range(11)} | {"at-cli", "at-tool", "at-all"}
    assert set(src.packages) >= {f"at-svc{i}" for i in range(11)} | {"at-cli"}
    assert set(revs[0].packages) == set(src.packages)
    assert set(src.packages) <= expected
    names = {p.name for p in result.packages}
    # a join of the others (`all = symlinkJoin { .. }`) is not a package of its own (issue 11)
    assert {"at-cli", "at-tool"} <= names and "at-all" not in names


def test_one_let_bound_src_and_vendor_hash_feed_many_services(write_repo: RepoWriter) -> None:
    services = "\n".join(f'  svc{i} = mk "svc{i}";' for i in range(12))
    result = scan_repository(
        write_repo(
            {
                "pkgs/org/default.nix": """{ callPackage }:
let s = callPackage ./services.nix { }; in
s
""",
                "pkgs/org/services.nix": f"""{{ buildGoModule, fetchFromGitHub, stdenv }}:
let
  version = "0.3.0";
  src = fetchFromGitHub {{ owner = "org"; repo = "svc"; rev = "v${{version}}"; hash = "{sri(1)}"; }};
  vendorHash = "{sri(2)}";
  mk = name: buildGoModule {{
    pname = name;
    inherit version src vendorHash;
    subPackages = [ "cmd/${{name}}" ];
  }};
in
{{
{services}
  helper = stdenv.mkDerivation {{ pname = "helper"; inherit version src; }};
}}
""",
            }
        )
    )
    vendor = [p for p in result.pins if p.kind is PinKind.VENDOR_HASH]
    assert len(vendor) == 1
    assert vendor[0].line == 5 and vendor[0].group == "github.com/org/svc"
    assert vendor[0].users  # recorded where it is used
    versions = [p for p in result.pins if p.kind is PinKind.VERSION]
    assert len(versions) == 1 and versions[0].line == 3
    rev = next(p for p in result.pins if p.kind is PinKind.REV)
    assert rev.depends_on == (versions[0].location,)


def test_copied_literals_form_a_copy_set(write_repo: RepoWriter) -> None:
    def pkg(name: str, rev: str, vendor: str) -> str:
        return f"""{{ buildGoModule, fetchFromGitHub }}:
buildGoModule {{
  pname = "{name}";
  version = "unstable";
  src = fetchFromGitHub {{
    owner = "org";
    repo = "mono";
    rev = "{rev}";
    hash = "{sri(1)}";
  }};
  vendorHash = "{vendor}";
}}
"""

    files = {
        "pkgs/org/default.nix": "{ callPackage }: {\n"
        + "".join(f"  p{i} = callPackage ./p{i}.nix {{ }};\n" for i in range(6))
        + "}\n",
    }
    for i in range(5):
        files[f"pkgs/org/p{i}.nix"] = pkg(f"p{i}", REV, sri(2 if i < 2 else 10 + i))
    files["pkgs/org/p5.nix"] = pkg("p5", REV_B, sri(50)).replace(sri(1), sri(9))
    result = scan_repository(write_repo(files))
    revs = [p for p in result.pins if p.kind is PinKind.REV and p.value == REV]
    assert len(revs) == 5
    for pin in revs:
        others = {Location(o.file, o.line, o.start, o.end) for o in pin.copies}
        assert others == {p.location for p in revs if p is not pin}
        assert pin.packages == (f"org-{pin.file.split('/')[-1][:-4]}",)
    lone = next(p for p in result.pins if p.kind is PinKind.REV and p.value == REV_B)
    assert not lone.copies
    vendors = [p for p in result.pins if p.kind is PinKind.VENDOR_HASH and p.value == sri(2)]
    assert len(vendors) == 2 and all(len(v.copies) == 1 for v in vendors)


def test_let_bound_version_does_not_capture_equal_strings(write_repo: RepoWriter) -> None:
    result = scan_repository(
        write_repo(
            {
                "pkgs/o/p.nix": f"""{{ stdenv, fetchurl }}:
let version = "1.0"; in
stdenv.mkDerivation {{
  pname = "p";
  inherit version;
  src = fetchurl {{ url = "https://github.com/o/p/releases/download/${{version}}/p.tar.gz"; hash = "{sri(1)}"; }};
  passthru.apiVersion = "1.0";
}}
"""
            }
        )
    )
    versions = [p for p in result.pins if p.kind is PinKind.VERSION]
    assert [p.line for p in versions] == [2]


def test_packages_from_org_keys_not_file_names(write_repo: RepoWriter) -> None:
    result = scan_repository(
        write_repo(
            {
                "pkgs/org/default.nix": """{ callPackage }:
rec {
  frontend = callPackage ./web-ui.nix { };
  web = frontend;
}
""",
                "pkgs/org/web-ui.nix": f"""{{ fetchFromGitHub, stdenv }}:
stdenv.mkDerivation {{
  pname = "ui"; version = "2";
  src = fetchFromGitHub {{ owner = "o"; repo = "ui"; rev = "{REV}"; hash = "{sri(1)}"; }};
}}
""",
            }
        )
    )
    rev = next(p for p in result.pins if p.kind is PinKind.REV)
    assert "org-frontend" in rev.packages
    ref = next(p for p in result.packages if p.name == "org-frontend")
    assert ref.file == "pkgs/org/web-ui.nix" and ref.key == "frontend"
