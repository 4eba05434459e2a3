"""Which upstream release a package should move to, and why every newer one was passed over.

Rules (issues 5 and 12; docs/VERSIONS.md): never a downgrade or the same version (Nix's order,
refined for prereleases in scheme.compare_for_update: a stable release is newer than its own
prereleases, `1.11.0` > `1.11.0-alpha`, `4.2.0` > `4.2.0b2`); stable only unless prereleases are
enabled or the current pin is itself a prerelease (then the prerelease channel is followed until
a stable release exceeds it), PEP 440 markers (`1.0a1`, `4.2.0b2`, `2.0rc1`, `3.1.dev0`) counting
as prereleases; a prerelease of a version already released (or ignored, which is where declined
versions go) never; drafts never; a version of another shape than the pinned one (a date tag
beside semver, a sibling package's or a build's tag) not unless the policy allows any shape;
ignored versions and releases younger than the minimum age wait. Branch mode follows the newest
commit of a branch and keeps the version placeholder the file already uses.

Plain values in, plain values out: the policy knows no upstream. The caller (engine/tracking.py)
turns what a source offers into `Candidate`s and a `Head`.
"""

from __future__ import annotations

import fnmatch
import re
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from typing import Literal

from updater.version.scheme import (
    PRERELEASE_WORDS,
    compare_for_update,
    is_prerelease_version,
    release_part,
    same_shape,
)

SkipReason = Literal[
    "prerelease",
    "too-young",
    "ignored",
    "older",
    "draft",
    "invalid",
    "shape",
    "released",
    "unreleased",
]

__all__ = ["PRERELEASE_WORDS", "compare_for_update", "is_prerelease_version", "release_part"]
# A version we are willing to write into a .nix file: no quotes, `${`, spaces or slashes.
_SAFE_VERSION = re.compile(r"^[0-9A-Za-z][0-9A-Za-z._+~\-]{0,127}$")
_DATE_IN_VERSION = re.compile(r"(\d{4})-(\d{2})-(\d{2})$")
_COMMIT = re.compile(r"^[0-9a-f]{40}$")


@dataclass(frozen=True)
class Candidate:
    """A release or a bare tag an upstream offers, as the policy weighs it."""

    tag: str
    commit: str | None = None
    date: datetime | None = None
    prerelease: bool = False  # flagged so by the upstream (the version's words count too)
    draft: bool = False
    # A tag known only from the tag list: no release object (none, or one we may not see).
    bare: bool = False


@dataclass(frozen=True)
class Head:
    """The newest commit of the followed branch."""

    commit: str
    date: datetime | None = None


@dataclass(frozen=True)
class Policy:
    mode: Literal["release", "branch"] = "release"
    prereleases: bool = False
    tag_prefix: str | None = None
    # A regex over the whole tag; group "version" (or group 1) is the version, else the tag.
    tag_regex: str | None = None
    ignore: tuple[str, ...] = ()
    min_age_days: int = 0
    branch: str | None = None
    # Globs a tag must match to be this package's (`# updater: tags v1.*`); none: any tag.
    tags: tuple[str, ...] = ()
    # Only versions built like the pinned one (scheme.same_shape); False takes any shape.
    same_shape: bool = True


@dataclass(frozen=True)
class Skipped:
    tag: str
    version: str
    reason: SkipReason


@dataclass(frozen=True)
class Decision:
    """The outcome for one package. `latest` is None when nothing newer may be taken."""

    current: str
    latest: str | None
    rev: str | None = None  # the tag (release mode) or commit (branch mode) to pin
    commit: str | None = None
    date: datetime | None = None
    skipped: tuple[Skipped, ...] = ()
    # The newest version upstream offers to this package, taken or not (for the report).
    newest: str | None = None

    @property
    def outdated(self) -> bool:
        return self.latest is not None

    @property
    def shown(self) -> str | None:
        """What is latest, as `check` and `run` both name it: the version, or the new commit's
        short id when the version literal stays (a commit pin's placeholder such as `0.1.0`)."""
        if self.latest is None:
            return None
        if self.latest == self.current and self.commit is not None:
            return self.commit[:12]
        return self.latest


def is_prerelease(release: Candidate, version: str) -> bool:
    return release.prerelease or is_prerelease_version(version)


def version_of_tag(tag: str, policy: Policy) -> str | None:
    """The version a tag names for this package, or None when the tag is not this package's."""
    if policy.tags and not any(fnmatch.fnmatchcase(tag, glob) for glob in policy.tags):
        return None
    if policy.tag_regex is not None:
        m = re.fullmatch(policy.tag_regex, tag)
        if m is None:
            return None
        if "version" in m.re.groupindex:
            text = m.group("version")
        elif m.re.groups:
            text = m.group(1)
        else:
            text = tag
    elif policy.tag_prefix is not None:
        if not tag.startswith(policy.tag_prefix):
            return None
        text = tag[len(policy.tag_prefix) :]
    else:
        text = tag
    if len(text) > 1 and text[0] in "vV" and text[1].isdigit():
        text = text[1:]
    return text


def _ignored(policy: Policy, tag: str, version: str) -> bool:
    return any(
        fnmatch.fnmatchcase(version, p) or fnmatch.fnmatchcase(tag, p) for p in policy.ignore
    )


@dataclass
class _Sorted:
    """The candidates as one decision sorts them (mutable while it is being made)."""

    eligible: list[tuple[str, Candidate]] = field(default_factory=list)
    older: list[tuple[str, Candidate]] = field(default_factory=list)
    # Of another shape than the pin: said only when newer-looking or published after it.
    off_shape: list[tuple[str, Candidate, bool]] = field(default_factory=list)
    # Every stable, non-draft version offered (of the pin's shape), taken or not.
    released: list[str] = field(default_factory=list)
    # The newest stable release object, and whether the current version has one: then the
    # repository publishes its versions as releases.
    latest_release: str | None = None
    current_released: bool = False
    skipped: list[Skipped] = field(default_factory=list)
    current_date: datetime | None = None  # when the current version was released
    newest: str | None = None  # the newest version offered, taken or not


def decide_release(
    current: str, candidates: Sequence[Candidate], policy: Policy, now: datetime | None = None
) -> Decision:
    """Release mode: the newest acceptable release strictly newer than `current`."""
    now = now or datetime.now(UTC)
    current_version = (
        version_of_tag(current, replace(policy, tag_regex=None, tag_prefix=None)) or current
    )
    follow_pre = policy.prereleases or is_prerelease_version(current_version)
    found = _sort(candidates, current_version, policy, follow_pre, now)
    _drop_unreleased_tags(found, current_version)
    if follow_pre and not policy.prereleases:
        _rejoin_stable(found)
    _drop_released_prereleases(found, policy)
    chosen: tuple[str, Candidate] | None = None
    for v, r in found.eligible:
        if chosen is None or compare_for_update(v, chosen[0]) > 0:
            chosen = (v, r)
    _say_why_older_is_passed_over(found, chosen)
    _say_why_off_shape(found)
    if chosen is None:
        return Decision(
            current=current, latest=None, skipped=tuple(found.skipped), newest=found.newest
        )
    version, rel = chosen
    return Decision(
        current=current,
        latest=version,
        rev=rel.tag,
        commit=rel.commit,
        date=rel.date,
        skipped=tuple(found.skipped),
        newest=found.newest,
    )


def _sort(
    candidates: Sequence[Candidate],
    current_version: str,
    policy: Policy,
    follow_pre: bool,
    now: datetime,
) -> _Sorted:
    found = _Sorted()
    for rel in candidates:
        version = version_of_tag(rel.tag, policy)
        if version is None:
            continue
        if not _SAFE_VERSION.match(version):
            found.skipped.append(Skipped(rel.tag[:80], version[:80], "invalid"))
            continue
        order = compare_for_update(version, current_version)
        if policy.same_shape and not same_shape(current_version, version):
            if order != 0 and not rel.draft:
                found.off_shape.append((version, rel, order > 0))
            continue
        _note_release(found, version, rel, order)
        if order == 0:
            continue
        if order < 0:
            found.older.append((version, rel))
            continue
        if not rel.draft and (
            found.newest is None or compare_for_update(version, found.newest) > 0
        ):
            found.newest = version
        reason = _reason(rel, version, policy, follow_pre, now)
        if reason is not None:
            found.skipped.append(Skipped(rel.tag, version, reason))
        else:
            found.eligible.append((version, rel))
    return found


def _note_release(found: _Sorted, version: str, rel: Candidate, order: int) -> None:
    """What a candidate of the pin's shape says about the repository's releases."""
    if order == 0:
        found.current_date = rel.date if found.current_date is None else found.current_date
        found.current_released = found.current_released or not (rel.bare or rel.draft)
    if rel.draft or is_prerelease(rel, version):
        return
    found.released.append(version)
    if not rel.bare and (
        found.latest_release is None or compare_for_update(version, found.latest_release) > 0
    ):
        found.latest_release = version


def _drop_released_prereleases(found: _Sorted, policy: Policy) -> None:
    """A prerelease of a version that is out already (`1.5.0-alpha` beside `1.5.0` or a later
    stable release) or ignored (declined: its PR was closed) is never proposed."""
    keep: list[tuple[str, Candidate]] = []
    for v, r in found.eligible:
        if not is_prerelease(r, v):
            keep.append((v, r))
            continue
        base = release_part(v) or v
        if any(compare_for_update(s, base) >= 0 for s in found.released):
            found.skipped.append(Skipped(r.tag, v, "released"))
        elif base != v and _ignored(policy, base, base):
            found.skipped.append(Skipped(r.tag, v, "ignored"))
        else:
            keep.append((v, r))
    found.eligible = keep


def _drop_unreleased_tags(found: _Sorted, current_version: str) -> None:
    """Where versions are published as releases (the current one is a release object, or is
    not newer than the latest release), a newer tag without a release object is not out: its
    release is a draft we may not see (GitHub shows drafts to collaborators only), or not made
    yet."""
    latest = found.latest_release
    publishes = found.current_released or (
        latest is not None and compare_for_update(current_version, latest) <= 0
    )
    if not publishes:
        return
    for v, r in found.eligible:
        if r.bare:
            found.skipped.append(Skipped(r.tag, v, "unreleased"))
    found.eligible = [(v, r) for v, r in found.eligible if not r.bare]


def _rejoin_stable(found: _Sorted) -> None:
    """A prerelease pin rejoins the stable channel as soon as a stable release exceeds it."""
    stable = [(v, r) for v, r in found.eligible if not is_prerelease(r, v)]
    if stable:
        for v, r in found.eligible:
            if is_prerelease(r, v):
                found.skipped.append(Skipped(r.tag, v, "prerelease"))
        found.eligible = stable


def _say_why_older_is_passed_over(found: _Sorted, chosen: tuple[str, Candidate] | None) -> None:
    """A lower version published after the current (or chosen) one, e.g. a 1.9.5 maintenance
    release after 2.0.0: say why it is not proposed."""
    ref_date = chosen[1].date if chosen is not None and chosen[1].date else found.current_date
    if ref_date is None:
        return
    passed_over = [(v, r) for v, r in found.eligible if chosen is not None and r is not chosen[1]]
    for v, r in found.older + passed_over:
        if r.date is not None and r.date > ref_date and not r.draft:
            found.skipped.append(Skipped(r.tag, v, "older"))


def _say_why_off_shape(found: _Sorted) -> None:
    """A tag of another shape is reported when it looks newer (`20231102` beside `1.2.0`) or
    was published after the current release; older-looking old ones are not this package's."""
    for v, r, newer in found.off_shape:
        later = (
            found.current_date is not None and r.date is not None and r.date > found.current_date
        )
        if newer or later:
            found.skipped.append(Skipped(r.tag, v, "shape"))


def _reason(
    rel: Candidate, version: str, policy: Policy, follow_pre: bool, now: datetime
) -> SkipReason | None:
    if rel.draft:
        return "draft"
    if _ignored(policy, rel.tag, version):
        return "ignored"
    if is_prerelease(rel, version) and not follow_pre:
        return "prerelease"
    if policy.min_age_days and rel.date is not None:
        if now - rel.date < timedelta(days=policy.min_age_days):
            return "too-young"
    return None


def placeholder_version(current: str, date: datetime | None) -> str:
    """The version to write for a new commit, in the style the file already uses.

    `unstable-YYYY-MM-DD` (or any version ending in a date) gets the commit's date; any other
    placeholder (`unstable`, `0.1.0`, `1.0.0-rc.5`) stays as it is.
    """
    if date is None or not _DATE_IN_VERSION.search(current):
        return current
    return _DATE_IN_VERSION.sub(date.astimezone(UTC).strftime("%Y-%m-%d"), current)


def decide_branch(
    current_version: str,
    current_rev: str,
    head: Head | None,
    policy: Policy,
    now: datetime | None = None,
) -> Decision:
    """Branch mode: `head`, the newest commit of the default (or named) branch."""
    now = now or datetime.now(UTC)
    if head is None or not _COMMIT.match(head.commit) or head.commit == current_rev.lower():
        return Decision(current=current_version, latest=None)
    new_version = placeholder_version(current_version, head.date)
    label = head.commit[:12]
    m = _DATE_IN_VERSION.search(current_version)
    if m is not None and head.date is not None:
        pinned_day = datetime(int(m[1]), int(m[2]), int(m[3]), tzinfo=UTC).date()
        if head.date.astimezone(UTC).date() < pinned_day:
            # The branch moved backwards (force-push): a lower date would be a downgrade.
            return Decision(
                current=current_version,
                latest=None,
                skipped=(Skipped(label, new_version, "older"),),
                newest=new_version,
            )
    if policy.min_age_days and head.date is not None:
        if now - head.date < timedelta(days=policy.min_age_days):
            return Decision(
                current=current_version,
                latest=None,
                skipped=(Skipped(label, new_version, "too-young"),),
                newest=new_version,
            )
    return Decision(
        current=current_version,
        latest=new_version,
        rev=head.commit,
        commit=head.commit,
        date=head.date,
        newest=new_version,
    )
