"""--shard i/n: every source group on exactly one shard, the same one on every run and machine."""

from __future__ import annotations

import itertools
import os
import subprocess
import sys

import pytest

from updater.errors import UsageError
from updater.pipeline.shard import Shard, bucket

IDS = [f"github:owner{i % 37}/repo-{i}" for i in range(1000)] + ["tangled:@x.y/z", "pkg-ü"]


@pytest.mark.parametrize("n", [1, 2, 3, 7])
def test_shards_cover_every_id_exactly_once(n: int) -> None:
    parts = [set(Shard(i, n).select(IDS)) for i in range(1, n + 1)]
    assert set().union(*parts) == set(IDS)
    for a, b in itertools.combinations(parts, 2):
        assert not a & b
    # A hash, not a range split: every shard gets a fair share.
    for part in parts:
        assert abs(len(part) - len(IDS) / n) < 0.2 * len(IDS) / n + 5


def test_split_is_stable_across_processes_and_hash_seeds() -> None:
    code = (
        "from updater.pipeline.shard import bucket; print([bucket(f'g{i}', 5) for i in range(50)])"
    )
    outs = {
        subprocess.run(
            [sys.executable, "-c", code],
            env={**os.environ, "PYTHONHASHSEED": seed},
            capture_output=True,
            text=True,
            check=True,
            timeout=60,
        ).stdout  # fmt: skip
        for seed in ("1", "2", "random")
    }
    assert outs == {str([bucket(f"g{i}", 5) for i in range(50)]) + "\n"}
    # Pinned values (SHA-256 of the id, first 8 bytes, mod n): a change of the hash would
    # silently move every group to another runner and its state cache.
    assert [bucket(x, 4) for x in ("github:acme/tool", "acme-daemon", "")] == [2, 0, 0]


@pytest.mark.parametrize("text", ["0/3", "4/3", "1/0", "a/b", "1", "1/2/3", "-1/2", " / "])
def test_bad_shard_is_a_usage_error(text: str) -> None:
    with pytest.raises(UsageError, match="--shard"):
        Shard.parse(text)


def test_parse_and_whole() -> None:
    assert Shard.parse("2/5") == Shard(2, 5) and Shard.parse("2/5").label == "2/5"
    assert Shard().is_whole and Shard().owns("anything")
