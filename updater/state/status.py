"""The service's rows in the state store: runs, and per-package state beside the check results.

The tables come from migration 0002_service_status and are declared in tables.py. Everything
that goes in or out is a frozen dataclass.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Literal, cast

from sqlalchemy import (
    desc,
    insert,
    select,
    update,
)
from sqlalchemy.engine import CursorResult

from updater.state.rows import existing_keys, upsert, utc, utc_now
from updater.state.store import CheckRecord, StateStore
from updater.state.tables import packages_table, runs_table

RunStatus = Literal["running", "ok", "failed", "cancelled", "abandoned", "busy"]
PackageStateName = Literal[
    "pending", "up to date", "outdated", "updated", "pr open", "failed", "skipped", "error"
]


@dataclass(frozen=True)
class RunRecord:
    id: int
    shard: str
    trigger: str
    package: str | None
    started_at: datetime
    finished_at: datetime | None
    status: str
    summary: str
    # outcome -> count (updated, pr-opened, failed, ...; "checked" too), for the page's chart.
    counts: Mapping[str, int] = field(default_factory=dict)

    @property
    def duration(self) -> float | None:
        if self.finished_at is None:
            return None
        return max(0.0, (self.finished_at - self.started_at).total_seconds())


@dataclass(frozen=True)
class PackageState:
    package: str
    state: PackageStateName
    released_at: datetime | None = None
    pr_url: str | None = None
    last_error: str | None = None


@dataclass(frozen=True)
class PackageRow:
    """One line of the status page."""

    package: str
    current: str | None
    latest: str | None
    released_at: datetime | None
    state: str
    pr_url: str | None
    checked_at: datetime | None
    error: str | None
    source: str | None = None
    # "release", or "branch" for a commit pin: then the revisions are commits.
    mode: str | None = None
    current_rev: str | None = None
    latest_rev: str | None = None
    current_date: datetime | None = None
    latest_date: datetime | None = None
    compare_url: str | None = None
    outdated: bool = False


def start_run(
    store: StateStore, shard: str, trigger: str, package: str | None, now: datetime | None = None
) -> int:
    with store.session() as s:
        result = cast(
            "CursorResult[Any]",
            s.execute(
                insert(runs_table).values(
                    shard=shard,
                    trigger=trigger,
                    package=package,
                    started_at=now or utc_now(),
                    status="running",
                    summary="",
                )
            ),
        )
        key = result.inserted_primary_key
        assert key is not None
        return int(key[0])


def finish_run(
    store: StateStore,
    run_id: int,
    status: RunStatus,
    summary: str,
    now: datetime | None = None,
    counts: Mapping[str, int] | None = None,
) -> None:
    with store.session() as s:
        s.execute(
            update(runs_table)
            .where(runs_table.c.id == run_id)
            .values(
                status=status,
                summary=summary[:4000],
                finished_at=now or utc_now(),
                counts=json.dumps(dict(counts), sort_keys=True) if counts else None,
            )
        )


def abandon_running(store: StateStore, shard: str, now: datetime | None = None) -> int:
    """Runs of `shard` still marked running: their process died. Call only with the lock held."""
    with store.session() as s:
        result = cast(
            "CursorResult[Any]",
            s.execute(
                update(runs_table)
                .where(runs_table.c.shard == shard, runs_table.c.status == "running")
                .values(
                    status="abandoned",
                    finished_at=now or utc_now(),
                    summary="the process running it ended before it finished",
                )
            ),
        )
        return int(result.rowcount)


def _run(row: object) -> RunRecord:
    r = row._mapping  # type: ignore[attr-defined]
    started = utc(r["started_at"])
    assert started is not None
    return RunRecord(
        id=r["id"],
        shard=r["shard"],
        trigger=r["trigger"],
        package=r["package"],
        started_at=started,
        finished_at=utc(r["finished_at"]),
        status=r["status"],
        summary=r["summary"],
        counts=_counts(r["counts"]),
    )


def _counts(text: str | None) -> dict[str, int]:
    try:
        data = json.loads(text) if text else {}
    except ValueError:
        return {}
    if not isinstance(data, dict):
        return {}
    return {str(k): v for k, v in data.items() if isinstance(v, int) and v >= 0}


def recent_runs(store: StateStore, shard: str, limit: int = 10) -> list[RunRecord]:
    with store.session() as s:
        rows = s.execute(
            select(runs_table)
            .where(runs_table.c.shard == shard)
            .order_by(desc(runs_table.c.started_at), desc(runs_table.c.id))
            .limit(limit)
        ).all()
        return [_run(r) for r in rows]


def save_package_states(
    store: StateStore, states: Sequence[PackageState], now: datetime | None = None
) -> None:
    when = now or utc_now()
    by_name = {p.package: p for p in states}
    with store.session() as s:
        existing = existing_keys(s, packages_table.c.package, by_name)
        for name, p in by_name.items():
            values: dict[str, object] = {
                "state": p.state,
                "released_at": p.released_at,
                "last_error": p.last_error[:4000] if p.last_error else None,
                "updated_at": when,
            }
            # A check knows nothing of PRs: the link of the last PR stays until a new one.
            if p.pr_url is not None:
                values["pr_url"] = p.pr_url
            upsert(s, packages_table, {"package": name}, values, exists=name in existing)


def package_rows(store: StateStore, names: Iterable[str] | None = None) -> list[PackageRow]:
    """Check results joined with the service's package state; `names` adds never-checked ones."""
    checks = {r.package: r for r in store.check_results()}
    with store.session() as s:
        states = {r.package: r for r in s.execute(select(packages_table)).all()}
    wanted = set(names) if names is not None else set(checks) | set(states)
    out: list[PackageRow] = []
    for name in sorted(wanted):
        c, st = checks.get(name), states.get(name)
        out.append(
            PackageRow(
                package=name,
                current=c.current if c else None,
                latest=c.latest if c else None,
                released_at=utc(st.released_at) if st else None,
                state=st.state if st else ("pending" if c is None else _state_of_check(c)),
                pr_url=st.pr_url if st else None,
                checked_at=c.checked_at if c else None,
                error=(st.last_error if st and st.last_error else None) or (c.error if c else None),
                source=c.source if c else None,
                mode=c.mode if c else None,
                current_rev=c.current_rev if c else None,
                latest_rev=c.latest_rev if c else None,
                current_date=c.current_date if c else None,
                latest_date=c.latest_date if c else None,
                compare_url=c.compare_url if c else None,
                outdated=bool(c and c.outdated),
            )
        )
    return out


def _state_of_check(c: CheckRecord) -> str:
    if c.error:
        return "error"
    return "outdated" if c.outdated else "up to date"
