"""Hostile tag names from an upstream: refused before they touch anything, each named in the
output of `check` and `run` with package, upstream, the tag escaped for a terminal and the rule
it broke, and the command exits 1 (the world's forge, real git and Nix)."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

from updater.pipeline.report import escaped
from updater_sandbox.world import World

# Pinned by tag to the newest acceptable release (v0.3.1): every newer tag is hostile.
PACKAGE = "firehose-explorer"
UPSTREAM = "github:firehose-example/firehose-tools"
# shape -> (tag, rule named in the output)
HOSTILE = {
    "quote": ('v9.0.0"; system = "x', "quote"),
    "interpolation": ("v9.1.0${builtins.currentTime}", "'${'"),
    "newline": ("v9.2.0\nrm -rf ~", "control character"),
    "option": ("--upload-pack=touch /tmp/pwned", "leading '-'"),
    "backslash": ("v9.3.0\\x", "backslash"),
    "fullwidth": ("v\uff19.\uff10.\uff10", "non-ASCII"),
    "rtl": ("v9.4.0\u202egpj.exe", "bidirectional"),
    "long": ("v9." + "1" * 297, "longer than 200"),
}


@pytest.fixture
def world(tmp_path: Path) -> Iterator[World]:
    with World(tmp_path / "world") as w:
        when = datetime(2025, 6, 1, tzinfo=UTC)  # newer than every real release
        for tag, _ in HOSTILE.values():
            w.forge.add_release(
                "github.com", "firehose-example", "firehose-tools", tag,
                published_at=when, created_at=when,
            )  # fmt: skip
        yield w


def updater(w: World, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "updater", "--repo", str(w.nur_path), *args],
        capture_output=True, text=True, timeout=600, env=w.process_env(),
    )  # fmt: skip


def _assert_every_shape_named(output: str) -> None:
    lines = [line for line in output.splitlines() if "refused tag" in line]
    assert len(lines) == len(HOSTILE), output[-4000:]
    for shape, (tag, rule) in HOSTILE.items():
        shown = escaped(tag)
        (line,) = [x for x in lines if f"'{shown}'" in x]
        assert line.startswith(f"{PACKAGE}: {UPSTREAM}: refused tag "), (shape, line)
        assert rule in line, (shape, line)
        assert line.isascii() and "\n" not in line and "\x1b" not in line
    # Escaped, never raw: no newline or override reaches the terminal inside a line.
    assert "\u202e" not in output and "rm -rf ~\n" not in output


def test_check_names_every_refused_tag_and_exits_1(world: World) -> None:
    proc = updater(world, "check", "--package", PACKAGE)
    assert proc.returncode == 1
    _assert_every_shape_named(proc.stderr)


@pytest.mark.nix
def test_run_refuses_every_shape_names_it_and_exits_1(world: World) -> None:
    proc = updater(world, "run", "--package", PACKAGE, "--no-pr")
    assert proc.returncode == 1, proc.stderr[-3000:]
    _assert_every_shape_named(proc.stderr)

    # Nothing was written: no commit, no branch, a clean checkout.
    def git(*args: str) -> str:
        return subprocess.run(
            ["git", "-C", str(world.nur_path), *args],
            capture_output=True, text=True, timeout=60, check=True,
        ).stdout  # fmt: skip

    assert git("for-each-ref", "--format=%(refname)", "refs/heads/updater/") == ""
    assert git("status", "--porcelain") == ""
    assert len(git("rev-list", "--all").split()) == 1
