"""What the GitHub source remembers between runs: owner kinds, event feeds, snapshots.

Tables from migration 0004_github_feeds, declared in updater/state/tables.py. A snapshot is
stored as the parsed UpstreamSnapshot, not GitHub's answer: release notes are already cut to
size and the body is a few hundred bytes.
Everything here can be rebuilt by a cold run: losing it costs rate limit, never correctness.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal

from updater.state.rows import delete_in, replace_rows, select_in, utc
from updater.state.store import StateStore
from updater.state.tables import feeds_table, owners_table, snapshots_table
from updater.upstream import parse
from updater.upstream.model import BranchHead, SourceSpec, UpstreamRelease, UpstreamSnapshot

OwnerKind = Literal["User", "Organization"]


@dataclass(frozen=True)
class OwnerRecord:
    login: str
    kind: OwnerKind
    checked_at: datetime


@dataclass(frozen=True)
class FeedRecord:
    """An event feed as last seen: its ETag and the id of its newest event (None: empty)."""

    url: str
    etag: str | None
    newest_id: int | None
    checked_at: datetime


@dataclass(frozen=True)
class StoredSnapshot:
    snapshot: UpstreamSnapshot
    fetched_at: datetime


class GitHubMemory:
    def __init__(self, store: StateStore) -> None:
        self.store = store

    # owners -------------------------------------------------------------------------------
    def owners(self, logins: Sequence[str]) -> dict[str, OwnerRecord]:
        """Known owners by lower-case login."""
        out: dict[str, OwnerRecord] = {}
        with self.store.session() as s:
            for row in select_in(s, owners_table.c.login, [x.lower() for x in logins]):
                if row.kind in ("User", "Organization"):
                    out[row.login] = OwnerRecord(row.login, row.kind, utc(row.checked_at))
        return out

    def put_owners(self, kinds: Mapping[str, OwnerKind], now: datetime) -> None:
        rows = [{"login": k.lower(), "kind": v, "checked_at": now} for k, v in kinds.items()]
        with self.store.session() as s:
            replace_rows(s, owners_table.c.login, rows)

    # feeds --------------------------------------------------------------------------------
    def feeds(self, urls: Sequence[str]) -> dict[str, FeedRecord]:
        out: dict[str, FeedRecord] = {}
        with self.store.session() as s:
            for row in select_in(s, feeds_table.c.url, urls):
                newest = int(row.newest_id) if (row.newest_id or "").isdigit() else None
                out[row.url] = FeedRecord(row.url, row.etag, newest, utc(row.checked_at))
        return out

    def put_feeds(self, records: Sequence[FeedRecord]) -> None:
        rows = [
            {
                "url": r.url,
                "etag": r.etag,
                "newest_id": None if r.newest_id is None else str(r.newest_id),
                "checked_at": r.checked_at,
            }
            for r in records
        ]
        with self.store.session() as s:
            replace_rows(s, feeds_table.c.url, rows)

    def forget_feeds(self, urls: Sequence[str]) -> None:
        with self.store.session() as s:
            delete_in(s, feeds_table.c.url, urls)

    # snapshots ----------------------------------------------------------------------------
    def snapshots(self, keys: Mapping[str, SourceSpec]) -> dict[str, StoredSnapshot]:
        """Stored snapshots by key; `keys` names the source each key belongs to."""
        out: dict[str, StoredSnapshot] = {}
        with self.store.session() as s:
            for row in select_in(s, snapshots_table.c.key, keys):
                snap = snapshot_from_json(keys[row.key], row.body)
                if snap is not None:
                    out[row.key] = StoredSnapshot(snap, utc(row.fetched_at))
        return out

    def put_snapshots(self, snapshots: Mapping[str, UpstreamSnapshot], now: datetime) -> None:
        rows = [
            {"key": k, "body": snapshot_to_json(v), "fetched_at": now} for k, v in snapshots.items()
        ]
        with self.store.session() as s:
            replace_rows(s, snapshots_table.c.key, rows)

    def forget_snapshots(self, keys: Sequence[str]) -> None:
        with self.store.session() as s:
            delete_in(s, snapshots_table.c.key, keys)


# snapshot codec -------------------------------------------------------------------------------


def _date(value: datetime | None) -> str | None:
    return value.isoformat() if value is not None else None


def _release_json(r: UpstreamRelease) -> dict[str, Any]:
    return {
        "tag": r.tag,
        "commit": r.commit,
        "date": _date(r.date),
        "prerelease": r.prerelease,
        "draft": r.draft,
        "notes": r.notes,
        "url": r.url,
        "is_release": r.is_release,
    }


def _head_json(h: BranchHead) -> dict[str, Any]:
    return {"branch": h.branch, "commit": h.commit, "date": _date(h.date)}


def snapshot_to_json(snap: UpstreamSnapshot) -> str:
    return json.dumps(
        {
            "releases": [_release_json(r) for r in snap.releases],
            "tags": [_release_json(t) for t in snap.tags],
            "head": _head_json(snap.head) if snap.head else None,
            "heads": [_head_json(h) for h in snap.heads],
        },
        separators=(",", ":"),
    )


def _release(x: Any) -> UpstreamRelease | None:
    if not isinstance(x, dict) or (tag := parse.tag_name(x.get("tag"))) is None:
        return None
    return UpstreamRelease(
        tag=tag,
        commit=parse.commit(x.get("commit")),
        date=parse.date(x.get("date")),
        prerelease=parse.flag(x.get("prerelease")),
        draft=parse.flag(x.get("draft")),
        notes=parse.text(x.get("notes")),
        url=parse.url(x.get("url")),
        is_release=x.get("is_release") is not False,
    )


def _head(x: Any) -> BranchHead | None:
    if not isinstance(x, dict):
        return None
    branch, oid = parse.tag_name(x.get("branch")), parse.commit(x.get("commit"))
    if branch is None or oid is None:
        return None
    return BranchHead(branch, oid, parse.date(x.get("date")))


def snapshot_from_json(source: SourceSpec, body: str) -> UpstreamSnapshot | None:
    """The stored snapshot, validated like an upstream answer; None when unreadable."""
    try:
        data = json.loads(body)
    except ValueError:
        return None
    if not isinstance(data, dict):
        return None

    def many(key: str) -> list[Any]:
        value = data.get(key)
        return value if isinstance(value, list) else []

    releases = tuple(r for r in map(_release, many("releases")) if r is not None)
    tags = tuple(t for t in map(_release, many("tags")) if t is not None)
    heads = tuple(h for h in map(_head, many("heads")) if h is not None)
    return UpstreamSnapshot(
        source=source, releases=releases, tags=tags, head=_head(data.get("head")), heads=heads
    )
