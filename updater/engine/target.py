"""Where a unit moves to: the release (or branch commit) chosen by the policy or by `--version`,
and the unit with its target (`Work`), what the engine is given."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from updater.engine.tracking import Checked
from updater.engine.units import Unit
from updater.upstream.model import COMMIT_RE, UpstreamRelease
from updater.version.policy import Decision


@dataclass(frozen=True)
class Target:
    """The values a unit's pins move to.

    `version` is what version literals become (a release version, or in branch mode the
    placeholder in the style the file already uses). `tag` is set for a release, `commit`
    whenever the commit is known; a commit pin needs it, a tag pin needs `tag`.
    `release_notes` and `release_url` are the upstream release's text and page, as the
    upstream gave them: hostile, sanitised where they are rendered (forge/body.py).
    """

    version: str
    tag: str | None = None
    commit: str | None = None
    date: datetime | None = None
    release_notes: str | None = None
    release_url: str | None = None

    def __post_init__(self) -> None:
        if self.commit is not None and not COMMIT_RE.match(self.commit):
            raise ValueError(f"not a commit id: {self.commit!r}")
        if self.tag is None and self.commit is None:
            raise ValueError("a target needs a tag or a commit")

    @property
    def label(self) -> str:
        if self.tag is not None:
            return self.tag
        assert self.commit is not None
        return self.commit[:12]

    @classmethod
    def from_decision(
        cls, decision: Decision, mode: str, release: UpstreamRelease | None = None
    ) -> Target | None:
        """The target of an outdated decision (None when there is nothing newer to take);
        `release`: the upstream's release the decision picked, for its notes and page."""
        if decision.latest is None or decision.rev is None:
            return None
        if mode == "branch":
            return cls(version=decision.latest, commit=decision.rev, date=decision.date)
        return cls.of_release(
            decision.latest, decision.rev, decision.commit, decision.date, release
        )

    @classmethod
    def of_release(
        cls,
        version: str,
        tag: str,
        commit: str | None,
        date: datetime | None,
        release: UpstreamRelease | None,
    ) -> Target:
        """A release target; the notes and page come along when the upstream has a release
        object for the tag (a bare tag has neither)."""
        return cls(
            version=version,
            tag=tag,
            commit=commit,
            date=date,
            release_notes=(release.notes or None) if release is not None else None,
            release_url=release.url if release is not None else None,
        )


@dataclass(frozen=True)
class Work:
    """A unit and where it goes; or why it does not go anywhere."""

    unit: Unit
    target: Target | None = None
    skip: str | None = None  # not an error: up to date, opted out, floating, refused
    error: str | None = None  # the upstream could not be asked
    # The check that decided it (None for `--version V`, which names the release itself).
    checked: Checked | None = None

    @property
    def runnable(self) -> bool:
        """Whether the engine has work: a target, or the package's own updateScript to run."""
        return self.target is not None or self.unit.script
