"""Logs: JSON lines off a terminal, and no token ever reaches the output."""

from __future__ import annotations

import io
import json
import subprocess
import sys
from pathlib import Path

import pytest

from updater.logs import configure_logging, get_logger, redact_text

PAT = "ghp_" + "A1b2C3d4E5" * 4
APP = "ghs_" + "Z9y8X7w6V5" * 4
FINE = "github_pat_" + "11ABCDEFG0" * 6


def capture(verbosity: int = 0) -> io.StringIO:
    stream = io.StringIO()
    configure_logging(verbosity, "json", stream=stream)
    return stream


def test_json_lines_with_level_and_timestamp() -> None:
    stream = capture()
    get_logger("test").info("checked", package="foo-bar", outdated=True)
    record = json.loads(stream.getvalue().splitlines()[-1])
    assert record["event"] == "checked"
    assert record["package"] == "foo-bar"
    assert record["level"] == "info"
    assert record["logger"] == "test"
    assert "timestamp" in record


def test_quiet_drops_info_and_verbose_shows_debug() -> None:
    stream = capture(-1)
    get_logger().info("hidden")
    get_logger().warning("shown")
    assert "hidden" not in stream.getvalue() and "shown" in stream.getvalue()
    stream = capture(1)
    get_logger().debug("detail")
    assert "detail" in stream.getvalue()


@pytest.mark.parametrize(
    "leak",
    [
        f"https://x-access-token:{APP}@github.com/o/r.git",
        f"Authorization: token {PAT}",
        f"{{'Authorization': 'Bearer {FINE}'}}",
        "git push https://user:hunter2secret@example.org/r.git",
        f"plain {PAT} in text",
        "jwt eyJhbGciOiJSUzI1NiJ9.eyJpc3MiOiIxMjM0NSJ9.c2lnbmF0dXJlc2lnbmF0dXJl",
    ],
)
def test_token_shapes_are_redacted(leak: str) -> None:
    out = redact_text(leak)
    assert "[REDACTED]" in out
    for secret in (PAT, APP, FINE, "hunter2secret", "c2lnbmF0dXJlc2lnbmF0dXJl"):
        assert secret not in out


def test_token_from_environment_never_reaches_log_output(monkeypatch: pytest.MonkeyPatch) -> None:
    # An opaque token (no GitHub prefix) is only known through the environment.
    opaque = "s3cr3t-opaque-token-value"
    monkeypatch.setenv("GITHUB_TOKEN", opaque)
    stream = capture(1)
    log = get_logger("test")
    log.info("request", url=f"https://api.example/?access_token={opaque}", headers={"x": opaque})
    try:
        raise RuntimeError(f"push failed for {opaque}")
    except RuntimeError:
        log.exception("failed", nested=[{"deep": opaque}])
    text = stream.getvalue()
    assert opaque not in text
    assert text.count("[REDACTED]") >= 4


def test_token_in_config_file_path_and_env_never_reaches_cli_logs(tmp_path: Path) -> None:
    config = tmp_path / "updater.toml"
    config.write_text('[github]\napi_url = "https://x:' + PAT + '@ghe.example/api/v3"\n')
    env = {"GITHUB_TOKEN": PAT, "PATH": "/usr/bin:/bin"}
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "updater",
            "-vv",
            "--log-format",
            "json",
            "--config",
            str(config),
            "--repo",
            str(tmp_path),
            "check",
        ],
        capture_output=True,
        text=True,
        timeout=60,
        env=env,
    )
    assert PAT not in proc.stdout + proc.stderr
