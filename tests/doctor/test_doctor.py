"""`updater doctor` on real Nix, git, SQLite and the local forge: one row per check, exit 0
when all pass, 1 when one fails."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path
from typing import Any

import pytest
from doctor_support import broken_nix_conf, clean_env, make_nur, updater

from updater_sandbox.forge.local_forge import LocalForge

TOKEN = "ghp_" + "doctorTestTokenNotReal".ljust(36, "0")


def _rows(proc: Any) -> dict[str, dict[str, str]]:
    return {f"{r['group']}: {r['check']}": r for r in json.loads(proc.stdout)}


@pytest.fixture
def nur(tmp_path: Path) -> Path:
    return make_nur(tmp_path / "nur", 3)


@pytest.mark.nix
def test_nix_that_cannot_build_fails_with_nix_own_error_line(nur: Path, tmp_path: Path) -> None:
    conf = broken_nix_conf(tmp_path / "nixconf")
    proc = updater("--repo", str(nur), "doctor", "--format", "json",
                   env=clean_env(NIX_CONF_DIR=str(conf)))  # fmt: skip
    assert proc.returncode == 1, proc.stderr
    build = _rows(proc)["nix: builds"]
    assert build["status"] == "fail"
    assert (
        "error: the group 'nosuchgroup' specified in 'build-users-group' does not exist"
        in (build["detail"])
    )
    assert "bootstrap.sh" in build["hint"]


@pytest.mark.nix
def test_the_machine_bootstrap_set_up_passes(nur: Path) -> None:
    proc = updater("--repo", str(nur), "doctor", "--format", "json")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    rows = _rows(proc)
    assert rows["nix: builds"]["status"] == "ok"
    assert "supported: Nix 2.3 or newer" in rows["nix: version"]["detail"]
    assert rows["repository: packages"]["detail"].startswith("3 package(s)")
    assert rows["repository: base branch"]["detail"].startswith("main")
    assert rows["state: store"]["status"] == "ok"
    # The doctor does not create the store it checks: the first run does.
    assert not (nur / ".updater").exists()


@pytest.mark.nix
def test_table_has_a_row_per_check_and_a_summary(nur: Path) -> None:
    proc = updater("--repo", str(nur), "doctor")
    assert proc.returncode == 0
    for check in ("nix: builds", "git: identity", "repository: checkout", "state: store"):
        assert check in proc.stdout
    assert "updater doctor: 16 checks: all pass" in proc.stderr


@pytest.mark.nix
def test_a_broken_configuration_is_a_failed_row_not_an_early_exit(nur: Path) -> None:
    (nur / "config").mkdir()
    (nur / "config" / "updater.toml").write_text('[schedule]\ncron = "every hour"\n')
    proc = updater("--repo", str(nur), "doctor", "--format", "json")
    assert proc.returncode == 1
    rows = _rows(proc)
    valid = rows["configuration: valid"]
    assert valid["status"] == "fail"
    assert "config/updater.toml: schedule.cron" in valid["detail"]
    assert rows["nix: builds"]["status"] == "ok"  # the other checks still ran


@pytest.mark.nix
def test_unknown_package_section_is_named_with_the_closest(nur: Path) -> None:
    (nur / "config").mkdir()
    (nur / "config" / "updater.toml").write_text("[packages.p11]\nskip = true\n")
    proc = updater("--repo", str(nur), "doctor", "--format", "json")
    assert proc.returncode == 1
    row = _rows(proc)["configuration: packages"]
    assert row["status"] == "fail"
    assert "[packages.p11]" in row["detail"] and "p1" in row["detail"]


def test_not_a_git_checkout(tmp_path: Path) -> None:
    (tmp_path / "pkgs").mkdir()
    proc = updater("--repo", str(tmp_path), "doctor", "--format", "jsonl")
    assert proc.returncode == 1
    rows = [json.loads(line) for line in proc.stdout.splitlines()]
    checkout = next(r for r in rows if r["check"] == "checkout")
    assert checkout["status"] == "fail" and "not a git checkout" in checkout["detail"]


def _online(nur: Path, forge: LocalForge, token: str) -> dict[str, dict[str, str]]:
    env = clean_env(
        GITHUB_API_URL=forge.api_url,
        GITHUB_GRAPHQL_URL=forge.graphql_url,
        GITHUB_REPOSITORY="someone/nur",
        GITHUB_TOKEN=token,
    )
    proc = updater("--repo", str(nur), "doctor", "--online", "--format", "json", env=env)
    return _rows(proc)


@pytest.mark.nix
def test_online_the_forge_answers_and_the_token_may_push(nur: Path, tmp_path: Path) -> None:
    with LocalForge(tmp_path / "forge", token=TOKEN) as forge:
        bare = forge.repo_path("github.com", "someone", "nur")
        subprocess.run(["git", "clone", "-q", "--bare", str(nur), str(bare)], check=True)
        rows = _online(nur, forge, TOKEN)
        assert rows["credentials: present"]["detail"] == (
            "GITHUB_TOKEN: personal access token (classic)"
        )
        assert rows["credentials: forge"]["status"] == "ok"
        assert "rate limit:" in rows["credentials: forge"]["detail"]
        assert rows["credentials: access"]["status"] == "ok", rows["credentials: access"]
        # The token is never shown.
        assert TOKEN not in json.dumps(rows)

        wrong = "ghp_" + "notTheForgeToken".ljust(36, "1")
        rows = _online(nur, forge, wrong)
        assert rows["credentials: forge"]["status"] == "fail"
        assert "rejected the token (HTTP 401)" in rows["credentials: forge"]["detail"]
        assert wrong not in json.dumps(rows)
