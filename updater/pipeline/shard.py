"""`--shard i/n`: n runners share the source groups by a stable hash, without overlap.

The split is by source group (not by package) so that packages sharing one upstream source,
and therefore the same pin literals, always land on the same runner. The hash is SHA-256 of the
id: Python's hash() is salted per process and would move groups between runs.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Protocol

from updater.errors import UsageError


class HasGroup(Protocol):
    @property
    def group(self) -> str: ...
    @property
    def packages(self) -> tuple[str, ...]: ...


_SHARD_RE = re.compile(r"^(\d{1,4})/(\d{1,4})$")


@dataclass(frozen=True)
class Shard:
    """Runner `index` (1-based, as people count matrix jobs) of `count`."""

    index: int = 1
    count: int = 1

    def __post_init__(self) -> None:
        if self.count < 1 or not 1 <= self.index <= self.count:
            raise UsageError(f"--shard {self.index}/{self.count}: expected i/n with 1 <= i <= n")

    @classmethod
    def parse(cls, text: str) -> Shard:
        m = _SHARD_RE.match(text.strip())
        if m is None:
            raise UsageError(f"--shard {text!r}: expected i/n, e.g. 1/4")
        return cls(int(m[1]), int(m[2]))

    @property
    def label(self) -> str:
        return f"{self.index}/{self.count}"

    @property
    def is_whole(self) -> bool:
        return self.count == 1

    def owns(self, group_id: str) -> bool:
        return bucket(group_id, self.count) == self.index - 1

    def select(self, ids: Iterable[str]) -> list[str]:
        return [i for i in ids if self.owns(i)]

    def owned_groups(self, packages_of: Mapping[str, Iterable[str]]) -> set[str]:
        """The source groups this shard owns, given each group's packages.

        A package fed by several sources ties them together: whole connected sets of groups
        and packages are sharded, named by their smallest group id, so no package is ever
        updated by two runners either.
        """
        parent = {group: group for group in packages_of}

        def root(group: str) -> str:
            while parent[group] != group:
                parent[group] = parent[parent[group]]
                group = parent[group]
            return group

        first_group: dict[str, str] = {}
        for group, packages in packages_of.items():
            for package in packages:
                a, b = sorted((root(first_group.setdefault(package, group)), root(group)))
                parent[b] = a
        return {group for group in packages_of if self.owns(root(group))}


def packages_by_group(tracked: Iterable[HasGroup]) -> dict[str, set[str]]:
    """Each source group's packages, merging the units one group is split into."""
    out: dict[str, set[str]] = {}
    for t in tracked:
        out.setdefault(t.group, set()).update(t.packages)
    return out


def bucket(group_id: str, count: int) -> int:
    """The 0-based shard of `group_id` among `count`; the same on every machine and run."""
    digest = hashlib.sha256(group_id.encode("utf-8")).digest()
    return int.from_bytes(digest[:8], "big") % count
