"""The version policy: each rule, and the reason recorded for every newer release not taken."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from updater.version.policy import (
    Candidate,
    Head,
    Policy,
    compare_for_update,
    decide_branch,
    decide_release,
    is_prerelease_version,
    placeholder_version,
    version_of_tag,
)

NOW = datetime(2025, 6, 1, tzinfo=UTC)


def rel(tag: str, days_ago: float = 30, **kw: object) -> Candidate:
    return Candidate(tag=tag, date=NOW - timedelta(days=days_ago), **kw)  # type: ignore[arg-type]


def snap(*releases: Candidate, tags: tuple[Candidate, ...] = ()) -> tuple[Candidate, ...]:
    """What an upstream offers: its releases, then the tags that have no release."""
    seen = {r.tag for r in releases}
    return releases + tuple(t for t in tags if t.tag not in seen)


def reasons(decision: object) -> dict[str, str]:
    return {s.tag: s.reason for s in decision.skipped}  # type: ignore[attr-defined]


def test_takes_newest_stable_and_keeps_tag_as_rev() -> None:
    d = decide_release("1.0.0", snap(rel("v1.1.0"), rel("v1.2.0"), rel("v0.9.0")), Policy(), NOW)
    assert (d.latest, d.rev, d.outdated) == ("1.2.0", "v1.2.0", True)


def test_never_same_or_downgrade() -> None:
    d = decide_release("2.0.0", snap(rel("v2.0.0", 10), rel("v1.9.5", 1)), Policy(), NOW)
    assert d.latest is None and not d.outdated
    assert reasons(d) == {"v1.9.5": "older"}  # published after 2.0.0 but lower


def test_older_release_after_chosen_one_is_reported() -> None:
    d = decide_release("1.0.0", snap(rel("2.0.0", 10), rel("1.9.5", 1)), Policy(), NOW)
    assert d.latest == "2.0.0" and reasons(d) == {"1.9.5": "older"}


def test_prerelease_flag_and_suffixes_are_skipped_by_default() -> None:
    d = decide_release(
        "1.0.0",
        snap(rel("v1.1.0", prerelease=True), rel("v1.2.0-rc.1"), rel("v1.2.0-beta"), rel("v1.0.1")),
        Policy(),
        NOW,
    )
    assert d.latest == "1.0.1"
    assert reasons(d) == {
        "v1.1.0": "prerelease",
        "v1.2.0-rc.1": "prerelease",
        "v1.2.0-beta": "prerelease",
    }
    assert d.newest == "1.2.0-rc.1"


def test_prereleases_enabled_takes_them() -> None:
    d = decide_release(
        "1.0.0", snap(rel("v1.2.0-rc.1"), rel("v1.0.1")), Policy(prereleases=True), NOW
    )
    assert d.latest == "1.2.0-rc.1"


def test_drafts_never() -> None:
    d = decide_release("1.0.0", snap(rel("v1.1.0", draft=True)), Policy(prereleases=True), NOW)
    assert d.latest is None and reasons(d) == {"v1.1.0": "draft"}


def test_prerelease_pin_follows_channel_until_stable_exceeds_it() -> None:
    assert (
        decide_release("1.0.0-rc.5", snap(rel("v1.0.0-rc.10")), Policy(), NOW).latest
        == "1.0.0-rc.10"
    )
    d = decide_release("1.0.0-rc.5", snap(rel("v1.0.0-rc.10"), rel("v1.0.0")), Policy(), NOW)
    assert d.latest == "1.0.0" and reasons(d) == {"v1.0.0-rc.10": "prerelease"}
    d = decide_release("v0.5.0-alpha.4", snap(rel("v0.5.0-alpha.5"), rel("v0.4.9")), Policy(), NOW)
    assert (d.latest, d.rev) == ("0.5.0-alpha.5", "v0.5.0-alpha.5")
    # 1.11.0 is newer than 1.11.0-alpha for us, although Nix alone orders them the other way.
    assert decide_release("1.11.0-alpha", snap(rel("v1.11.0")), Policy(), NOW).latest == "1.11.0"
    assert decide_release("1.11.0", snap(rel("v1.11.0-alpha")), Policy(), NOW).latest is None


def test_ignore_list_matches_versions_and_globs() -> None:
    d = decide_release(
        "1.0.0",
        snap(rel("v1.1.0"), rel("v1.2.0"), rel("v2.0.0")),
        Policy(ignore=("2.*", "1.2.0")),
        NOW,
    )
    assert d.latest == "1.1.0" and reasons(d) == {"v1.2.0": "ignored", "v2.0.0": "ignored"}


def test_min_age_makes_young_releases_wait() -> None:
    d = decide_release(
        "1.0.0", snap(rel("v1.1.0", 10), rel("v1.2.0", 1)), Policy(min_age_days=3), NOW
    )
    assert d.latest == "1.1.0" and reasons(d) == {"v1.2.0": "too-young"}


def test_tag_prefix_and_regex_for_monorepos() -> None:
    s = snap(rel("cli-v1.2.0"), rel("server-v3.0.0"), rel("cli-v1.1.0"))
    assert decide_release("1.1.0", s, Policy(tag_prefix="cli-"), NOW).rev == "cli-v1.2.0"
    d = decide_release("2.0.0", s, Policy(tag_regex=r"server-v(?P<version>.+)"), NOW)
    assert (d.latest, d.rev) == ("3.0.0", "server-v3.0.0")
    assert version_of_tag("other", Policy(tag_prefix="cli-")) is None


def test_date_versions_and_bare_tags() -> None:
    d = decide_release("2025.01.15", snap(tags=(Candidate("2025.02.01"),)), Policy(), NOW)
    assert d.latest == "2025.02.01"


def test_hostile_tags_are_refused() -> None:
    d = decide_release("1.0", snap(rel('v2.0";rm -rf'), rel("v3.0/${x}")), Policy(), NOW)
    assert d.latest is None and set(reasons(d).values()) == {"invalid"}


def test_prerelease_detection() -> None:
    for v in [
        "1.0-alpha",
        "1.0.0-rc.5",
        "2.0pre1",
        "1.0-SNAPSHOT",
        "1-nightly",
        "3.0-preview.2",
        "1.0-dev",
    ]:
        assert is_prerelease_version(v), v
    for v in ["1.0", "2025.01.15", "1.2.3-1", "unstable-2025-01-01"]:
        assert not is_prerelease_version(v), v
    assert compare_for_update("1.0.0-rc.10", "1.0.0-rc.9") == 1


def test_branch_mode_keeps_placeholder_style() -> None:
    head = Head("a" * 40, datetime(2025, 5, 20, 13, 0, tzinfo=UTC))
    s = head
    d = decide_branch("unstable-2025-01-23", "b" * 40, s, Policy(mode="branch"), NOW)
    assert (d.latest, d.rev, d.outdated) == ("unstable-2025-05-20", "a" * 40, True)
    assert decide_branch("unstable", "b" * 40, s, Policy(mode="branch"), NOW).latest == "unstable"
    assert decide_branch("0.1.0", "b" * 40, s, Policy(mode="branch"), NOW).latest == "0.1.0"
    assert (
        decide_branch("0-unstable-2025-01-02", "b" * 40, s, Policy(), NOW).latest
        == "0-unstable-2025-05-20"
    )
    assert not decide_branch("unstable-2025-01-23", "a" * 40, s, Policy(), NOW).outdated
    assert placeholder_version("1.0.0-rc.5", head.date) == "1.0.0-rc.5"


def test_branch_mode_refuses_older_date_and_young_commits() -> None:
    s = Head("a" * 40, datetime(2025, 5, 31, tzinfo=UTC))
    d = decide_branch("unstable-2025-06-01", "b" * 40, s, Policy(), NOW)
    assert d.latest is None and d.skipped[0].reason == "older"
    d = decide_branch("unstable-2025-01-01", "b" * 40, s, Policy(min_age_days=7), NOW)
    assert d.latest is None and d.skipped[0].reason == "too-young"
    # The followed branch's head is the caller's to find (engine/tracking.py).
    dev = Head("c" * 40, None)
    assert decide_branch("unstable", "b" * 40, dev, Policy(branch="dev"), NOW).rev == "c" * 40
