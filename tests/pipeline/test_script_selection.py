"""Which packages get a script unit: a package whose own passthru.updateScript (not
nix-update-script) is its only way to move; one the bot follows itself, or the configuration
skips, gets none. Real files in a real repository, read by the real scan."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from updater.config import Config, Endpoints, PackageConfig, Secrets
from updater.context import AppContext
from updater.errors import ConfigError, UsageError
from updater.nixfile.literals import has_own_update_script
from updater.pipeline.selection import select_units

_PINNED = """{ lib, stdenv, fetchFromGitHub, writeShellScript }:
stdenv.mkDerivation rec {
  pname = "pinned";
  version = "1.0.0";
  src = fetchFromGitHub {
    owner = "example";
    repo = "pinned";
    rev = "v${version}";
    hash = "sha256-AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=";
  };
  passthru.updateScript = writeShellScript "update" "true";
}
"""

_SCRIPTED = """{ stdenv, writeShellScript }:
let pinned = builtins.fromJSON (builtins.readFile ./version.json); in
stdenv.mkDerivation {
  pname = "scripted";
  inherit (pinned) version;
  buildCommand = "touch $out";
  passthru = {
    updateScript = [ (writeShellScript "update" "true") "arg" ];
  };
}
"""

_NIX_UPDATE = """{ stdenv, nix-update-script }:
stdenv.mkDerivation {
  pname = "nixupdate";
  version = "1.0";
  buildCommand = "touch $out";
  passthru.updateScript = nix-update-script { extraArgs = [ "--version=unstable" ]; };
}
"""

_FLOATING = """{ stdenv, fetchgit, writeShellScript }:
stdenv.mkDerivation {
  pname = "floating";
  version = "unstable";
  src = fetchgit {
    url = "https://example.org/floating.git";
    rev = "HEAD";
    hash = "sha256-AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=";
  };
  passthru.updateScript = ./update.sh;
}
"""

_DEFAULT = """{ pkgs ? import <nixpkgs> { } }:
{
  pinned = pkgs.callPackage ./pkgs/pinned.nix { };
  scripted = pkgs.callPackage ./pkgs/scripted { };
  nixupdate = pkgs.callPackage ./pkgs/nixupdate.nix { };
  floating = pkgs.callPackage ./pkgs/floating.nix { };
}
"""


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    root = tmp_path / "nur"
    (root / "pkgs/scripted").mkdir(parents=True)
    (root / "default.nix").write_text(_DEFAULT)
    (root / "pkgs/pinned.nix").write_text(_PINNED)
    (root / "pkgs/scripted/default.nix").write_text(_SCRIPTED)
    (root / "pkgs/scripted/version.json").write_text('{ "version": "1.0.0" }\n')
    (root / "pkgs/nixupdate.nix").write_text(_NIX_UPDATE)
    (root / "pkgs/floating.nix").write_text(_FLOATING)
    subprocess.run(["git", "init", "-q", str(root)], check=True)
    return root


def _ctx(repo: Path, config: Config | None = None) -> AppContext:
    config = config or Config()
    return AppContext(
        repo=repo,
        config=config,
        config_path=None,
        secrets=Secrets(),
        endpoints=Endpoints.resolve(config, {}),
    )


def test_the_static_read_of_update_scripts(repo: Path) -> None:
    assert has_own_update_script(repo, "pkgs/scripted/default.nix")  # inside passthru = { }
    assert has_own_update_script(repo, "pkgs/pinned.nix")
    assert has_own_update_script(repo, "pkgs/floating.nix")  # a path is a script too
    assert not has_own_update_script(repo, "pkgs/nixupdate.nix")  # read natively instead
    assert not has_own_update_script(repo, "default.nix")
    assert not has_own_update_script(repo, "pkgs/missing.nix")


def test_only_packages_the_bot_cannot_follow_get_a_script_unit(repo: Path) -> None:
    selection = select_units(_ctx(repo))
    scripted = sorted(u.packages for u in selection.scripted)
    # pinned: followed natively (its GitHub tags); nixupdate: its flags are policy.
    assert scripted == [("floating",), ("scripted",)]
    assert all(u.script and u.id == f"updateScript:{u.packages[0]}" for u in selection.scripted)
    assert {"scripted", "floating", "pinned"} <= set(selection.packages)


def test_naming_a_package_selects_its_script_unit_alone(repo: Path) -> None:
    selection = select_units(_ctx(repo), ["scripted"])
    assert [u.packages for u in selection.scripted] == [("scripted",)]
    assert selection.units == ()
    assert select_units(_ctx(repo), ["pinned"]).scripted == ()
    with pytest.raises(UsageError, match="scriptd"):
        select_units(_ctx(repo), ["scriptd"])


def test_a_preferred_script_replaces_the_bots_own_update(repo: Path) -> None:
    config = Config(packages={"pinned": PackageConfig(update_script="prefer")})
    selection = select_units(_ctx(repo, config), ["pinned"])
    assert [u.packages for u in selection.scripted] == [("pinned",)]
    assert selection.units == ()  # its GitHub unit is the script's now
    everything = select_units(_ctx(repo, config))
    assert not any("pinned" in u.packages for u in everything.units)


def test_preferring_a_script_the_package_lacks_is_a_config_error(repo: Path) -> None:
    config = Config(packages={"nixupdate": PackageConfig(update_script="prefer")})
    with pytest.raises(ConfigError, match=r"\[packages.nixupdate\].*sets no passthru.updateScript"):
        select_units(_ctx(repo, config))


def test_preferring_a_script_for_one_of_a_shared_source_is_a_config_error(repo: Path) -> None:
    # twin pins the same source as pinned (the same rev and hash): one unit moves both
    (repo / "pkgs/twin.nix").write_text(_PINNED.replace('pname = "pinned"', 'pname = "twin"'))
    (repo / "default.nix").write_text(
        _DEFAULT.replace("}\n", "  twin = pkgs.callPackage ./pkgs/twin.nix { };\n}\n")
    )
    config = Config(packages={"pinned": PackageConfig(update_script="prefer")})
    with pytest.raises(ConfigError, match="shares its source github.com/example/pinned with twin"):
        select_units(_ctx(repo, config))
    both = Config(packages={n: PackageConfig(update_script="prefer") for n in ("pinned", "twin")})
    assert sorted(u.packages for u in select_units(_ctx(repo, both)).scripted) == [
        ("floating",),
        ("pinned",),
        ("scripted",),
        ("twin",),
    ]


def test_a_skipped_package_gets_no_script_unit(repo: Path) -> None:
    config = Config(packages={"scripted": PackageConfig(skip=True)})
    assert [u.packages for u in select_units(_ctx(repo, config)).scripted] == [("floating",)]
