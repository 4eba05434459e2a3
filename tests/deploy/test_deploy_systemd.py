"""deploy/systemd/: the service, the periodic run and its timer, the secrets file.

`systemd-analyze verify` and `systemd-analyze security --offline` judge the units when the
machine has systemd-analyze; a small parser of our own checks the hardening either way.
"""

from __future__ import annotations

import re
import shlex
import shutil
import subprocess
from pathlib import Path

import pytest
from deploy_support import DEPLOY, REQUIRED_HARDENING, CliCheck, updater_executable

from updater.config import Secrets

SYSTEMD = DEPLOY / "systemd"
SERVICES = ("updater.service", "updater-run.service")
INSTALLED_PROGRAM = "/opt/updater/bin/updater"


def parse_unit(path: Path) -> dict[str, dict[str, list[str]]]:
    """Sections of key -> every value, in order (systemd keys may repeat; configparser's may not)."""
    sections: dict[str, dict[str, list[str]]] = {}
    current: dict[str, list[str]] | None = None
    for raw in path.read_text(encoding="utf-8").splitlines():
        line = raw.strip()
        if not line or line.startswith(("#", ";")):
            continue
        if line.startswith("[") and line.endswith("]"):
            current = sections.setdefault(line[1:-1], {})
            continue
        assert current is not None, f"{path.name}: {line!r} outside a section"
        key, sep, value = line.partition("=")
        assert sep, f"{path.name}: not a key=value line: {line!r}"
        current.setdefault(key.strip(), []).append(value.strip())
    return sections


def units_for_analysis(tmp_path: Path) -> list[Path]:
    """Copies whose ExecStart names the venv's `updater`: verify checks that it is executable."""
    copies = []
    for name in (*SERVICES, "updater-run.timer"):
        text = (SYSTEMD / name).read_text(encoding="utf-8")
        copy = tmp_path / name
        copy.write_text(text.replace(INSTALLED_PROGRAM, str(updater_executable())), "utf-8")
        copies.append(copy)
    return copies


def systemd_analyze() -> str:
    found = shutil.which("systemd-analyze")
    if found is None:
        pytest.skip("systemd-analyze is not installed (the parsed-unit tests still run)")
    return found


def test_systemd_analyze_verify_finds_nothing(tmp_path: Path) -> None:
    analyze = systemd_analyze()
    copies = units_for_analysis(tmp_path)
    proc = subprocess.run(
        [analyze, "verify", *(p.name for p in copies)],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=60,
    )
    # verify exits 0 on unknown keys and bad values too, and only says so on stderr.
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip() == "" and proc.stderr.strip() == "", proc.stderr


@pytest.mark.parametrize("name", SERVICES)
def test_security_exposure_is_low(tmp_path: Path, name: str) -> None:
    analyze = systemd_analyze()
    units_for_analysis(tmp_path)
    proc = subprocess.run(
        [analyze, "security", "--offline=yes", "--no-pager", name],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert proc.returncode == 0, proc.stderr
    match = re.search(r"Overall exposure level for \S+: (\d+\.\d+)", proc.stdout)
    assert match, proc.stdout[-500:]
    # 0 is a perfect sandbox, 10 none at all; systemd calls up to 2.0 "OK".
    assert float(match.group(1)) <= 2.0, proc.stdout


@pytest.mark.parametrize("name", SERVICES)
def test_service_carries_the_hardening(name: str) -> None:
    service = parse_unit(SYSTEMD / name)["Service"]
    for key, expected in REQUIRED_HARDENING.items():
        assert key in service, f"{name}: {key}= missing"
        values = service[key]
        if key == "SystemCallFilter":
            assert expected in values, f"{name}: SystemCallFilter={values}"
        else:
            assert values[-1] == expected, f"{name}: {key}={values[-1]!r}, want {expected!r}"
    assert service.get("DynamicUser") == ["yes"] or "User" in service
    assert service.get("User", ["root"])[-1] != "root"
    assert service["StateDirectory"] == ["updater"]
    assert "/var/lib/updater" in service["ReadWritePaths"]


@pytest.mark.parametrize("name", SERVICES)
def test_secrets_come_from_an_environment_file_not_the_unit(name: str) -> None:
    service = parse_unit(SYSTEMD / name)["Service"]
    assert service["EnvironmentFile"] == ["/etc/updater/updater.env"]
    inline = " ".join(service.get("Environment", []))
    for secret in ("GITHUB_TOKEN", "UPDATER_GITHUB_APP_PRIVATE_KEY", "UPDATER_RUN_TOKEN"):
        assert secret not in inline


def exec_start(name: str) -> list[str]:
    (line,) = parse_unit(SYSTEMD / name)["Service"]["ExecStart"]
    argv = shlex.split(line)
    assert argv[0] == INSTALLED_PROGRAM
    return argv[1:]


def test_the_service_serves_and_stops_gracefully() -> None:
    service = parse_unit(SYSTEMD / "updater.service")["Service"]
    assert exec_start("updater.service")[-1] == "serve"
    assert service["Type"] == ["simple"]
    assert service["Restart"] == ["on-failure"]
    # SIGTERM reaches the bot alone, which stops its own children; time to finish a package.
    assert service["KillMode"] == ["mixed"]
    assert int(service["TimeoutStopSec"][0]) >= 60
    assert parse_unit(SYSTEMD / "updater.service")["Install"]["WantedBy"] == ["multi-user.target"]


def test_the_timer_starts_a_run_over_every_package() -> None:
    timer = parse_unit(SYSTEMD / "updater-run.timer")
    assert timer["Timer"]["OnCalendar"] and timer["Timer"]["Persistent"] == ["true"]
    assert timer["Install"]["WantedBy"] == ["timers.target"]
    # A timer starts the service of its own name.
    assert (SYSTEMD / "updater-run.service").is_file()
    run = parse_unit(SYSTEMD / "updater-run.service")
    assert run["Service"]["Type"] == ["oneshot"]
    assert exec_start("updater-run.service")[-2:] == ["run", "--all"]
    assert "Install" not in run


@pytest.mark.parametrize("name", SERVICES)
def test_the_cli_accepts_the_units_command_line(cli_accepts: CliCheck, name: str) -> None:
    argv = exec_start(name)
    assert argv[:4] == ["--config", "/etc/updater/updater.toml", "--repo", "/var/lib/updater/repo"]
    cli_accepts(argv)


def test_the_clone_step_leaves_dollars_to_the_shell() -> None:
    for name in SERVICES:
        (pre,) = parse_unit(SYSTEMD / name)["Service"]["ExecStartPre"]
        # systemd would substitute a single "$VAR" itself (empty, before the shell runs).
        assert re.findall(r"(?<!\$)\$(?!\$)\w+", pre.replace("$$", "")) == []
        assert "$$UPDATER_REPO_URL" in pre


def test_the_env_example_names_exactly_what_the_bot_reads() -> None:
    entries = {}
    for raw in (SYSTEMD / "updater.env.example").read_text(encoding="utf-8").splitlines():
        line = raw.strip()
        if line and not line.startswith("#"):
            key, _, value = line.partition("=")
            entries[key] = value
    secrets = {"GITHUB_TOKEN", "UPDATER_GITHUB_APP_PRIVATE_KEY", "UPDATER_RUN_TOKEN"}
    assert set(entries) == secrets | {"UPDATER_REPO_URL"}
    # No secret value ships with the example.
    assert all(entries[key] == "" for key in secrets)
    # The names are the ones Secrets reads.
    read = Secrets.from_env(dict.fromkeys(secrets, "x"))
    assert read.github_token == read.app_private_key == read.run_token == "x"
