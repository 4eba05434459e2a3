"""`nix-update-script { extraArgs }` read natively as the package's policy: the flags parsed,
and the scan of a package repository on disk tracked with them (no network: tracking only)."""

from __future__ import annotations

from pathlib import Path

import pytest

from updater.config import Config, PackageConfig
from updater.engine.tracking import Tracked, tracked_units
from updater.nixfile.repository import scan_repository
from updater.version.nixupdate import NixUpdateArgs, parse_nix_update_args

PACKAGE = """{ lib, stdenv, fetchFromGitHub, nix-update-script }:
stdenv.mkDerivation rec {
  pname = "tool";
  version = "1.2.0";
  src = fetchFromGitHub {
    owner = "acme";
    repo = "tool";
    rev = "release-${version}";
    hash = "sha256-AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=";
  };
  passthru.updateScript = nix-update-script {
    extraArgs = @ARGS@;
  };
}
"""


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (["--version-regex", "release-(.*)"], NixUpdateArgs(version_regex="release-(.*)")),
        (["--version-regex=v(.*)"], NixUpdateArgs(version_regex="v(.*)")),
        (["--version=branch"], NixUpdateArgs(mode="branch")),
        (["--version=branch=develop"], NixUpdateArgs(mode="branch", branch="develop")),
        (["--version=unstable"], NixUpdateArgs(mode="branch")),
        (["--version", "stable"], NixUpdateArgs(prereleases=False)),
        (["--version=skip"], NixUpdateArgs(skip=True)),
        (["--subpackage", "ui", "--subpackage=cli"], NixUpdateArgs(subpackages=("ui", "cli"))),
        (
            ["--use-update-script", "--version-regex", "("],
            NixUpdateArgs(ignored=("--use-update-script", "--version-regex=(")),
        ),
    ],
)
def test_flags(args: list[str], expected: NixUpdateArgs) -> None:
    assert parse_nix_update_args(args) == expected


def _repo(tmp_path: Path, args: str) -> Path:
    (tmp_path / "pkgs").mkdir(parents=True)
    (tmp_path / "pkgs/default.nix").write_text(
        "{ pkgs ? import <nixpkgs> { } }:\n{\n  tool = pkgs.callPackage ./tool.nix { };\n}\n"
    )
    (tmp_path / "pkgs/tool.nix").write_text(PACKAGE.replace("@ARGS@", args))
    return tmp_path


def _policy(repo: Path, config: Config | None = None) -> Tracked:
    (tracked,) = tracked_units(scan_repository(repo), config or Config(), ("tool",))
    return tracked


def test_version_regex_becomes_the_tag_regex(tmp_path: Path) -> None:
    t = _policy(_repo(tmp_path, '[ "--version-regex" "release-(.*)" ]'))
    assert t.policy.tag_regex == "release-(.*)" and t.policy.mode == "release"


def test_branch_and_skip(tmp_path: Path) -> None:
    t = _policy(_repo(tmp_path / "a", '[ "--version=branch=develop" ]'))
    assert (t.policy.mode, t.policy.branch) == ("branch", "develop")
    t = _policy(_repo(tmp_path / "b", '[ "--version=skip" ]'))
    assert t.problem is not None and "--version=skip" in t.problem


def test_the_configuration_wins(tmp_path: Path) -> None:
    repo = _repo(tmp_path, '[ "--version-regex" "release-(.*)" "--version=unstable" ]')
    config = Config(packages={"tool": PackageConfig(tag_regex="rel-(.*)", mode="release")})
    t = _policy(repo, config)
    assert (t.policy.tag_regex, t.policy.mode) == ("rel-(.*)", "release")


def test_no_extra_args_and_computed_ones_change_nothing(tmp_path: Path) -> None:
    plain = _policy(_repo(tmp_path / "a", "[ ]"))
    computed = _policy(_repo(tmp_path / "b", '[ "--version-regex" "${lib.version}" ]'))
    for t in (plain, computed):
        assert t.policy.tag_regex is None and t.policy.mode == "release"
