"""The data that flows through the forge layer, as small immutable types.

The engine builds a `ProposedUpdate`; pulls.py turns GitHub's answers into `PullRequestInfo`;
lifecycle.py maps both to `ForgeAction`s. Nothing here talks to the network.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from enum import Enum
from typing import Literal


@dataclass(frozen=True)
class PinChange:
    """One literal the update rewrites: where it is and what it was and becomes."""

    file: str
    line: int
    attribute: str  # e.g. "rev", "hash", "vendorHash", "hash (x86_64-linux)"
    old: str
    new: str
    system: str | None = None  # the system of a per-platform entry


@dataclass(frozen=True)
class VerificationStep:
    """One check run on the update; `passed` None means it was not run."""

    name: str  # e.g. "nix-build .#foo"
    passed: bool | None
    detail: str = ""


@dataclass(frozen=True)
class UnrefreshedHash:
    """A per-platform hash the bot could not prove on this machine (left as it was)."""

    file: str
    line: int
    attribute: str  # e.g. "aarch64-darwin"
    reason: str = ""


@dataclass(frozen=True)
class ReleaseLinks:
    """Where a reviewer reads about the release; each link optional, validated before rendering."""

    release: str | None = None
    compare: str | None = None
    changelog: str | None = None


@dataclass(frozen=True)
class CommitRange:
    """The upstream commits a commit pin moves between (full ids; shown shortened)."""

    old: str
    new: str
    new_date: datetime | None = None


@dataclass(frozen=True)
class SystemRefresh:
    """One system of a per-platform map: whether its hash was refreshed (proven by Nix)."""

    system: str
    refreshed: bool
    reason: str = ""


@dataclass(frozen=True)
class ProposedUpdate:
    """What the engine wants on the branch `{branch_prefix}{name}`.

    `name` is the package's exported attribute or the id of a source group (several packages
    sharing one source move together in one PR).
    """

    name: str
    old_version: str
    new_version: str
    packages: tuple[str, ...] = ()
    pins: tuple[PinChange, ...] = ()
    links: ReleaseLinks = ReleaseLinks()
    release_notes: str | None = None
    verification: tuple[VerificationStep, ...] = ()
    unrefreshed: tuple[UnrefreshedHash, ...] = ()
    # The upstream (`owner/repo`), named in the title when the update has no package.
    upstream: str = ""
    commits: CommitRange | None = None  # set for a commit pin
    # Set when the package's own updateScript made the change: the files it changed.
    script_files: tuple[str, ...] = ()
    # Lock files copied into the repository, refreshed: (repository path, path in the source).
    copied: tuple[tuple[str, str], ...] = ()

    @property
    def systems(self) -> tuple[SystemRefresh, ...]:
        """Each system of the per-platform maps, refreshed or not (empty: no such map)."""
        left = {u.attribute: u.reason for u in self.unrefreshed}
        done = {p.system for p in self.pins if p.system} - set(left)
        return tuple(SystemRefresh(s, s in done, left.get(s, "")) for s in sorted(done | set(left)))


@dataclass(frozen=True)
class PinRecord:
    """A pin as remembered in the metadata block (no line: lines move, files and values do not)."""

    file: str
    attribute: str
    old: str
    new: str


@dataclass(frozen=True)
class UpdateMetadata:
    """The hidden block in a PR body: enough to rebuild the bot's state from GitHub alone."""

    name: str
    old_version: str
    new_version: str
    packages: tuple[str, ...] = ()
    pins: tuple[PinRecord, ...] = ()
    schema: int = 1


class PullState(Enum):
    OPEN = "open"
    CLOSED_UNMERGED = "closed-unmerged"
    MERGED = "merged"


@dataclass(frozen=True)
class PullRequestInfo:
    """A pull request on the forge as the bot needs to know it."""

    number: int
    state: PullState
    head_ref: str
    head_sha: str
    base_ref: str
    title: str
    url: str
    author: str | None
    created_at: datetime | None
    metadata: UpdateMetadata | None


@dataclass(frozen=True)
class CommitIdentity:
    """Who wrote and who committed one commit of a branch."""

    sha: str
    author_email: str
    committer_email: str


class BranchOwnership(Enum):
    """Whose commits are on the update branch; decides whether a force-push is allowed."""

    ABSENT = "absent"  # no branch (never pushed, or deleted)
    BOT_ONLY = "bot-only"
    PERSON_PUSHED = "person-pushed"


@dataclass(frozen=True)
class BranchSituation:
    """Everything the forge knows about one update branch, gathered before deciding."""

    branch: str
    pulls: tuple[PullRequestInfo, ...] = ()  # every PR ever opened from the branch
    ownership: BranchOwnership = BranchOwnership.ABSENT
    # Declined versions known from elsewhere (the state store) beside closed PRs' metadata.
    declined: frozenset[str] = frozenset()
    # The bot already left its "a person pushed here" comment on the open PR.
    person_comment_posted: bool = False


ActionKind = Literal["open", "update", "skip", "comment", "delete-branch"]


@dataclass(frozen=True)
class ForgeAction:
    """One step the engine carries out for a branch, in order.

    open: push the branch (force when it exists and is bot-only) and open a PR.
    update: force-push the branch, set the PR's title/body, then comment `comment`.
    skip: touch nothing; `reason` says why.
    comment: post `comment` on PR `pull` (used for the once-only person-pushed notice).
    delete-branch: delete the branch of merged PR `pull`.
    """

    kind: ActionKind
    reason: str
    pull: int | None = None
    comment: str | None = None


@dataclass(frozen=True)
class OutdatedPackage:
    name: str
    current: str
    latest: str
    compare: str | None = None
    commits: CommitRange | None = None
    systems: tuple[SystemRefresh, ...] = ()


@dataclass(frozen=True)
class OpenPullEntry:
    name: str
    number: int
    url: str
    new_version: str
    compare: str | None = None
    commits: CommitRange | None = None
    systems: tuple[SystemRefresh, ...] = ()


@dataclass(frozen=True)
class FailureEntry:
    name: str
    reason: str


@dataclass(frozen=True)
class DeclinedEntry:
    name: str
    version: str
    pull: int | None = None


@dataclass(frozen=True)
class DashboardData:
    outdated: tuple[OutdatedPackage, ...] = ()
    open_pulls: tuple[OpenPullEntry, ...] = ()
    failures: tuple[FailureEntry, ...] = ()
    declined: tuple[DeclinedEntry, ...] = ()
    next_run: datetime | None = None
    generated_at: datetime | None = None


@dataclass(frozen=True)
class WriteIntent:
    """A write request the client sent, or in dry-run would have sent."""

    method: str
    path: str
    summary: str
    sent: bool = field(default=True)

    def describe(self) -> str:
        prefix = "" if self.sent else "[dry-run] would "
        return f"{prefix}{self.method} {self.path}: {self.summary}"


@dataclass(frozen=True)
class ForgeOutcome:
    """What happened on one branch: the steps carried out and the PR now carrying the update."""

    name: str
    branch: str
    done: tuple[ActionKind, ...]
    pull: int | None
    reason: str

    @property
    def skipped(self) -> bool:
        return not self.done or self.done[-1] == "skip"
