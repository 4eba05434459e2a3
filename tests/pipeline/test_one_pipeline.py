"""`updater run --all`, `updater serve --once` and `updater demo --once` go through one pipeline:
on the fixture NUR, each in a fresh world of its own, they attempt the same units, come to the
same outcomes, and open the same pull requests (what delivery records in the state store)."""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from updater_sandbox.world import World

UPDATER = [sys.executable, "-m", "updater"]
TIMEOUT = 600

Outcomes = tuple[dict[str, str], dict[str, str]]


def _recorded(state_db: Path) -> Outcomes:
    """unit -> outcome of every unit the engine was given (updated or failed), and the open
    pull requests' name -> proposed version."""
    with sqlite3.connect(state_db) as db:
        outcomes = dict(
            db.execute("SELECT unit, outcome FROM unit_outcomes WHERE outcome != 'skipped'")
        )
        pulls = dict(db.execute("SELECT name, new FROM pull_requests WHERE state = 'open'"))
    return outcomes, pulls


def _config(w: World, state_db: Path) -> Path:
    # What the demo configures for itself (sandbox/updater_sandbox/demo.py), writes paced faster.
    path = state_db.with_suffix(".toml")
    path.write_text(
        f'[state]\nurl = "sqlite:///{state_db}"\n'
        "[pull_requests]\nmax_new_per_hour = 50\nwrite_interval = 0.05\n"
        f'[forges."codeberg.org"]\ntype = "forgejo"\napi_url = "{w.forge.url}/api/v1"\n'
        f'[forges."gitlab.com"]\ntype = "gitlab"\napi_url = "{w.forge.url}/api/v4"\n'
    )
    return path


def _in_world(tmp_path: Path, *command: str) -> Outcomes:
    state_db = tmp_path / "state.db"
    with World(tmp_path / "world") as w:
        proc = subprocess.run(
            [*UPDATER, "--repo", str(w.nur_path), "--config", str(_config(w, state_db)),
             "--log-format", "json", *command],
            capture_output=True, text=True, timeout=TIMEOUT, env=w.process_env(),
        )  # fmt: skip
    # Exit 1: the fixture NUR fails some units on purpose (see its PATTERNS.md).
    assert proc.returncode in (0, 1), proc.stderr[-3000:]
    return _recorded(state_db)


def _demo(tmp_path: Path) -> Outcomes:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("GIT_", "GITHUB_", "NIX_"))}
    env |= {"GIT_CONFIG_NOSYSTEM": "1", "GIT_CONFIG_GLOBAL": os.devnull}
    root = tmp_path / "demo"
    proc = subprocess.run(
        [*UPDATER, "demo", "--once", "--dir", str(root)],
        capture_output=True, text=True, timeout=TIMEOUT, env=env,
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr[-3000:]
    return _recorded(root / "state.db")


@pytest.mark.nix
@pytest.mark.slow
def test_run_serve_and_demo_attempt_the_same_units_with_the_same_outcomes(
    tmp_path: Path,
) -> None:
    run = _in_world(tmp_path / "run", "run", "--all")
    serve = _in_world(tmp_path / "serve", "serve", "--once")
    demo = _demo(tmp_path)

    outcomes, pulls = run
    assert len(outcomes) >= 8 and set(outcomes.values()) <= {"updated", "failed"}, outcomes
    assert len(pulls) == sum(1 for o in outcomes.values() if o == "updated"), pulls
    assert serve == run, _differences(serve, run)
    assert demo == run, _differences(demo, run)


def _differences(got: Outcomes, want: Outcomes) -> str:
    """Only what differs, by unit and by PR (the whole dicts are too long to read)."""
    lines = []
    for label, a, b in (("unit", got[0], want[0]), ("pull", got[1], want[1])):
        for key in sorted(set(a) | set(b)):
            if a.get(key) != b.get(key):
                lines.append(f"{label} {key}: {a.get(key)!r} here, {b.get(key)!r} in run")
    return "\n".join(lines)
