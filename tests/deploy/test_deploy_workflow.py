"""deploy/github-actions/updater.yml: the workflow a package repository copies to run the bot.

Checked by actionlint, by reading it as data, and by running its shell script with bash against
a stand-in `updater` that records its arguments.
"""

from __future__ import annotations

import os
import re
import stat
import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml
from deploy_support import DEPLOY, CliCheck, tool

WORKFLOW = DEPLOY / "github-actions" / "updater.yml"
FULL_SHA = re.compile(r"^\s*(?:-\s+)?uses:\s*([\w.\-]+/[\w.\-/]+)@([0-9a-f]+)(?:\s+#\s*(\S+))?\s*$")


def load() -> dict[Any, Any]:
    data = yaml.safe_load(WORKFLOW.read_text(encoding="utf-8"))
    assert isinstance(data, dict)
    return data


def triggers(data: dict[Any, Any]) -> dict[str, Any]:
    # YAML 1.1 reads the bare key `on` as the boolean true.
    value = data.get("on", data.get(True))
    assert isinstance(value, dict)
    return value


def steps(data: dict[Any, Any]) -> list[dict[str, Any]]:
    return [step for job in data["jobs"].values() for step in job["steps"]]


def step_by_uses(data: dict[Any, Any], action: str) -> tuple[int, dict[str, Any]]:
    for index, step in enumerate(steps(data)):
        if str(step.get("uses", "")).split("@")[0] == action:
            return index, step
    raise AssertionError(f"no step uses {action}")


def run_step(data: dict[Any, Any]) -> tuple[int, dict[str, Any]]:
    for index, step in enumerate(steps(data)):
        if "updater " in str(step.get("run", "")) and "args" in str(step.get("run", "")):
            return index, step
    raise AssertionError("no step runs updater")


def expressions_in_scripts(data: dict[Any, Any]) -> list[str]:
    """`${{ }}` inside a run: script is spliced into the shell text before bash reads it."""
    found = []
    for job in data.get("jobs", {}).values():
        for step in job.get("steps", []):
            script = str(step.get("run", ""))
            found += re.findall(r"\$\{\{.*?\}\}", script)
    return found


def test_actionlint_reports_nothing() -> None:
    proc = subprocess.run(
        [tool("actionlint"), "-no-color", str(WORKFLOW)],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert proc.stdout.strip() == ""


def test_every_action_is_pinned_by_full_commit_sha_with_its_version() -> None:
    uses_lines = [
        line for line in WORKFLOW.read_text(encoding="utf-8").splitlines() if "uses:" in line
    ]
    assert len(uses_lines) >= 5
    for line in uses_lines:
        match = FULL_SHA.match(line)
        assert match, f"not an action reference: {line!r}"
        action, ref, version = match.groups()
        assert len(ref) == 40, f"{action} pinned by {ref!r}, not a full commit SHA"
        assert version and re.fullmatch(r"v\d+(\.\d+)*", version), f"{action}: no version comment"


def test_runs_on_a_schedule_and_by_hand_with_a_package_input() -> None:
    on = triggers(load())
    assert on["schedule"] and all("cron" in entry for entry in on["schedule"])
    inputs = on["workflow_dispatch"]["inputs"]
    assert inputs["package"]["type"] == "string"
    assert inputs["package"]["required"] is False


def test_no_expression_is_spliced_into_a_shell_script() -> None:
    assert expressions_in_scripts(load()) == []


def test_the_splicing_check_catches_an_injectable_step() -> None:
    injectable = {
        "jobs": {"j": {"steps": [{"run": "updater run --package ${{ inputs.package }}"}]}}
    }
    assert expressions_in_scripts(injectable) == ["${{ inputs.package }}"]


def test_writes_go_through_the_app_token_not_the_jobs_token() -> None:
    data = load()
    assert data["permissions"] == {"contents": "read"}
    _, token_step = step_by_uses(data, "actions/create-github-app-token")
    assert set(token_step["with"]) >= {"app-id", "private-key"}
    assert "secrets." in token_step["with"]["private-key"]
    token = "${{ steps." + token_step["id"] + ".outputs.token }}"
    _, checkout = step_by_uses(data, "actions/checkout")
    assert checkout["with"]["token"] == token
    _, run = run_step(data)
    assert run["env"]["GITHUB_TOKEN"] == token


def test_nix_is_installed_before_the_bot_runs() -> None:
    data = load()
    nix_index, _ = step_by_uses(data, "cachix/install-nix-action")
    run_index, _ = run_step(data)
    assert nix_index < run_index


def test_state_is_restored_before_and_saved_after_every_run() -> None:
    data = load()
    checkout_index, _ = step_by_uses(data, "actions/checkout")
    restore_index, restore = step_by_uses(data, "actions/cache/restore")
    save_index, save = step_by_uses(data, "actions/cache/save")
    run_index, _ = run_step(data)
    # After checkout, which would clean untracked files; around the run.
    assert checkout_index < restore_index < run_index < save_index
    assert restore["with"]["path"] == save["with"]["path"] == ".updater"
    assert restore["with"]["key"] == save["with"]["key"]
    assert "github.run_id" in save["with"]["key"]
    prefix = restore["with"]["restore-keys"].strip()
    assert save["with"]["key"].startswith(prefix)
    # A run where some package failed (exit 1) still keeps what it learnt.
    assert "always()" in save["if"]


def test_shards_cover_every_package_exactly_once() -> None:
    data = load()
    shards = data["jobs"]["update"]["strategy"]["matrix"]["shard"]
    parsed = [tuple(int(x) for x in str(s).split("/")) for s in shards]
    totals = {n for _, n in parsed}
    assert len(totals) == 1, f"shards of different totals: {shards}"
    (total,) = totals
    assert sorted(i for i, _ in parsed) == list(range(1, total + 1))


# ---- the run script itself, executed by bash ----------------------------------------------


@pytest.fixture
def run_script(tmp_path: Path) -> Any:
    _, step = run_step(load())
    script = tmp_path / "run.sh"
    script.write_text(step["run"], encoding="utf-8")
    bindir = tmp_path / "bin"
    bindir.mkdir()
    record = tmp_path / "argv"
    fake = bindir / "updater"
    fake.write_text(f'#!/bin/sh\nprintf "%s\\n" "$@" > {record}\n', encoding="utf-8")
    fake.chmod(fake.stat().st_mode | stat.S_IXUSR)

    def run(**env: str) -> tuple[int, list[str] | None]:
        proc = subprocess.run(
            ["bash", "-e", str(script)],
            env={"PATH": f"{bindir}:{os.environ['PATH']}", **env},
            cwd=tmp_path,
            capture_output=True,
            text=True,
            timeout=30,
        )
        argv = record.read_text(encoding="utf-8").splitlines() if record.exists() else None
        return proc.returncode, argv

    return run


def test_scheduled_run_updates_all_packages_of_its_shard(run_script: Any) -> None:
    # On a schedule there are no inputs: GitHub passes empty strings.
    code, argv = run_script(INPUT_PACKAGE="", INPUT_DRY_RUN="", SHARD="2/3")
    assert code == 0
    assert argv == ["--log-format", "json", "run", "--all", "--shard", "2/3"]


def test_manual_run_updates_the_named_packages(run_script: Any) -> None:
    code, argv = run_script(INPUT_PACKAGE=" org-a  org-b.cli ", INPUT_DRY_RUN="true", SHARD="1/1")
    assert code == 0
    assert argv == [
        "--log-format",
        "json",
        "run",
        "--package",
        "org-a",
        "--package",
        "org-b.cli",
        "--dry-run",
    ]


@pytest.mark.parametrize(
    "hostile",
    ['x"; touch pwned; #', "$(touch pwned)", "`touch pwned`", "a;touch pwned", "--all", "-x"],
)
def test_a_hostile_package_input_runs_nothing(
    run_script: Any, tmp_path: Path, hostile: str
) -> None:
    code, argv = run_script(INPUT_PACKAGE=hostile, INPUT_DRY_RUN="false", SHARD="1/1")
    assert code == 2
    assert argv is None
    assert not (tmp_path / "pwned").exists()


def test_the_cli_accepts_the_workflows_command_lines(cli_accepts: CliCheck) -> None:
    cli_accepts(["--log-format", "json", "run", "--all", "--shard", "1/1", "--dry-run"])
    cli_accepts(["--log-format", "json", "run", "--package", "a", "--package", "b"])
