"""Which upstream release a package should move to, and why every newer one was passed over.

Rules (issue 5): never a downgrade or the same version (Nix's order, with one refinement: a
stable release is newer than its own prereleases, `1.11.0` > `1.11.0-alpha`, which Nix alone
gets the other way round); stable only unless prereleases are enabled or the current pin is
itself a prerelease (then the prerelease channel is followed until a stable release exceeds it);
drafts never; ignored versions and releases younger than the minimum age wait. Branch mode
follows the newest commit of a branch and keeps the version placeholder the file already uses.

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

from updater.version.compare import compare_versions, split_version

SkipReason = Literal["prerelease", "too-young", "ignored", "older", "draft", "invalid"]

PRERELEASE_WORDS = frozenset(
    {"alpha", "beta", "rc", "pre", "preview", "dev", "nightly", "snapshot", "prerelease", "canary"}
)
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


def is_prerelease_version(version: str) -> bool:
    words = [c.lower() for c in split_version(version) if not c.isdigit()]
    return any(w in PRERELEASE_WORDS or w.startswith("pre") for w in words)


def is_prerelease(release: Candidate, version: str) -> bool:
    return release.prerelease or is_prerelease_version(version)


def release_part(version: str) -> str:
    """`1.11.0-alpha.2` -> `1.11.0`: the components before the first prerelease word."""
    out: list[str] = []
    for comp in split_version(version):
        low = comp.lower()
        if not comp.isdigit() and (low in PRERELEASE_WORDS or low.startswith("pre")):
            break
        out.append(comp)
    return ".".join(out)


def compare_for_update(a: str, b: str) -> int:
    """Nix's compareVersions, except that a stable release outranks its own prereleases."""
    a_pre, b_pre = is_prerelease_version(a), is_prerelease_version(b)
    if a_pre != b_pre:
        stable, pre = (b, a) if a_pre else (a, b)
        if compare_versions(release_part(pre), release_part(stable)) == 0:
            return -1 if a_pre else 1
    return compare_versions(a, b)


def version_of_tag(tag: str, policy: Policy) -> str | None:
    """The version a tag names for this package, or None when the tag is not this package's."""
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
    if follow_pre and not policy.prereleases:
        _rejoin_stable(found)
    chosen: tuple[str, Candidate] | None = None
    for v, r in found.eligible:
        if chosen is None or compare_for_update(v, chosen[0]) > 0:
            chosen = (v, r)
    _say_why_older_is_passed_over(found, chosen)
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
        if order == 0:
            found.current_date = rel.date if found.current_date is None else found.current_date
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
