"""From scanned pins and config to sources and policies (no network)."""

from __future__ import annotations

from pathlib import Path

import pytest

from updater.config import parse_config
from updater.engine.tracking import parse_source_override, track
from updater.errors import ConfigError
from updater.nixfile.repository import scan_repository

ORG = """{ callPackage }:
{
  a = callPackage ./a.nix { };
  b = callPackage ./b.nix { };
  c = callPackage ./c.nix { };
}
"""
A = """{ fetchFromGitHub }:
{
  version = "0.1.0";
  src = fetchFromGitHub { owner = "o"; repo = "mono"; rev = "0123456789abcdef0123456789abcdef01234567"; hash = ""; };
}
"""
B = """{ fetchFromGitea }:
{
  version = "2.0";
  src = fetchFromGitea { domain = "git.example.org"; owner = "x"; repo = "y"; rev = "v2.0"; hash = ""; };
}
"""
C = """{ fetchFromGitHub }:
{
  version = "1.0";
  src = fetchFromGitHub { owner = "o"; repo = "c"; rev = "HEAD"; hash = ""; };
}
"""


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    d = tmp_path / "pkgs" / "org"
    d.mkdir(parents=True)
    for name, text in {"default": ORG, "a": A, "b": B, "c": C}.items():
        (d / f"{name}.nix").write_text(text)
    return tmp_path


def test_commit_pins_default_to_branch_mode_and_config_overrides_apply(repo: Path) -> None:
    config = parse_config(
        {
            "policy": {"min_age_days": 2, "ignore": ["9.*"]},
            "forges": {
                "git.example.org": {"type": "forgejo", "api_url": "http://127.0.0.1:1/api/v1"}
            },
            "packages": {"org-b": {"tag_prefix": "b-", "prereleases": True, "ignore": ["2.1"]}},
        },
        "test",
    )
    by_pkg = {t.packages[0]: t for t in track(scan_repository(repo), config)}
    a = by_pkg["org-a"]
    assert a.policy.mode == "branch" and a.current == "0.1.0" and a.source is not None
    assert a.source.id == "github:o/mono" and a.policy.min_age_days == 2
    b = by_pkg["org-b"]
    assert b.source is not None and (b.source.kind, b.source.domain) == (
        "forgejo",
        "git.example.org",
    )
    assert (b.policy.mode, b.policy.tag_prefix, b.policy.prereleases) == ("release", "b-", True)
    assert b.policy.ignore == ("9.*", "2.1") and b.current == "2.0"
    assert by_pkg["org-c"].problem is not None and "floating" in by_pkg["org-c"].problem
    only = track(scan_repository(repo), config, ["org-a"])
    assert [t.packages for t in only] == [("org-a",)]


def test_config_source_and_mode_override(repo: Path) -> None:
    config = parse_config(
        {
            "packages": {
                "org-a": {"source": "git:https://git.example.org/o/mono.git", "mode": "release"}
            }
        },
        "t",
    )
    (a,) = [t for t in track(scan_repository(repo), config) if "org-a" in t.packages]
    assert (
        a.source is not None
        and a.source.kind == "git"
        and a.source.url == "https://git.example.org/o/mono.git"
    )
    assert a.policy.mode == "release"


def test_source_override_syntax() -> None:
    assert parse_source_override("github:o/r", "x").id == "github:o/r"
    assert (
        parse_source_override("tangled:tangled.org/@a.b/r", "x").url == "https://tangled.org/@a.b/r"
    )
    for bad in ("o/r", "github:o", "git:o/r", "forgejo:o/r", "github:o/r;rm"):
        with pytest.raises(ConfigError):
            parse_source_override(bad, "x")


def test_the_policy_decides_on_what_the_source_offers() -> None:
    """Tracking hands the policy the followed branch's head, and the release it picked back."""
    from datetime import UTC, datetime

    from updater.engine.tracking import Tracked, decide
    from updater.upstream.model import BranchHead, SourceSpec, UpstreamRelease, UpstreamSnapshot
    from updater.version.policy import Policy

    now = datetime(2025, 6, 1, tzinfo=UTC)
    src = SourceSpec.github("o", "r")
    snapshot = UpstreamSnapshot(
        source=src,
        releases=(UpstreamRelease("v1.2.0", notes="notes", url="https://x/v1.2.0", date=now),),
        tags=(UpstreamRelease("v1.3.0-rc.1", is_release=False, date=now),),
        head=BranchHead("main", "a" * 40, now),
        heads=(BranchHead("dev", "c" * 40, None),),
    )

    def tracked(policy: Policy, current: str) -> Tracked:
        return Tracked("g", ("p",), src, current, "b" * 40, policy)

    decision, release = decide(
        tracked(Policy(mode="branch", branch="dev"), "unstable"), snapshot, now
    )
    assert (decision.rev, release) == ("c" * 40, None)
    decision, _ = decide(tracked(Policy(mode="branch"), "unstable"), snapshot, now)
    assert decision.rev == "a" * 40
    decision, release = decide(tracked(Policy(), "1.0.0"), snapshot, now)
    assert decision.rev == "v1.2.0" and release is snapshot.releases[0]
    decision, release = decide(tracked(Policy(), "1.2.0"), snapshot, now)
    assert decision.latest is None and release is None


DIRECTED = """{ stdenv, fetchFromGitHub }:
stdenv.mkDerivation rec {
  pname = "tool";
  version = "1.4.0";
  # updater: tags v1.*
  # updater: prereleases
  # updater: ignore 1.5.*
  src = fetchFromGitHub {
    owner = "o";
    repo = "tool";
    rev = "v${version}";
    hash = "sha256-AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=";
  };
}
"""


def _directed(tmp_path: Path, config: str = "") -> list[object]:
    (tmp_path / "pkgs").mkdir()
    (tmp_path / "pkgs" / "tool.nix").write_text(DIRECTED)
    (tmp_path / "default.nix").write_text(
        "{ pkgs ? import <nixpkgs> { } }:\n{ tool = pkgs.callPackage ./pkgs/tool.nix { }; }\n"
    )
    import tomllib

    return list(track(scan_repository(tmp_path), parse_config(tomllib.loads(config), "t")))


def test_directives_in_a_package_file_steer_its_policy(tmp_path: Path) -> None:
    from datetime import UTC, datetime

    from updater.version.policy import Candidate, decide_release

    (t,) = _directed(tmp_path)
    policy = t.policy  # type: ignore[attr-defined]
    assert policy.tags == ("v1.*",) and policy.prereleases and "1.5.*" in policy.ignore
    now = datetime(2026, 1, 1, tzinfo=UTC)
    offered = [
        Candidate(tag, "c" * 40, now, False, False)
        for tag in ("v2.0.0", "v1.6.0-rc.1", "v1.5.0", "tool-1.8.0")
    ]
    decision = decide_release("1.4.0", offered, policy, now)
    # v2.0.0 and tool-1.8.0 do not match the tags glob, 1.5.0 is ignored, a prerelease is allowed.
    assert decision.latest == "1.6.0-rc.1", decision.skipped
    assert ("v1.5.0", "ignored") in {(k.tag, k.reason) for k in decision.skipped}


def test_the_configuration_wins_over_a_directive(tmp_path: Path) -> None:
    (t,) = _directed(tmp_path, "[packages.tool]\nprereleases = false\n")
    assert not t.policy.prereleases  # type: ignore[attr-defined]
