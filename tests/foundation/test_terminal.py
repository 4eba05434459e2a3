"""`check` and `run` as a person sees them: in a pseudo-terminal 80 columns wide, through a
terminal emulator (pyte), every line stays within 80 characters: the live line, the log records
printed above it, the tables, the summary. Off a terminal: no control codes at all.

The emulator's screen is wider than the terminal the program is told about, so a line the
program writes past column 80 shows up as such instead of being wrapped by the emulator.
"""

from __future__ import annotations

import fcntl
import os
import re
import select
import shutil
import struct
import subprocess
import sys
import termios
import time
from collections.abc import Iterator
from pathlib import Path

import pyte
import pytest

from updater_sandbox.world import World

COLUMNS = 80
SCREEN = 240  # the emulator's width: wider than what the program is told
PACKAGE = "webapp-skyview"  # a cheap package of the fixture NUR with a newer release upstream


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    if shutil.which("nix-build") is None:
        pytest.skip("nix-build is not installed")
    with World(tmp_path_factory.mktemp("terminal-world")) as w:
        yield w


def _command(w: World, tmp_path: Path, *args: str) -> list[str]:
    config = tmp_path / "updater.toml"
    config.write_text(
        f'[state]\nurl = "sqlite:///{tmp_path / "state.db"}"\n'
        f'[forges."codeberg.org"]\ntype = "forgejo"\napi_url = "{w.forge.url}/api/v1"\n'
        f'[forges."gitlab.com"]\ntype = "gitlab"\napi_url = "{w.forge.url}/api/v4"\n'
    )
    return [
        sys.executable,
        "-m",
        "updater",
        "--repo",
        str(w.nur_path),
        "--config",
        str(config),
        *args,
    ]


def _env(w: World) -> dict[str, str]:
    env = {k: v for k, v in w.process_env().items() if k not in ("COLUMNS", "LINES", "NO_COLOR")}
    return {**env, "TERM": "xterm-256color"}


def in_terminal(argv: list[str], env: dict[str, str], timeout: float = 600) -> tuple[int, bytes]:
    """Run `argv` with stdin, stdout and stderr on a pseudo-terminal of 80x40; all it wrote."""
    master, slave = os.openpty()
    fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", 40, COLUMNS, 0, 0))
    proc = subprocess.Popen(
        argv, stdin=slave, stdout=slave, stderr=slave, env=env, start_new_session=True
    )
    os.close(slave)
    out = bytearray()
    deadline = time.monotonic() + timeout
    try:
        while time.monotonic() < deadline:
            ready, _, _ = select.select([master], [], [], 0.5)
            if ready:
                try:
                    chunk = os.read(master, 65536)
                except OSError:  # EIO: every writer of the terminal is gone
                    break
                if not chunk:
                    break
                out += chunk
            elif proc.poll() is not None:
                break
        code = proc.wait(timeout=max(1.0, deadline - time.monotonic()))
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
        os.close(master)
    return code, bytes(out)


def screen_lines(raw: bytes) -> list[str]:
    screen = pyte.Screen(SCREEN, 4000)
    stream = pyte.ByteStream(screen)
    stream.feed(raw)
    lines = [line.rstrip() for line in screen.display]
    while lines and not lines[-1]:
        lines.pop()
    return lines


def _too_wide(lines: list[str]) -> list[str]:
    return [f"{len(line)}: {line}" for line in lines if len(line) > COLUMNS]


def test_check_at_80_columns(world: World, tmp_path: Path) -> None:
    code, raw = in_terminal(_command(world, tmp_path, "check"), _env(world))
    lines = screen_lines(raw)
    text = "\n".join(lines)
    assert code in (0, 1), text[-3000:]
    assert b"\x1b[" in raw  # it is a terminal: colours and the live line were drawn
    assert _too_wide(lines) == [], "\n".join(_too_wide(lines))
    assert "updater check" in text and PACKAGE in text
    # The live line is gone at the end; one summary line of counts is the last.
    assert "check: checking upstreams" not in text
    assert re.fullmatch(r"checked \d+ packages in \d+:\d\d: .*\d+ outdated.*", lines[-1]), lines[-1]
    # An error is shown once, below the table, naming the packages it hit.
    for line in lines:
        if line.startswith("error "):
            assert re.match(r"error \d+: ", line)


def test_run_at_80_columns(world: World, tmp_path: Path) -> None:
    argv = _command(world, tmp_path, "run", "--package", PACKAGE, "--no-pr")
    code, raw = in_terminal(argv, _env(world))
    lines = screen_lines(raw)
    text = "\n".join(lines)
    assert code == 0, text[-3000:]
    assert _too_wide(lines) == [], "\n".join(_too_wide(lines))
    assert "updater run" in text and "updated" in text
    # Log records were printed above the live line, not through it: each starts a line.
    assert any(re.match(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d[.\d]*Z \[info", line) for line in lines), (
        text
    )
    assert not any(re.search(r".\d{4}-\d\d-\d\d \d\d:\d\d:\d\d \[info", line) for line in lines)
    assert "run: updating" not in text and "run: checking" not in text
    assert re.fullmatch(r"ran 1 unit in \d+:\d\d: 1 updated", lines[-1]), lines[-1]


def test_off_a_terminal_no_control_codes(world: World, tmp_path: Path) -> None:
    proc = subprocess.run(
        _command(world, tmp_path, "check"),
        capture_output=True, env=_env(world), timeout=600, check=False,
    )  # fmt: skip
    assert proc.returncode in (0, 1), proc.stderr[-3000:]
    assert b"\x1b" not in proc.stdout and b"\x1b" not in proc.stderr
    err = proc.stderr.decode().splitlines()
    assert re.fullmatch(r"checked \d+ packages in \d+:\d\d: .*", err[-1]), err[-5:]
    # Everything else on stderr is the JSON log.
    assert all(line.startswith("{") for line in err[:-1]), err[:5]
