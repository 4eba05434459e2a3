"""The runner's environment and log streaming, evaluation mode detection, inspect.nix records."""

from __future__ import annotations

from pathlib import Path

import pytest
import structlog
from nixworld import NixWorld

from updater.errors import NixError
from updater.nix.inspect import inspect_attr, split_attr_path
from updater.nix.runner import (
    EvalMode,
    Installable,
    NixOptions,
    NixRunner,
    build_argv,
    detect_eval_mode,
)
from updater.nixhash import FAKE_SRI


def test_secrets_do_not_reach_nix_but_nix_and_git_settings_do() -> None:
    base = {
        "PATH": "/bin",
        "NIX_PATH": "nixpkgs=/x",
        "GIT_CONFIG_GLOBAL": "/w/gitconfig",
        "GITHUB_TOKEN": "ghp_secret",
        "UPDATER_RUN_TOKEN": "t",
        "AWS_SECRET_ACCESS_KEY": "k",
    }
    runner = NixRunner(NixOptions(extra_env=(("NIX_CONFIG", "x = y"),)), base_env=base)
    assert runner.env() == {
        "PATH": "/bin",
        "NIX_PATH": "nixpkgs=/x",
        "GIT_CONFIG_GLOBAL": "/w/gitconfig",
        "NIX_CONFIG": "x = y",
    }


def test_settings_and_flake_features_are_on_the_command_line(tmp_path: Path) -> None:
    opts = NixOptions(builders="ssh://b aarch64-linux", system="aarch64-linux", extra_args=("-j4",))
    assert opts.setting_args() == [
        "--option", "builders", "ssh://b aarch64-linux", "--option", "system", "aarch64-linux", "-j4",
    ]  # fmt: skip
    tool, args = build_argv([Installable(tmp_path, "a", EvalMode.FLAKE)])
    assert tool == "nix" and args[:2] == ["--extra-experimental-features", "nix-command flakes"]
    assert args[-1] == f"path:{tmp_path.resolve()}#a"
    tool, args = build_argv([Installable(tmp_path, "a"), Installable(tmp_path, "b.src")])
    assert (tool, args[-4:]) == ("nix-build", ["-A", "a", "-A", "b.src"])


def test_installables_refuse_option_injection(tmp_path: Path) -> None:
    for attr in ("--impure", "", "a b", ".a"):
        with pytest.raises(NixError):
            Installable(tmp_path, attr)


def test_detect_eval_mode(tmp_path: Path) -> None:
    assert detect_eval_mode(tmp_path) is EvalMode.DEFAULT_NIX
    (tmp_path / "flake.nix").write_text("{}")
    assert detect_eval_mode(tmp_path) is EvalMode.FLAKE
    (tmp_path / "default.nix").write_text("{}")
    assert detect_eval_mode(tmp_path) is EvalMode.DEFAULT_NIX
    assert detect_eval_mode(tmp_path, "flake") is EvalMode.FLAKE


def test_split_attr_path() -> None:
    assert split_attr_path('a.b."c.d"') == ["a", "b", "c.d"]
    with pytest.raises(NixError):
        split_attr_path("a..b")


def test_missing_executable_is_a_nix_error() -> None:
    with pytest.raises(NixError, match="cannot run"):
        NixRunner().run("nix-no-such-tool", [])


@pytest.mark.nix
def test_output_is_streamed_to_the_debug_log(nix_world: NixWorld) -> None:
    with structlog.testing.capture_logs() as logs:
        result = nix_world.runner.run("nix-build", [str(nix_world.repo), "-A", "broken"])
    assert not result.ok and "fails on purpose" in result.tail()
    lines = [e["line"] for e in logs if e["event"] == "nix output"]
    assert any("this build fails on purpose" in line for line in lines)


@pytest.mark.nix
@pytest.mark.parametrize("mode", list(EvalMode))
def test_inspect_attr_record(nix_world: NixWorld, mode: EvalMode) -> None:
    info = inspect_attr(nix_world.runner, Installable(nix_world.repo, "pkg", mode))
    assert info.found and info.type == "derivation" and info.version == "1.0"
    assert [d.attr for d in info.deps] == ["src", "goModules"]
    src = info.dep("src")
    assert src is not None
    assert src.output_hash == FAKE_SRI and src.urls == [nix_world.archive_url]
    assert src.drv_path and src.drv_path.endswith("-source.drv")
    assert info.dep("goModules") == info.deps[1].info
    assert info.deps[1].info.name == "pkg-go-modules"
    git = inspect_attr(nix_world.runner, Installable(nix_world.repo, "git-src", mode))
    assert git.derivation is not None and git.derivation.rev == nix_world.rev
    missing = inspect_attr(nix_world.runner, Installable(nix_world.repo, "nope.src", mode))
    assert not missing.found and missing.deps == []
