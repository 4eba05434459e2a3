"""The fixture NUR: every pattern where PATTERNS.md says, every package evaluates and builds."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
import world_fixtures
from world_fixtures import build, run_nix

from updater_sandbox.spec import UPSTREAMS
from updater_sandbox.upstreams import Upstream
from updater_sandbox.world import NUR_SOURCE, World

shared_world = world_fixtures.shared_world

# Attributes that fail on purpose, and how (see PATTERNS.md).
MALFORMED = {"feeds-blobstore", "resolver-did-resolver"}  # evaluation: invalid SRI hash
FAKE_HASH = "plc-plc-mirror"  # cargoHash = lib.fakeHash: a mismatch whose got: is right
UNREACHABLE = "firehose-explorer"  # htmx from unpkg.com, a host the world does not serve

_ROW = re.compile(r"^\| (?P<pattern>.+?) \| `(?P<file>[^`:]+):(?P<line>\d+)` \| `(?P<text>.+)` \|$")


def _rows() -> list[re.Match[str]]:
    text = (NUR_SOURCE / "PATTERNS.md").read_text()
    return [m for line in text.splitlines() if (m := _ROW.match(line))]


def test_patterns_table_points_at_real_lines() -> None:
    rows = _rows()
    assert len(rows) >= 50
    for row in rows:
        lines = (NUR_SOURCE / row["file"]).read_text().splitlines()
        line = lines[int(row["line"]) - 1]
        assert row["text"].replace("\\|", "|") in line, (
            f"{row['pattern']}: {row['file']}:{row['line']}"
        )


def test_patterns_cover_the_survey() -> None:
    text = (NUR_SOURCE / "PATTERNS.md").read_text()
    for needle in (
        "tangled.sh",
        "plain fetchgit of a tangled URL",
        "pkgs.fetchFromGitHub",
        "fetchFromGitea",
        "fetchgit for GitLab",
        '"unstable-2025-01-23"',
        '"1.0.0-rc.5"',
        '"v0.5.0-alpha.4"',
        "`rec` set",
        'rev = "HEAD"',
        "releases/latest/download",
        "@3.x.x",
        "bare base32",
        "concatenation",
        "followed by base32",
        "followed by hex",
        "lib.fakeHash",
        "vendorHash",
        "npmDepsHash",
        "cargoHash",
        "pnpm",
        "yarn",
        "deno",
        "crane",
        ".${system}",
        "stdenv.system ==",
        "11 package files",
        "12 services",
        "6 files",
        "two files",
        "trailing comment",
        "sourceRoot",
        "${src}/subdir",
        "trailing comma",
        "aliases",
        "-all` joins",
    ):
        assert needle in text, needle


def test_every_fixture_file_parses_trailing_comma_included() -> None:
    from updater.nixfile.parse import new_parser

    parser = new_parser()
    broken = {
        str(p.relative_to(NUR_SOURCE))
        for p in NUR_SOURCE.rglob("*.nix")
        if parser.parse(p.read_bytes()).root_node.has_error
    }
    assert broken == set()
    assert b"fetchFromGitHub,\n}:" in (NUR_SOURCE / "pkgs/firehose/firehose-tools.nix").read_bytes()


def test_every_pinned_rev_is_an_upstream_commit(tmp_path: Path) -> None:
    commits: set[str] = set()
    for spec in UPSTREAMS:
        up = Upstream(spec, tmp_path / spec.key, None)
        up.create()
        commits |= {c.sha for c in up.commits}
    revs = {
        m
        for p in NUR_SOURCE.rglob("*.nix")
        for m in re.findall(r'rev = "([0-9a-f]{40})"', p.read_text())
    }
    assert len(revs) >= 10
    assert revs <= commits


def _attrs(w: World) -> list[str]:
    res = run_nix(
        w,
        [
            "nix-instantiate",
            "--eval",
            "--json",
            "-E",
            f"builtins.attrNames (import {w.nur_path} {{ }})",
        ],
    )
    assert res.returncode == 0, res.stderr
    return list(json.loads(res.stdout))


@pytest.mark.nix
def test_every_attribute_evaluates(shared_world: World) -> None:
    attrs = _attrs(shared_world)
    assert len(attrs) >= 50
    good = [a for a in attrs if a not in MALFORMED]
    args = ["nix-instantiate", str(shared_world.nur_path)]
    for a in good:
        args += ["-A", a]
    res = run_nix(shared_world, args)
    assert res.returncode == 0, res.stderr[-3000:]
    for a in MALFORMED:
        bad = run_nix(shared_world, ["nix-instantiate", str(shared_world.nur_path), "-A", a])
        assert bad.returncode != 0 and "invalid SRI hash" in bad.stderr, a


@pytest.mark.nix
def test_sub_attributes_of_the_standard_builders_exist(shared_world: World) -> None:
    expr = (
        f"let n = import {shared_world.nur_path} {{ }}; in map (d: d.drvPath) [ "
        "n.jetstream.src n.jetstream.goModules n.labeler-ozone-labeler.npmDeps "
        "n.pdsadmin-gatekeeper.cargoDeps n.feeds-feedgen.pnpmDeps n.knot-appview.goModules ]"
    )
    res = run_nix(shared_world, ["nix-instantiate", "--eval", "--strict", "--json", "-E", expr])
    assert res.returncode == 0, res.stderr
    assert len(json.loads(res.stdout)) == 6
    pos = run_nix(
        shared_world,
        [
            "nix-instantiate",
            "--eval",
            "--json",
            "-E",
            f"(import {shared_world.nur_path} {{ }}).indigo-relay.meta.position",
        ],
    )
    assert json.loads(pos.stdout).endswith("pkgs/indigo/bigsky.nix:3")  # its pname line


@pytest.mark.nix
def test_every_package_builds(shared_world: World) -> None:
    attrs = [a for a in _attrs(shared_world) if a not in MALFORMED | {FAKE_HASH, UNREACHABLE}]
    res = build(shared_world, shared_world.nur_path / "default.nix", attrs)
    assert res.returncode == 0, res.stderr[-4000:]
    # the deliberate failures fail the way a real NUR's would
    fake = build(shared_world, shared_world.nur_path / "default.nix", [FAKE_HASH])
    ((specified, got),) = fake.mismatches.values()
    assert specified == "sha256-AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA="
    assert got == shared_world.upstream("plcmirror").deps_hash("v0.6.0")
    unreachable = build(shared_world, shared_world.nur_path / "default.nix", [UNREACHABLE])
    assert unreachable.returncode != 0 and "unpkg.com" in unreachable.stderr
