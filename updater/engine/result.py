"""What one unit's update came to: the record the summary table, the PR layer and logs read."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum

from updater.nixfile.model import Location, PinKind


class Outcome(StrEnum):
    UPDATED = "updated"
    SKIPPED = "skipped"
    FAILED = "failed"


@dataclass(frozen=True)
class PinChange:
    location: Location
    kind: PinKind
    attr: str
    old: str
    new: str
    how: str = ""  # for hashes: which build (or prefetch) gave it
    system: str | None = None  # the system of a per-platform entry


@dataclass(frozen=True)
class HashLeft:
    """A per-platform hash left as it was: this machine cannot compute it."""

    location: Location
    system: str | None
    reason: str


@dataclass(frozen=True)
class FileCopied:
    """A lock file copied into the repository, replaced by its counterpart in the new source."""

    file: str  # repository path
    source: str  # path inside the new source


@dataclass(frozen=True)
class UpdateResult:
    unit: str  # unit id (the source group, `#package` when the group splits)
    packages: tuple[str, ...]
    outcome: Outcome
    reason: str = ""  # why skipped or failed (one line)
    log_tail: str = ""  # Nix's (or git's) last lines for a failure
    old: str | None = None
    new: str | None = None
    tag: str | None = None
    commit_rev: str | None = None  # the upstream commit moved to
    # The upstream release moved to, as the upstream wrote it (hostile: rendered by forge/body.py).
    release_notes: str | None = None
    release_url: str | None = None
    changes: tuple[PinChange, ...] = ()
    not_refreshed: tuple[HashLeft, ...] = ()
    verified: bool = False
    built: bool = False
    verify_note: str = ""
    commit: str | None = None  # the bot's commit in the package repository
    branch: str | None = None
    base: str | None = None  # the commit the branch starts from
    message: str | None = None
    diff: str | None = None  # the unified diff (always set for a dry run)
    # Set when the package's own passthru.updateScript made the change: the files it changed.
    script_files: tuple[str, ...] = ()
    copied: tuple[FileCopied, ...] = ()  # lock file copies refreshed from the new source
    builds: int = 0  # hash-fixing builds Nix ran
    build_drvs: tuple[str, ...] = field(default=())
    evaluations: int = 0
    # changed fixed-output derivations this unit did not build, realised by verification
    fods_proved: int = 0
    seconds: float = 0.0

    @property
    def ok(self) -> bool:
        return self.outcome is not Outcome.FAILED

    @property
    def title(self) -> str:
        return self.message.splitlines()[0] if self.message else self.unit
