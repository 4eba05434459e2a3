"""What a run of the pipeline did: per unit, and as a whole."""

from __future__ import annotations

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
