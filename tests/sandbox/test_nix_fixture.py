"""The nixpkgs-shaped fixture: real fixed-output derivations, nixpkgs-equal hashes, real errors."""

from __future__ import annotations

import subprocess
from pathlib import Path

import httpx
import pytest
import world_fixtures
from world_fixtures import build, instantiate, run_nix

from updater.nixhash import HashFormat, convert, to_sri
from updater_sandbox.world import World

shared_world = world_fixtures.shared_world
world = world_fixtures.world

pytestmark = pytest.mark.nix

FAKE = "sha256-AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA="


def _fetchers(w: World) -> dict[str, tuple[str, str]]:
    """attr -> (Nix expression with @HASH@, expected hash) for every fetcher shape."""
    js, knot, mc = w.upstream("jetstream"), w.upstream("knot"), w.upstream("microcosm")
    lab, feed, fp = w.upstream("labeler"), w.upstream("feedgen"), w.upstream("feedproxy")
    res, atctl = w.upstream("resolver"), w.upstream("atctl")
    return {
        "github": (
            f'fetchFromGitHub {{ owner = "bluesky-example"; repo = "jetstream"; rev = "{js.rev("v0.2.0")}"; hash = "@HASH@"; }}',
            js.archive_hash("v0.2.0"),
        ),
        "githubTag": (
            'fetchFromGitHub { owner = "bluesky-example"; repo = "jetstream"; tag = "v0.3.0"; hash = "@HASH@"; }',
            js.archive_hash("v0.3.0"),
        ),
        "tangled": (
            f'fetchFromTangled {{ domain = "tangled.org"; owner = "@knot.example.org"; repo = "core"; rev = "{knot.rev("v1.10.0-alpha")}"; hash = "@HASH@"; }}',
            knot.archive_hash("v1.10.0-alpha"),
        ),
        "tangledTag": (
            'fetchFromTangled { owner = "@knot.example.org"; repo = "core"; tag = "v1.11.0-alpha"; hash = "@HASH@"; }',
            knot.archive_hash("v1.11.0-alpha"),
        ),
        "tangledGit": (
            f'fetchFromTangled {{ owner = "@knot.example.org"; repo = "core"; rev = "{knot.rev("v1.10.0-alpha")}"; hash = "@HASH@"; forceFetchGit = true; }}',
            knot.git_hash("v1.10.0-alpha"),
        ),
        "tangledSh": (
            f'fetchFromTangled {{ domain = "tangled.sh"; owner = "@legacy.example.net"; repo = "feed-proxy"; rev = "{fp.rev("v0.1.1")}"; hash = "@HASH@"; }}',
            fp.archive_hash("v0.1.1"),
        ),
        "fetchgitTangled": (
            f'fetchgit {{ url = "https://tangled.org/@microcosm.example/microcosm-rs"; rev = "{mc.commits[0].sha}"; hash = "@HASH@"; }}',
            mc.git_hash(mc.commits[0].sha),
        ),
        "fetchgitGitlab": (
            f'fetchgit {{ url = "https://gitlab.com/labelgroup/ozone-labeler.git"; rev = "{lab.rev("v0.5.0")}"; hash = "@HASH@"; }}',
            lab.git_hash("v0.5.0"),
        ),
        "fetchgitHead": (
            'fetchgit { url = "https://git.example.org/tools/handle-resolver.git"; rev = "HEAD"; hash = "@HASH@"; }',
            res.git_hash("HEAD"),
        ),
        "gitea": (
            f'fetchFromGitea {{ domain = "codeberg.org"; owner = "feeduser"; repo = "feedgen"; rev = "{feed.rev("v1.0.0-rc.4")}"; hash = "@HASH@"; }}',
            feed.archive_hash("v1.0.0-rc.4"),
        ),
        "gitlab": (
            f'fetchFromGitLab {{ owner = "labelgroup"; repo = "ozone-labeler"; rev = "{lab.rev("v0.5.0")}"; hash = "@HASH@"; }}',
            lab.archive_hash("v0.5.0"),
        ),
        "fetchurl": (
            'fetchurl { url = "https://github.com/atctl-example/atctl/releases/download/v0.4.1/atctl-linux-amd64"; hash = "@HASH@"; }',
            atctl.asset_hash("v0.4.1", "atctl-linux-amd64", unpack=False),
        ),
        "fetchzip": (
            'fetchzip { url = "https://github.com/atctl-example/atctl/releases/download/v0.4.0/atctl-0.4.0-linux-arm64.tar.gz"; hash = "@HASH@"; }',
            atctl.asset_hash("v0.4.0", "atctl-0.4.0-linux-arm64.tar.gz", unpack=True),
        ),
    }


def _deps(w: World) -> dict[str, tuple[str, str]]:
    """attr -> (expression with @HASH@ for the dependency hash, expected) for each builder."""
    js, lab, gk, feed = (w.upstream(k) for k in ("jetstream", "labeler", "gatekeeper", "feedgen"))
    return {
        "goModules": (
            f"""(buildGoModule {{ pname = "jetstream"; version = "0.2.0"; vendorHash = "@HASH@";
                src = fetchFromGitHub {{ owner = "bluesky-example"; repo = "jetstream"; rev = "v0.2.0"; hash = "{js.archive_hash("v0.2.0")}"; }}; }}).goModules""",
            js.deps_hash("v0.2.0"),
        ),
        "npmDeps": (
            f"""(buildNpmPackage {{ pname = "ozone-labeler"; version = "0.5.0"; npmDepsHash = "@HASH@";
                src = fetchgit {{ url = "https://gitlab.com/labelgroup/ozone-labeler.git"; rev = "{lab.rev("v0.5.0")}"; hash = "{lab.git_hash("v0.5.0")}"; }}; }}).npmDeps""",
            lab.deps_hash("v0.5.0"),
        ),
        "cargoDeps": (
            f"""(rustPlatform.buildRustPackage {{ pname = "pds-gatekeeper"; version = "0.2.0"; cargoHash = "@HASH@";
                src = fetchFromTangled {{ owner = "@gatekeeper.example.com"; repo = "pds-gatekeeper"; tag = "v0.2.0"; hash = "{gk.archive_hash("v0.2.0")}"; }}; }}).cargoDeps""",
            gk.deps_hash("v0.2.0"),
        ),
        "pnpmDeps": (
            f"""(stdenv.mkDerivation (finalAttrs: {{ pname = "feedgen"; version = "1.0.0-rc.5";
                src = fetchFromGitea {{ domain = "codeberg.org"; owner = "feeduser"; repo = "feedgen"; tag = "v1.0.0-rc.5"; hash = "{feed.archive_hash("v1.0.0-rc.5")}"; }};
                pnpmDeps = pnpm_9.fetchDeps {{ inherit (finalAttrs) pname version src; hash = "@HASH@"; }}; }})).pnpmDeps""",
            feed.deps_hash("v1.0.0-rc.5"),
        ),
    }


def _write(
    tmp_path: Path, name: str, cases: dict[str, tuple[str, str]], hashes: dict[str, str]
) -> Path:
    body = "\n".join(
        f"  {attr} = {expr.replace('@HASH@', hashes[attr])};" for attr, (expr, _) in cases.items()
    )
    path = tmp_path / f"{name}.nix"
    path.write_text(f"with import <nixpkgs> {{ }};\n{{\n{body}\n}}\n")
    return path


def _wrong_then_right(w: World, tmp_path: Path, cases: dict[str, tuple[str, str]]) -> None:
    attrs = list(cases)
    wrong = _write(tmp_path, "wrong", cases, dict.fromkeys(attrs, FAKE))
    drvs = instantiate(w, wrong, attrs)
    res = build(w, wrong, attrs)
    assert res.returncode != 0
    mismatches = res.mismatches
    for attr, (_, expected) in cases.items():
        assert drvs[attr] in mismatches, f"{attr}: no mismatch reported\n{res.stderr[-2000:]}"
        specified, got = mismatches[drvs[attr]]
        assert specified == FAKE
        assert got == expected, f"{attr}: Nix got {got}, the oracle says {expected}"
    right = _write(tmp_path, "right", cases, {a: e for a, (_, e) in cases.items()})
    ok = build(w, right, attrs)
    assert ok.returncode == 0, ok.stderr[-3000:]
    assert len(ok.stdout.split()) == len(attrs)


def test_every_fetcher_reports_a_real_mismatch_and_the_got_hash_builds(
    shared_world: World, tmp_path: Path
) -> None:
    _wrong_then_right(shared_world, tmp_path, _fetchers(shared_world))


def test_every_deps_derivation_reports_a_real_mismatch_and_the_got_hash_builds(
    shared_world: World, tmp_path: Path
) -> None:
    _wrong_then_right(shared_world, tmp_path, _deps(shared_world))


def test_legacy_hash_notations_build(shared_world: World, tmp_path: Path) -> None:
    sri = shared_world.upstream("firehose").archive_hash("v0.3.0")
    b32 = convert(sri, HashFormat.BASE32)
    src = 'fetchFromGitHub { owner = "firehose-example"; repo = "firehose-tools"; rev = "v0.3.0"; '
    path = tmp_path / "legacy.nix"
    path.write_text(
        "with import <nixpkgs> { };\n{\n"
        f'  base32 = {src}sha256 = "{b32}"; }};\n'
        f'  sriUnderSha256 = {src}sha256 = "{sri}"; }};\n'
        f'  prefixed = {src}sha256 = "sha256:" + "{b32}"; }};\n'
        "}\n"
    )
    # One nix-build per attribute: Nix 2.8 deadlocks (with build users) or rejects the output
    # (root builds) when one invocation builds several derivations of the same output path
    # that is not yet in the store; the engine never asks that of it either (buildlocks.py).
    outs = set()
    for attr in ("base32", "sriUnderSha256", "prefixed"):
        res = build(shared_world, path, [attr])
        assert res.returncode == 0, res.stderr[-2000:]
        outs.update(res.stdout.split())
    assert len(outs) == 1  # one store path: the same fixed output


def _tarball(w: World, path: str, dest: Path) -> Path:
    r = httpx.get(f"{w.forge.url}/{path}", timeout=30, follow_redirects=True)
    r.raise_for_status()
    dest.write_bytes(r.content)
    return dest


@pytest.mark.parametrize(
    ("key", "url_path"),
    [
        ("jetstream", "github.com/bluesky-example/jetstream/archive/v0.2.0.tar.gz"),
        ("knot", "tangled.org/@knot.example.org/core/archive/v1.10.0-alpha"),
        ("feedgen", "codeberg.org/feeduser/feedgen/archive/v1.0.0-rc.4.tar.gz"),
    ],
)
def test_archive_hash_equals_nix_prefetch_url_unpack(
    shared_world: World, tmp_path: Path, key: str, url_path: str
) -> None:
    tag = url_path.split("/archive/")[1].removesuffix(".tar.gz")
    tarball = _tarball(shared_world, url_path, tmp_path / "src.tar.gz")
    res = run_nix(
        shared_world, ["nix-prefetch-url", "--unpack", "--type", "sha256", tarball.as_uri()]
    )
    assert res.returncode == 0, res.stderr
    assert to_sri("sha256:" + res.stdout.strip()) == shared_world.upstream(key).archive_hash(tag)


def test_git_hash_equals_the_checkout_without_dot_git(shared_world: World, tmp_path: Path) -> None:
    knot = shared_world.upstream("knot")
    rev = knot.rev("v1.11.0-alpha")
    checkout = tmp_path / "core"
    env = shared_world.process_env()
    subprocess.run(
        ["git", "clone", "--quiet", "https://tangled.org/@knot.example.org/core", str(checkout)],
        env=env,
        check=True,
        timeout=60,
    )
    subprocess.run(
        ["git", "checkout", "--quiet", rev], cwd=checkout, env=env, check=True, timeout=60
    )
    subprocess.run(["rm", "-rf", str(checkout / ".git")], check=True, timeout=30)
    res = run_nix(shared_world, ["nix-hash", "--type", "sha256", "--base32", str(checkout)])
    assert to_sri("sha256:" + res.stdout.strip()) == knot.git_hash(rev)
    assert knot.git_hash(rev) != knot.archive_hash(rev)  # tangled's export-ignore


def test_dependency_hash_changes_exactly_when_the_lock_file_does(
    world: World, tmp_path: Path
) -> None:
    js = world.upstream("jetstream")
    js.add_release("0.5.0")  # same dependencies
    js.add_release("0.6.0", deps_change=True)
    tags = ["v0.4.0-rc.1", "v0.5.0", "v0.6.0"]
    cases = {
        f"t{i}": (
            f"""(buildGoModule {{ pname = "jetstream"; version = "{t}"; vendorHash = "@HASH@";
                src = fetchFromGitHub {{ owner = "bluesky-example"; repo = "jetstream"; tag = "{t}"; hash = "{js.archive_hash(t)}"; }}; }}).goModules""",
            js.deps_hash(t),
        )
        for i, t in enumerate(tags)
    }
    path = _write(tmp_path, "deps", cases, dict.fromkeys(cases, FAKE))
    drvs = instantiate(world, path, list(cases))
    got = {a: build(world, path, [a]).mismatches[drvs[a]][1] for a in cases}
    assert got["t0"] == got["t1"]  # a release without a lock change keeps the hash
    assert got["t2"] != got["t1"]  # a lock change moves it
    assert got == {a: e for a, (_, e) in cases.items()}


def test_nixpkgs_shapes_evaluate(shared_world: World, tmp_path: Path) -> None:
    pkg = tmp_path / "pkg.nix"
    pkg.write_text(
        '{ lib, stdenv, fetchFromGitHub, version ? "1.0" }:\n'
        "stdenv.mkDerivation {\n"
        '  pname = "demo";\n'
        "  inherit version;\n"
        '  src = fetchFromGitHub { owner = "o"; repo = "r"; rev = "v1"; hash = lib.fakeHash; };\n'
        "  passthru.extra = 1;\n"
        "}\n"
    )
    expr = (
        f"with import <nixpkgs> {{ }}; let p = callPackage {pkg} {{ }}; in {{\n"
        "  inherit (p) pname version; pos = p.meta.position; extra = p.extra;\n"
        '  overridden = (p.override { version = "2.0"; }).version;\n'
        '  attrsOverridden = (p.overrideAttrs (old: { version = old.version + "-x"; })).version;\n'
        "  url = p.src.url; rev = p.src.rev; system = stdenv.hostPlatform.system == stdenv.system;\n"
        "  fake = lib.fakeHash; fakeSha256 = lib.fakeSha256;\n"
        '  joined = lib.concatStringsSep "," (lib.mapAttrsToList (n: v: n + v) { a = "1"; b = "2"; });\n'
        '  opt = lib.optionalString true "y";\n'
        "}"
    )
    res = run_nix(shared_world, ["nix-instantiate", "--eval", "--strict", "--json", "-E", expr])
    assert res.returncode == 0, res.stderr
    import json

    out = json.loads(res.stdout)
    assert out["pname"] == "demo" and out["version"] == "1.0" and out["extra"] == 1
    assert out["pos"] == f"{pkg}:3"
    assert out["overridden"] == "2.0" and out["attrsOverridden"] == "1.0-x"
    assert out["url"] == "https://github.com/o/r/archive/v1.tar.gz" and out["rev"] == "v1"
    assert out["system"] is True and out["fake"] == FAKE and out["fakeSha256"] == "0" * 52
    assert out["joined"] == "a1,b2" and out["opt"] == "y"
