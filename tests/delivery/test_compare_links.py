"""What a reviewer follows from a PR body and the dashboard: the upstream's compare view on each
forge, the commit range of a commit pin, each system of a per-platform map refreshed or not;
and no link at all when a part of it is hostile."""

from __future__ import annotations

import re

import pytest

from updater.config import parse_config
from updater.delivery.proposal import proposal_of
from updater.delivery.report import dashboard_data
from updater.engine.result import HashLeft, Outcome, PinChange, UpdateResult
from updater.forge.body import pull_body
from updater.forge.dashboard import render_dashboard
from updater.nixfile.model import Location, PinKind
from updater.state.delivery import PullRecord, UnitOutcome
from updater.weblinks import Repository, repository_of_group

OLD, NEW = "1a2b3c4" + "d" * 33, "9f8e7d6" + "c" * 33


def _commit_update(unit: str) -> UpdateResult:
    at = Location("pkgs/tool/default.nix", 7, 0, 1)
    return UpdateResult(
        unit,
        ("tool",),
        Outcome.UPDATED,
        old="0.1.0",
        new="0.1.0-unstable-2025-02-10",
        commit_rev=NEW,
        changes=(
            PinChange(at, PinKind.REV, "rev", OLD, NEW),
            PinChange(Location("pkgs/tool/default.nix", 12, 0, 1), PinKind.HASH, "hash", "sha256-A", "sha256-B", "build", "x86_64-linux"),
        ),
        not_refreshed=(HashLeft(Location("pkgs/tool/default.nix", 13, 0, 1), "aarch64-darwin", "no builder for aarch64-darwin"),),
        verified=True,
    )  # fmt: skip


COMPARE = {
    "github.com/acme/tool": f"https://github.com/acme/tool/compare/{OLD}...{NEW}",
    "tangled.org/@acme.dev/tool": f"https://tangled.org/@acme.dev/tool/compare/{OLD}...{NEW}",
    "codeberg.org/acme/tool": f"https://codeberg.org/acme/tool/compare/{OLD}...{NEW}",
    "gitlab.com/acme/tool": f"https://gitlab.com/acme/tool/-/compare/{OLD}...{NEW}",
    "gitlab.com/acme/sub/tool": f"https://gitlab.com/acme/sub/tool/-/compare/{OLD}...{NEW}",
    # A self-hosted Forgejo named in [forges].
    "git.example.org/acme/tool": f"https://git.example.org/acme/tool/compare/{OLD}...{NEW}",
}


@pytest.mark.parametrize("unit", sorted(COMPARE))
def test_pr_body_links_the_compare_view_of_each_forge(unit: str) -> None:
    config = parse_config({"forges": {"git.example.org": {"type": "forgejo"}}}, "test")
    body = pull_body(proposal_of(_commit_update(unit), "tool", config))
    assert f"[Compare]({COMPARE[unit]})" in body
    # The commit range, short, for a commit pin.
    assert "Commits: `1a2b3c4` → `9f8e7d6`" in body
    # Each system of the per-platform map: refreshed or left as it was, and why.
    assert "- `x86_64-linux`: ✅ refreshed, proven by Nix" in body
    assert (
        "- `aarch64-darwin`: ⏭️ not refreshed, left as it was: no builder for aarch64-darwin" in body
    )


def test_a_release_compares_tags_and_a_plain_git_host_has_no_link() -> None:
    config = parse_config({}, "test")
    at = Location("pkgs/a.nix", 3, 0, 1)
    release = UpdateResult(
        "codeberg.org/acme/tool", ("tool",), Outcome.UPDATED, old="1.0", new="1.1", tag="v1.1",
        changes=(PinChange(at, PinKind.TAG, "rev", "v1.0", "v1.1"),),
    )  # fmt: skip
    body = pull_body(proposal_of(release, "tool", config))
    assert "[Compare](https://codeberg.org/acme/tool/compare/v1.0...v1.1)" in body
    assert "[Release](https://codeberg.org/acme/tool/releases/tag/v1.1)" in body
    assert "Commits:" not in body and "Per-platform" not in body
    plain = pull_body(proposal_of(_commit_update("git.savannah.gnu.org/acme/tool"), "t", config))
    assert "[Compare]" not in plain and "Commits: `1a2b3c4` → `9f8e7d6`" in plain


@pytest.mark.parametrize(
    ("repo", "old", "new"),
    [
        (Repository("github", "github.com", "acme", "tool"), "v1)](javascript:x)", "v2"),
        (Repository("github", "github.com", "ac me", "tool"), "v1", "v2"),
        (Repository("github", "github.com", "acme", ".."), "v1", "v2"),
        (Repository("github", "evil.com/x?", "acme", "tool"), "v1", "v2"),
        (Repository("github", "github.com", "@acme", "tool"), "v1", "v2"),
        (Repository("gitlab", "gitlab.com", "a/../b", "tool"), "v1", "v2"),
        (Repository("github", "github.com", "acme", "tool"), "v1", "v1"),
        (Repository("github", "github.com", "acme", "tool"), "v1\nx", "v2"),
        (Repository("github", "github.com", "acme", "tool\n"), "v1", "v2\n"),
    ],
)
def test_no_link_from_hostile_parts(repo: Repository, old: str, new: str) -> None:
    assert repo.compare(old, new) is None


def test_groups_name_their_forge() -> None:
    tangled = repository_of_group("tangled.org/@acme.dev/core#knot")
    assert tangled == Repository("tangled", "tangled.org", "@acme.dev", "core")
    assert repository_of_group("github.com/a/b/c") is None  # only GitLab nests groups
    assert repository_of_group("example.org/a/b") is None  # a host of no known forge


def test_dashboard_shows_the_commit_range_the_compare_view_and_the_systems() -> None:
    config = parse_config({}, "test")
    proposal = proposal_of(_commit_update("github.com/acme/tool"), "tool", config)
    systems = proposal.systems
    outcome = UnitOutcome(
        "github.com/acme/tool", "updated", name="tool", old="0.1.0", new="0.1.0-unstable-2025-02-10",
        pull=4, compare=proposal.links.compare, old_commit=OLD, new_commit=NEW,
        systems_refreshed=tuple(s.system for s in systems if s.refreshed),
        systems_left=tuple(s.system for s in systems if not s.refreshed),
    )  # fmt: skip
    pull = PullRecord(
        4,
        "tool",
        "updater/tool",
        "open",
        "0.1.0",
        "0.1.0-unstable-2025-02-10",
        "https://github.com/o/nur/pull/4",
    )
    body = render_dashboard(dashboard_data([outcome], [pull], [], next_run=None))
    line = next(ln for ln in body.splitlines() if ln.startswith("- `tool` → "))
    assert re.search(
        r"#4 · commits `1a2b3c4` → `9f8e7d6` · \[compare\]\(https://github\.com/acme/tool/compare/"
        + OLD + r"\.\.\." + NEW + r"\) · `aarch64-darwin` ⏭️ not refreshed, `x86_64-linux` ✅ refreshed$",
        line,
    ), line  # fmt: skip
