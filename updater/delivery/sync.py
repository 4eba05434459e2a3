"""Before a run: make the state store agree with GitHub.

GitHub is the truth; the store only saves requests and remembers what a run did. For every PR
from an update branch (its metadata block names the update):
- open, merged or closed: its row is written as GitHub has it;
- closed without merging: its version is declined, never to be proposed again;
- merged: the branch is deleted, when no newer PR uses it and it still points at what was merged.
A lost or empty store is rebuilt by the same pass: nothing here depends on what the store held,
except that a PR whose block a person removed is still known by its row.

`ignoring_declined` hands the declined versions to the engine through the version policy's
ignore lists (`[packages.<name>].ignore`), so the upstream check passes over them.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, replace
from datetime import datetime

from updater.config import Config, PackageConfig
from updater.forge.lifecycle import recover_state
from updater.forge.models import PullRequestInfo, PullState
from updater.forge.pulls import PullRequests
from updater.logs import get_logger
from updater.state.delivery import (
    DeclinedRecord,
    PullRecord,
    PullStateName,
    pull_records,
    save_declined,
    save_pull,
)
from updater.state.store import StateStore

_log = get_logger("updater.delivery.sync")

_STATE: dict[PullState, PullStateName] = {
    PullState.OPEN: "open",
    PullState.CLOSED_UNMERGED: "closed",
    PullState.MERGED: "merged",
}
_GLOB = re.compile(r"([*?\[])")


@dataclass(frozen=True)
class SyncReport:
    pulls: int  # the bot's PRs seen on the forge
    rebuilt: bool  # the store knew no PR before (new or lost): rebuilt from GitHub
    declined: tuple[DeclinedRecord, ...]  # newly declined versions
    deleted_branches: tuple[str, ...]  # branches of merged PRs deleted (or, dry-run, to delete)


def _record(info: PullRequestInfo, known: PullRecord | None) -> PullRecord | None:
    meta = info.metadata
    state = _STATE[info.state]
    if meta is not None:
        return PullRecord(
            number=info.number,
            name=meta.name,
            branch=info.head_ref,
            state=state,
            old=meta.old_version,
            new=meta.new_version,
            url=info.url,
            unit=known.unit if known else None,
            packages=meta.packages,
            branch_deleted=known.branch_deleted if known else False,
        )
    if known is not None:
        # Someone edited the block away: the row still says what the PR proposed.
        return PullRecord(
            number=known.number,
            name=known.name,
            branch=known.branch,
            state=state,
            old=known.old,
            new=known.new,
            url=info.url or known.url,
            unit=known.unit,
            packages=known.packages,
            branch_deleted=known.branch_deleted,
        )
    return None  # not one of the bot's PRs (a person's PR from an update branch)


def sync(
    store: StateStore, pulls: PullRequests, *, dry_run: bool = False, now: datetime | None = None
) -> SyncReport:
    """Reconcile the store with the forge (see the module docstring). In a dry run the branch
    deletions are only recorded as intents; facts read from GitHub are still stored."""
    known = {p.number: p for p in pull_records(store)}
    seen = pulls.bot_pulls("all")
    declined: list[DeclinedRecord] = []
    records: dict[int, PullRecord] = {}
    for info in seen:
        record = _record(info, known.get(info.number))
        if record is None:
            continue
        records[info.number] = record
        save_pull(store, record, now)
        if record.state == "closed":
            entry = DeclinedRecord(
                name=record.name,
                version=record.new,
                unit=record.unit,
                packages=record.packages,
                pull=record.number,
            )
            if save_declined(store, entry, now):
                declined.append(entry)
                _log.info(
                    "version declined", name=record.name, version=record.new, pull=info.number
                )
    deleted = _delete_merged_branches(store, pulls, seen, records, dry_run, now)
    return SyncReport(
        pulls=len(records), rebuilt=not known, declined=tuple(declined), deleted_branches=deleted
    )


def _delete_merged_branches(
    store: StateStore,
    pulls: PullRequests,
    seen: tuple[PullRequestInfo, ...],
    records: dict[int, PullRecord],
    dry_run: bool,
    now: datetime | None,
) -> tuple[str, ...]:
    deleted: list[str] = []
    by_number = {p.number: p for p in seen}
    for branch in recover_state(seen, pulls.settings.branch_prefix):
        if branch.open_pull is not None:
            continue
        numbers = [p.number for p in seen if p.head_ref == branch.branch]
        latest = by_number[max(numbers)]
        record = records.get(latest.number)
        if latest.state is not PullState.MERGED or record is None or record.branch_deleted:
            continue
        if pulls.delete_branch(branch.branch, expected_sha=latest.head_sha):
            deleted.append(branch.branch)
            if dry_run:
                continue
        elif pulls.branch_sha(branch.branch) is not None:
            continue  # moved after the merge: someone's work, kept (and looked at again)
        save_pull(store, replace(record, branch_deleted=True), now)
    return tuple(deleted)


def _literal(version: str) -> str:
    """`version` as an fnmatch pattern matching only itself."""
    return _GLOB.sub(r"[\1]", version)


def ignoring_declined(config: Config, declined: Iterable[DeclinedRecord]) -> Config:
    """`config` with every declined version added to the ignore list of its packages.

    The version policy takes a package's settings from the first of (its packages..., its
    group) that has a `[packages.*]` table: declined versions go into every such table that
    exists, or into a new table per package when none does, so whichever is found carries them.
    """
    packages = dict(config.packages)
    for record in declined:
        names = list(record.packages) + ([record.unit.split("#", 1)[0]] if record.unit else [])
        existing = [n for n in names if n in packages]
        pattern = _literal(record.version)
        for name in existing or list(record.packages):
            current = packages.get(name, PackageConfig())
            if pattern not in current.ignore:
                packages[name] = current.model_copy(update={"ignore": [*current.ignore, pattern]})
    if packages == config.packages:
        return config
    return config.model_copy(update={"packages": packages})
