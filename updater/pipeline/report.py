"""What a run of the pipeline did: per unit, and as a whole."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

from updater.delivery.report import DeliveryReport, UnitDelivery
from updater.engine.result import UpdateResult
from updater.engine.tracking import Checked
from updater.pipeline.cause import Cause

# What updating one unit came to, engine and forge together.
UnitStatus = Literal["updated", "pr-opened", "pr-updated", "unchanged", "failed", "skipped"]
RunStatus = Literal["ok", "failed", "cancelled"]


@dataclass(frozen=True)
class UnitReport:
    """What the update step did for one unit it was given."""

    packages: tuple[str, ...]
    status: UnitStatus
    duration: float
    pr_url: str | None = None
    error: str | None = None
    # For failures: a short label for /metrics, e.g. "nix", "git", "forge".
    reason: str | None = None
    unit: str = ""
    # The engine's record and the forge's, when the step got that far.
    result: UpdateResult | None = None
    delivery: UnitDelivery | None = None


@dataclass(frozen=True)
class PipelineReport:
    """One run: the check, each unit's engine result, what the step did, what was delivered."""

    status: RunStatus
    duration: float
    # Every package (or packageless unit's group) the run covered, after --shard.
    packages: tuple[str, ...] = ()
    # The check round, per unit (empty for `--version`, which asks for one release only).
    checked: tuple[Checked, ...] = ()
    check_seconds: float | None = None
    rate_limit_remaining: int | None = None
    # Units that had somewhere to go, and what the step made of each.
    attempted: int = 0
    units: tuple[UnitReport, ...] = ()
    # One engine result per unit of the run, in scan order (also those not updated: why not).
    results: tuple[UpdateResult, ...] = ()
    delivery: DeliveryReport | None = None
    message: str = ""
    # Shared causes of the environment that stopped units (each said once; `message` has them).
    causes: tuple[Cause, ...] = ()

    @property
    def refused(self) -> tuple[Refusal, ...]:
        return refusals(self.checked)


# A refused tag is shown escaped and cut to this many characters (its length is said).
SHOWN_TAG = 80


def escaped(text: str, limit: int = SHOWN_TAG) -> str:
    """`text` safe for a terminal: control, bidirectional and every non-ASCII character as an
    escape (`\\n`, `\\u202e`, `\\uff11`), backslashes doubled, cut past `limit`."""
    shown = text.encode("unicode_escape").decode("ascii")
    if len(shown) > limit:
        shown = f"{shown[:limit]}... ({len(text)} characters)"
    return shown


@dataclass(frozen=True)
class Refusal:
    """One refused tag of one unit's upstream: who follows it, where from, what, which rule."""

    packages: tuple[str, ...]
    upstream: str
    tag: str  # as the upstream sent it: hostile, show `escaped(tag)`
    rule: str

    def line(self) -> str:
        names = ", ".join(self.packages)
        return f"{names}: {self.upstream}: refused tag '{escaped(self.tag)}': {self.rule}"


def refusals(checked: Sequence[Checked]) -> tuple[Refusal, ...]:
    """Every refused tag of every checked unit, in check order."""
    out: list[Refusal] = []
    for c in checked:
        t = c.tracked
        upstream = t.source.id if t.source else t.group
        for r in c.refused:
            out.append(Refusal(t.packages or (t.group,), upstream, r.tag, r.rule))
    return tuple(out)
