"""The seven classes of repository where version choice went wrong (issue 12), one table each.

Each row is what an upstream offers (releases and bare tags, as engine/tracking.py hands them
to the policy), the pin, and what must be proposed, with the reason for every tag passed over
that the row cares about. End-to-end runs of the same classes: test_classes_end_to_end.py.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

import pytest

from updater.engine.tracking import Tracked, decide, inferred_prefix
from updater.upstream.github_graphql import snapshot_from_graphql
from updater.upstream.github_query import GitHubQuery
from updater.upstream.model import SourceSpec, UpstreamRelease, UpstreamSnapshot
from updater.version.policy import Candidate, Decision, Policy, decide_release
from updater.version.scheme import (
    is_prerelease_version,
    release_part,
    same_shape,
    shape_of,
)

NOW = datetime(2025, 6, 1, tzinfo=UTC)


def rel(tag: str, day: float, **kw: object) -> Candidate:
    """A release object published `day` days after 2025-01-01."""
    return Candidate(tag=tag, date=datetime(2025, 1, 1, tzinfo=UTC) + timedelta(days=day), **kw)  # type: ignore[arg-type]


def tag(name: str, day: float) -> Candidate:
    """A bare tag (no release object) on a commit `day` days after 2025-01-01."""
    return rel(name, day, bare=True)


@dataclass(frozen=True)
class Row:
    id: str
    current: str
    offered: tuple[Candidate, ...]
    latest: str | None
    reasons: dict[str, str] = field(default_factory=dict)  # tag -> reason (those that matter)
    policy: Policy = Policy()
    absent: tuple[str, ...] = ()  # tags that must not be reported at all


def check(row: Row) -> Decision:
    d = decide_release(row.current, row.offered, row.policy, NOW)
    assert d.latest == row.latest, d
    got = {s.tag: s.reason for s in d.skipped}
    assert {t: got.get(t) for t in row.reasons} == row.reasons, got
    assert not set(row.absent) & set(got), got
    return d


DRAFTS = [
    Row(
        "draft-visible",
        "3.1.0",
        # What tracking hands over: the release object wins over the tag of the same name.
        (rel("v3.1.0", 1), rel("v3.2.0", 10), rel("v3.3.0", 20, draft=True)),
        "3.2.0",
        {"v3.3.0": "draft"},
    ),
    # GitHub shows a draft to collaborators only: the bot sees the pushed tag alone.
    Row(
        "draft-hidden",
        "3.1.0",
        (
            rel("v3.1.0", 1),
            rel("v3.2.0", 10),
            tag("v3.1.0", 1),
            tag("v3.2.0", 10),
            tag("v3.3.0", 20),
        ),
        "3.2.0",
        {"v3.3.0": "unreleased"},
    ),
    # Pinned at a version that was never a release: tags are how the project publishes.
    Row(
        "tags-only-after-releases",
        "3.2.5",
        (rel("v3.1.0", 1), rel("v3.2.0", 10), tag("v3.2.5", 15), tag("v3.3.0", 20)),
        "3.3.0",
    ),
    Row("tags-only", "1.0.0", (tag("v1.0.0", 1), tag("v1.1.0", 2)), "1.1.0"),
]

PEP440 = [
    Row(
        "beta-as-release",
        "4.1.0",
        (rel("4.1.0", 1), rel("4.2.0b2", 10), rel("4.1.1", 5)),
        "4.1.1",
        {"4.2.0b2": "prerelease"},
    ),
    Row("alpha", "0.9", (rel("0.9", 1), rel("1.0a1", 10)), None, {"1.0a1": "prerelease"}),
    Row("rc", "1.9", (rel("1.9", 1), rel("2.0rc1", 10)), None, {"2.0rc1": "prerelease"}),
    Row("dev", "3.0", (rel("3.0", 1), rel("3.1.dev0", 10)), None, {"3.1.dev0": "prerelease"}),
    Row("post-is-stable", "3.0", (rel("3.0", 1), rel("3.0.post1", 10)), "3.0.post1"),
    # OpenSSL's letter releases are stable patch releases, not PEP 440 markers.
    Row("letter-suffix-is-stable", "1.1.1v", (rel("1.1.1v", 1), rel("1.1.1w", 9)), "1.1.1w"),
    # A prerelease pin follows the channel, PEP 440 style, and .devN comes first.
    Row(
        "pep440-channel",
        "4.2.0a1",
        (rel("4.2.0a1", 1), rel("4.2.0b2", 10), rel("4.2.0.dev3", 12)),
        "4.2.0b2",
    ),
    Row(
        "pep440-stable-beats-own-prereleases",
        "4.2.0b2",
        (rel("4.2.0b2", 1), rel("4.2.0", 10), rel("4.2.0rc1", 8)),
        "4.2.0",
        {"4.2.0rc1": "prerelease"},
    ),
]

BACKPORTS = tuple(rel(f"v1.9.{n}", 40 + n) for n in range(40))
FAR_LATEST = [
    # 2.5.0 reaches the policy through latestRelease (see the GraphQL test below); the forty
    # LTS backports published after it are older, and said so.
    Row(
        "latest-behind-backports",
        "2.4.0",
        (*BACKPORTS, rel("v2.5.0", 30), rel("v2.4.0", 20)),
        "2.5.0",
        {"v1.9.0": "older", "v1.9.39": "older"},
    ),
]

WASM = tuple(tag(f"wasm-0.1.{n}", 50 + n) for n in range(40))
CROWDED = [
    Row(
        "build-tags-newest",
        "1.7.0",
        (*WASM, tag("v1.8.0", 30), tag("v1.7.0", 20)),
        "1.8.0",
        {"wasm-0.1.0": "shape", "wasm-0.1.39": "shape"},
    ),
    # Build tags older than the pin are not this package's and are not reported.
    Row(
        "old-build-tags-silent",
        "1.7.0",
        (tag("wasm-0.1.0", 1), tag("v1.7.0", 20), tag("v1.8.0", 30)),
        "1.8.0",
        absent=("wasm-0.1.0",),
    ),
]

LOOM = (
    rel("loom-1.3.0", 1),
    rel("spindle-2.0.0", 2),
    rel("shuttle-5.1.0", 3),
    rel("loom-1.4.0", 4),
    rel("spindle-2.1.0", 5),
)
MONOREPO = [
    Row("inferred-prefix", "1.3.0", LOOM, "1.4.0", policy=Policy(tag_prefix="loom-")),
    Row(
        "explicit-regex",
        "2.0.0",
        LOOM,
        "2.1.0",
        policy=Policy(tag_regex=r"spindle-(?P<version>.+)"),
    ),
    # Without a prefix the sibling packages' tags are of another shape, never taken (they look
    # older than 1.3.0 to Nix, a word before a number, so they are not reported either).
    Row("no-prefix", "1.3.0", LOOM, None, absent=("spindle-2.1.0", "shuttle-5.1.0")),
    # Prefixed tags newer-looking to Nix are reported as of another shape.
    Row(
        "no-prefix-newer-looking",
        "1.3.0",
        (rel("2-loom", 1), rel("1.3.0", 1)),
        None,
        {"2-loom": "shape"},
    ),
]

SCHEME_CHANGE = [
    Row(
        "date-tags-then-semver",
        "1.1.0",
        (
            tag("20230101", 1),
            tag("20231102", 5),
            rel("1.0.0", 10),
            rel("1.1.0", 20),
            rel("1.2.0", 30),
        ),
        "1.2.0",
        {"20231102": "shape", "20230101": "shape"},
    ),
    Row(
        "any-shape-when-configured",
        "1.1.0",
        (tag("20231102", 5), tag("1.1.0", 20), tag("1.2.0", 30)),
        "20231102",
        policy=Policy(same_shape=False),
    ),
    Row(
        "calendar-versions-stay-calendar",
        "2025.01.15",
        (tag("2025.01.15", 1), tag("2025.02.01", 10), tag("3.0.0", 11)),
        "2025.02.01",
        {"3.0.0": "shape"},
    ),
    Row("one-more-component", "1.2", (tag("1.2", 1), tag("1.2.1", 10)), "1.2.1"),
    Row(
        "single-number-is-not-semver",
        "1.2.0",
        (tag("1.2.0", 1), tag("42", 10)),
        None,
        {"42": "shape"},
    ),
]

RELEASED_PRERELEASES = [
    # A maintainer closed the PR for 1.5.0 (declined versions are ignored): its alpha is not
    # proposed instead.
    Row(
        "declined-release-its-alpha-not",
        "1.4.0-alpha",
        (rel("v1.4.0-alpha", 1), rel("v1.5.0-alpha", 5), rel("v1.5.0", 10)),
        None,
        {"v1.5.0": "ignored", "v1.5.0-alpha": "released"},
        policy=Policy(ignore=("1.5.0",)),
    ),
    Row(
        "declined-release-gone-alpha-not",
        "1.4.0-alpha",
        (rel("v1.4.0-alpha", 1), rel("v1.5.0-alpha", 5)),
        None,
        {"v1.5.0-alpha": "ignored"},
        policy=Policy(ignore=("1.5.0",)),
    ),
    Row(
        "alpha-of-a-later-release-still-follows",
        "1.4.0-alpha",
        (rel("v1.4.0-alpha", 1), rel("v1.3.9", 3), rel("v1.5.0-alpha", 5)),
        "1.5.0-alpha",
    ),
    Row(
        "tangled-alpha-channel",
        "1.11.0-alpha",
        (tag("v1.11.0-alpha", 1), tag("v1.12.0-alpha", 5)),
        "1.12.0-alpha",
    ),
    Row(
        "prerelease-of-released-version-with-prereleases-on",
        "1.4.0",
        (rel("v1.4.0", 1), rel("v1.5.0", 10), rel("v1.5.0-rc.1", 5), rel("v1.6.0-rc.1", 12)),
        "1.6.0-rc.1",
        {"v1.5.0-rc.1": "released"},
        policy=Policy(prereleases=True),
    ),
]


@pytest.mark.parametrize("row", DRAFTS, ids=lambda r: r.id)
def test_class_1_drafts_are_not_released(row: Row) -> None:
    check(row)


@pytest.mark.parametrize("row", PEP440, ids=lambda r: r.id)
def test_class_2_pep440_prereleases(row: Row) -> None:
    check(row)


@pytest.mark.parametrize("row", FAR_LATEST, ids=lambda r: r.id)
def test_class_3_latest_beyond_the_first_page(row: Row) -> None:
    check(row)


@pytest.mark.parametrize("row", CROWDED, ids=lambda r: r.id)
def test_class_4_crowded_tags(row: Row) -> None:
    check(row)


@pytest.mark.parametrize("row", MONOREPO, ids=lambda r: r.id)
def test_class_5_6_monorepos(row: Row) -> None:
    check(row)


@pytest.mark.parametrize("row", SCHEME_CHANGE, ids=lambda r: r.id)
def test_class_7_scheme_change(row: Row) -> None:
    check(row)


@pytest.mark.parametrize("row", RELEASED_PRERELEASES, ids=lambda r: r.id)
def test_prerelease_of_released_or_declined_version_never(row: Row) -> None:
    check(row)


@pytest.mark.parametrize(
    ("pinned", "version", "prefix"),
    [
        ("loom-1.3.0", "1.3.0", "loom-"),
        ("loom-v1.3.0", "1.3.0", "loom-v"),
        ("crates/loom/1.3.0", "1.3.0", "crates/loom/"),
        ("v1.3.0", "1.3.0", None),
        ("1.3.0", "1.3.0", None),
        ("loom-${version}", "1.3.0", None),  # unresolved: the scan resolves it first
        ("release 1.3.0", "1.3.0", None),  # a space: not a prefix we write anywhere
        ("loom-1.3.0", "1.4.0", None),
        (None, "1.3.0", None),
    ],
)
def test_prefix_is_read_off_the_pin(pinned: str | None, version: str, prefix: str | None) -> None:
    assert inferred_prefix(pinned, version) == prefix


def test_markers_and_shapes() -> None:
    for v in ("4.2.0b2", "1.0a1", "2.0rc1", "3.1.dev0", "2.0c1", "1.0-alpha", "1.0pre1"):
        assert is_prerelease_version(v), v
    for v in ("1.1.1w", "1.0a", "3.0.post1", "1.2-3-g1a2b3c", "1.2.3-1", "r1234", "2025.01.15"):
        assert not is_prerelease_version(v), v
    assert release_part("4.2.0b2") == "4.2.0" and release_part("3.1.dev0") == "3.1"
    assert shape_of("20231102").date and not shape_of("1.2.0").date
    assert shape_of("wasm-0.1.7").lead == "wasm"
    assert same_shape("r1234", "r1300") and not same_shape("r1234", "1300")
    assert not same_shape("2025.01.15", "3.0.0")


def test_commit_pins_show_the_new_commit() -> None:
    """check names the new commit as `run` does when the version literal stays."""
    same = Decision("0.1.0", "0.1.0", rev="a" * 40, commit="a" * 40)
    assert same.shown == "a" * 12
    dated = Decision("unstable-2025-01-02", "unstable-2025-02-10", rev="a" * 40, commit="a" * 40)
    assert dated.shown == "unstable-2025-02-10"
    assert Decision("1.0", None).shown is None


def _graphql_node(latest: str, releases: list[str], tags: list[str]) -> dict[str, object]:
    def release(t: str) -> dict[str, object]:
        return {"tagName": t, "isPrerelease": False, "isDraft": False, "publishedAt": None}

    def ref(t: str) -> dict[str, object]:
        return {"name": t, "target": {"oid": "c" * 40, "committedDate": "2025-03-01T00:00:00Z"}}

    return {
        "latestRelease": release(latest),
        "releases": {"nodes": [release(t) for t in releases]},
        "refs": {"nodes": [ref(t) for t in tags]},
    }


def test_latest_release_reaches_the_policy_past_the_first_page() -> None:
    """GitHub's latestRelease joins the first page of releases; the tags listed beside it
    give it its commit."""
    src = SourceSpec.github("o", "r")
    backports = [f"v1.9.{n}" for n in range(30)]
    node = _graphql_node("v2.5.0", backports, [*backports, "v2.5.0"])
    snapshot = snapshot_from_graphql(GitHubQuery(src), node)
    latest = next(r for r in snapshot.releases if r.tag == "v2.5.0")
    assert latest.is_release and latest.commit == "c" * 40
    tracked = Tracked("g", ("p",), src, "2.4.0", "v2.4.0", Policy())
    decision, release = decide(tracked, snapshot, NOW)
    assert (decision.latest, release) == ("2.5.0", latest)
    # Without it the same page offers nothing newer (what the bot did before).
    bare = UpstreamSnapshot(
        src, releases=tuple(r for r in snapshot.releases if r.tag != "v2.5.0"), tags=()
    )
    assert decide(tracked, bare, NOW)[0].latest is None


def test_tracking_hands_bare_tags_as_bare() -> None:
    src = SourceSpec.github("o", "r")
    snapshot = UpstreamSnapshot(
        src,
        releases=(UpstreamRelease("v3.2.0", date=NOW),),
        tags=(
            UpstreamRelease("v3.2.0", is_release=False),
            UpstreamRelease("v3.3.0", is_release=False),
        ),
    )
    decision, _ = decide(Tracked("g", ("p",), src, "3.2.0", "v3.2.0", Policy()), snapshot, NOW)
    assert decision.latest is None
    assert [(s.tag, s.reason) for s in decision.skipped] == [("v3.3.0", "unreleased")]


def test_check_says_what_shape_a_skipped_tag_has() -> None:
    from updater.commands.display import skip_note as _note

    skipped = {"tag": "20231102", "version": "20231102", "reason": "shape"}
    assert _note(skipped, "1.1.0") == "20231102: shape (date, not N.N.N like 1.1.0)"
    wasm = {"tag": "wasm-0.1.7", "version": "wasm-0.1.7", "reason": "shape"}
    assert _note(wasm, "1.7.0") == "wasm-0.1.7: shape (wasm-N.N.N, not N.N.N like 1.7.0)"
    assert _note({"version": "3.3.0", "reason": "unreleased"}, "3.1.0") == "3.3.0: unreleased"
