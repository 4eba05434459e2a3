"""What delivery remembers between runs: the bot's pull requests, declined versions, the last
outcome of every unit, and the dashboard issue's number.

The tables come from migration 0003_delivery and are declared in tables.py. Every row goes in
and out as a frozen dataclass. All of it can be rebuilt from GitHub (the PRs'
metadata blocks, the dashboard's marker): the store saves requests, it is not the truth.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal, cast

from sqlalchemy import (
    delete,
    select,
)

from updater.state.rows import replace_rows, upsert, utc, utc_now
from updater.state.store import StateStore
from updater.state.tables import dashboard_table, declined_table, outcomes_table, pulls_table

PullStateName = Literal["open", "closed", "merged"]
OutcomeName = Literal["updated", "skipped", "failed"]


@dataclass(frozen=True)
class PullRecord:
    """One of the bot's pull requests as last seen."""

    number: int
    name: str  # the PR's name: its branch is `{branch_prefix}{name}`
    branch: str
    state: PullStateName
    old: str
    new: str
    url: str
    unit: str | None = None  # unknown when rebuilt from GitHub alone
    packages: tuple[str, ...] = ()
    branch_deleted: bool = False
    updated_at: datetime | None = None


@dataclass(frozen=True)
class DeclinedRecord:
    """A version whose PR was closed without merging: never proposed again."""

    name: str
    version: str
    unit: str | None = None
    packages: tuple[str, ...] = ()
    pull: int | None = None
    declined_at: datetime | None = None


@dataclass(frozen=True)
class UnitOutcome:
    """What the last run that covered a unit made of it (the dashboard reads these)."""

    unit: str
    outcome: OutcomeName
    reason: str = ""
    name: str | None = None
    packages: tuple[str, ...] = ()
    old: str | None = None
    new: str | None = None
    pull: int | None = None
    updated_at: datetime | None = None
    # What the dashboard links: the upstream's compare view, the commit range of a commit pin,
    # and the systems of per-platform maps refreshed or left as they were.
    compare: str | None = None
    old_commit: str | None = None
    new_commit: str | None = None
    systems_refreshed: tuple[str, ...] = ()
    systems_left: tuple[str, ...] = ()


def _packages(text: str) -> tuple[str, ...]:
    try:
        data = json.loads(text)
    except ValueError:
        return ()
    return tuple(str(p) for p in data) if isinstance(data, list) else ()


def _row(row: object) -> Any:
    return row._mapping  # type: ignore[attr-defined]


# -- pull requests -----------------------------------------------------------------------------


def _pull(row: object) -> PullRecord:
    r = _row(row)
    return PullRecord(
        number=r["number"],
        name=r["name"],
        branch=r["branch"],
        state=cast("PullStateName", r["state"]),
        old=r["old"],
        new=r["new"],
        url=r["url"],
        unit=r["unit"],
        packages=_packages(r["packages"]),
        branch_deleted=bool(r["branch_deleted"]),
        updated_at=utc(r["updated_at"]),
    )


def save_pull(store: StateStore, record: PullRecord, now: datetime | None = None) -> None:
    """Insert or update PR `record.number`; a unit or packages already known are kept when the
    record (rebuilt from GitHub) does not carry them."""
    packages = json.dumps(list(record.packages))
    values: dict[str, object] = {
        "name": record.name,
        "branch": record.branch,
        "state": record.state,
        "old": record.old[:256],
        "new": record.new[:256],
        "url": record.url[:1024],
        "branch_deleted": record.branch_deleted,
        "updated_at": now or utc_now(),
    }
    if record.unit is not None:
        values["unit"] = record.unit
    if record.packages:
        values["packages"] = packages
    with store.session() as s:
        upsert(
            s,
            pulls_table,
            {"number": record.number},
            values,
            on_insert={"unit": record.unit, "packages": packages},
        )


def pull_records(store: StateStore, state: PullStateName | None = None) -> list[PullRecord]:
    query = select(pulls_table).order_by(pulls_table.c.number)
    if state is not None:
        query = query.where(pulls_table.c.state == state)
    with store.session() as s:
        return [_pull(r) for r in s.execute(query).all()]


def open_pull_of(
    store: StateStore, *, name: str | None = None, unit: str | None = None
) -> PullRecord | None:
    """The open PR of a name or of a unit (the newest, should there be two)."""
    found = [
        p
        for p in pull_records(store, "open")
        if (name is not None and p.name == name) or (unit is not None and p.unit == unit)
    ]
    return max(found, key=lambda p: p.number) if found else None


# -- declined versions -------------------------------------------------------------------------


def save_declined(store: StateStore, record: DeclinedRecord, now: datetime | None = None) -> bool:
    """Remember a declined version; True when it was not known yet."""
    with store.session() as s:
        return upsert(
            s,
            declined_table,
            {"name": record.name, "version": record.version[:256]},
            {"unit": record.unit} if record.unit is not None else {},
            on_insert={
                "packages": json.dumps(list(record.packages)),
                "pull": record.pull,
                "declined_at": record.declined_at or now or utc_now(),
            },
        )


def declined_records(store: StateStore) -> list[DeclinedRecord]:
    with store.session() as s:
        rows = s.execute(
            select(declined_table).order_by(declined_table.c.name, declined_table.c.version)
        ).all()
    out = []
    for row in rows:
        r = _row(row)
        out.append(
            DeclinedRecord(
                name=r["name"],
                version=r["version"],
                unit=r["unit"],
                packages=_packages(r["packages"]),
                pull=r["pull"],
                declined_at=utc(r["declined_at"]),
            )
        )
    return out


def declined_for(
    store: StateStore,
    *,
    name: str | None = None,
    unit: str | None = None,
    packages: Iterable[str] = (),
) -> frozenset[str]:
    """Versions declined for a name, a unit, or any of `packages` (a unit's packages are what
    survives a lost store: the PR metadata names packages, not units)."""
    wanted = set(packages)
    return frozenset(
        d.version
        for d in declined_records(store)
        if (name is not None and d.name == name)
        or (unit is not None and d.unit == unit)
        or (wanted and wanted & set(d.packages))
    )


# -- unit outcomes -----------------------------------------------------------------------------


def save_outcomes(
    store: StateStore,
    outcomes: Sequence[UnitOutcome],
    *,
    prune_others: bool = False,
    now: datetime | None = None,
) -> None:
    """Replace the outcome of each unit in `outcomes`; with `prune_others` (a run covering every
    unit) units not in `outcomes` are forgotten."""
    when = now or utc_now()
    with store.session() as s:
        units = [o.unit for o in outcomes]
        if prune_others:
            s.execute(delete(outcomes_table).where(outcomes_table.c.unit.not_in(units)))
        replace_rows(
            s,
            outcomes_table.c.unit,
            [
                {
                    "unit": o.unit,
                    "name": o.name,
                    "packages": json.dumps(list(o.packages)),
                    "outcome": o.outcome,
                    "reason": o.reason[:4000],
                    "old": o.old[:256] if o.old else None,
                    "new": o.new[:256] if o.new else None,
                    "pull": o.pull,
                    "updated_at": o.updated_at or when,
                    "compare": o.compare if o.compare and len(o.compare) <= 1024 else None,
                    "old_commit": o.old_commit[:64] if o.old_commit else None,
                    "new_commit": o.new_commit[:64] if o.new_commit else None,
                    "systems_refreshed": json.dumps(list(o.systems_refreshed)),
                    "systems_left": json.dumps(list(o.systems_left)),
                }
                for o in outcomes
            ],
        )


def unit_outcomes(store: StateStore) -> list[UnitOutcome]:
    with store.session() as s:
        rows = s.execute(select(outcomes_table).order_by(outcomes_table.c.unit)).all()
    out = []
    for row in rows:
        r = _row(row)
        out.append(
            UnitOutcome(
                unit=r["unit"],
                outcome=cast("OutcomeName", r["outcome"]),
                reason=r["reason"],
                name=r["name"],
                packages=_packages(r["packages"]),
                old=r["old"],
                new=r["new"],
                pull=r["pull"],
                updated_at=utc(r["updated_at"]),
                compare=r["compare"],
                old_commit=r["old_commit"],
                new_commit=r["new_commit"],
                systems_refreshed=_packages(r["systems_refreshed"] or "[]"),
                systems_left=_packages(r["systems_left"] or "[]"),
            )
        )
    return out


# -- the dashboard issue -----------------------------------------------------------------------


def dashboard_number(store: StateStore, repository: str) -> int | None:
    with store.session() as s:
        found = s.execute(
            select(dashboard_table.c.number).where(dashboard_table.c.repository == repository)
        ).first()
    return int(found[0]) if found is not None else None


def save_dashboard_number(
    store: StateStore, repository: str, number: int, now: datetime | None = None
) -> None:
    with store.session() as s:
        replace_rows(
            s,
            dashboard_table.c.repository,
            [{"repository": repository, "number": number, "updated_at": now or utc_now()}],
        )
