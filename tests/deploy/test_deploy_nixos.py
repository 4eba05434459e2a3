"""deploy/nixos/: the NixOS module, the package and the flake.

No nixpkgs is available offline, so nothing here is built. Every .nix file is parsed by the
real Nix; the module, the package and the flake are then evaluated by the real Nix against
small stand-ins for nixpkgs' `lib`, `pkgs` and `utils` (tests/deploy/*_stub.nix), which check
what they declare and render, not how the real module system would type-check it.
"""

from __future__ import annotations

import json
import re
import shlex
import subprocess
import tomllib
from pathlib import Path
from typing import Any

import pytest
from deploy_support import DEPLOY, REPO, REQUIRED_HARDENING, CliCheck

from updater.config import parse_config

pytestmark = pytest.mark.nix

NIXOS = DEPLOY / "nixos"
HERE = Path(__file__).resolve().parent


def nix_eval(expression: str) -> Any:
    proc = subprocess.run(
        ["nix-instantiate", "--eval", "--strict", "--json", "--expr", expression],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode == 0, proc.stderr
    return json.loads(proc.stdout)


def nix_string(value: object) -> str:
    return json.dumps(value)  # a JSON string literal is a valid Nix string literal here


def module(values: dict[str, Any]) -> dict[str, Any]:
    # Values go through JSON so the test states them as Python data.
    result = nix_eval(
        f"import {HERE / 'nixos_stub.nix'} {{ modulePath = {NIXOS / 'module.nix'}; "
        f"values = builtins.fromJSON {nix_string(json.dumps(values))}; }}"
    )
    assert isinstance(result, dict)
    return result


def service(values: dict[str, Any]) -> dict[str, Any]:
    unit = module(values)["config"]["systemd"]["services"]["updater"]
    assert isinstance(unit, dict)
    return unit


def exec_start(values: dict[str, Any]) -> list[str]:
    argv = shlex.split(service(values)["serviceConfig"]["ExecStart"])
    assert argv[0].endswith("-updater/bin/updater")
    return argv[1:]


def package_and_flake() -> dict[str, Any]:
    result = nix_eval(
        f"import {HERE / 'package_stub.nix'} {{ packagePath = {NIXOS / 'package.nix'}; "
        f"flakePath = {NIXOS / 'flake.nix'}; }}"
    )
    assert isinstance(result, dict)
    return result


def test_every_nix_file_under_deploy_parses() -> None:
    files = sorted(DEPLOY.rglob("*.nix"))
    assert {f.name for f in files} >= {"module.nix", "package.nix", "flake.nix"}
    for path in files:
        proc = subprocess.run(
            ["nix-instantiate", "--parse", str(path)], capture_output=True, text=True, timeout=60
        )
        assert proc.returncode == 0, f"{path}: {proc.stderr}"


def test_the_module_declares_its_options() -> None:
    options = module({})["options"]
    assert set(options) >= {
        "enable",
        "package",
        "settings",
        "environmentFile",
        "schedule",
        "mode",
        "stateDir",
        "user",
        "group",
        "shard",
    }
    assert all(o["hasDefault"] and o["hasDescription"] for o in options.values())
    assert options["mode"]["type"] == {"name": "enum", "values": ["timer", "service"]}
    assert options["settings"]["type"]["name"] == "toml"
    assert options["environmentFile"]["type"]["name"] == "nullOr"


def test_disabled_the_module_defines_nothing() -> None:
    assert module({})["config"] == {}


def test_timer_mode_runs_every_package_on_the_schedule() -> None:
    result = module({"enable": True, "schedule": "*-*-* 00/6:17:00"})
    systemd = result["config"]["systemd"]
    assert systemd["timers"]["updater"]["timerConfig"]["OnCalendar"] == "*-*-* 00/6:17:00"
    assert systemd["timers"]["updater"]["wantedBy"] == ["timers.target"]
    unit = systemd["services"]["updater"]
    assert unit["serviceConfig"]["Type"] == "oneshot"
    assert unit["wantedBy"] == []
    assert exec_start({"enable": True})[-2:] == ["run", "--all"]


def test_service_mode_serves_and_has_no_timer() -> None:
    result = module({"enable": True, "mode": "service"})
    systemd = result["config"]["systemd"]
    assert systemd["timers"] == {}
    unit = systemd["services"]["updater"]
    assert unit["wantedBy"] == ["multi-user.target"]
    assert unit["serviceConfig"]["Restart"] == "on-failure"
    assert unit["serviceConfig"]["KillMode"] == "mixed"
    assert exec_start({"enable": True, "mode": "service"})[-1] == "serve"


def test_the_command_line_names_the_rendered_config_the_repo_and_the_shard() -> None:
    argv = exec_start({"enable": True, "shard": "2/3", "extraArgs": ["--jobs", "4"]})
    assert argv[0] == "--config" and argv[1].endswith("-updater.toml")
    assert argv[2:4] == ["--repo", "/var/lib/updater/repo"]
    assert argv[-6:] == ["run", "--all", "--shard", "2/3", "--jobs", "4"]
    assert exec_start({"enable": True, "mode": "service", "shard": "1/2"})[-3:] == [
        "serve",
        "--shard",
        "1/2",
    ]


def test_secrets_come_from_the_environment_file_only() -> None:
    unit = service({"enable": True, "environmentFile": "/run/secrets/updater.env"})
    assert unit["serviceConfig"]["EnvironmentFile"] == ["/run/secrets/updater.env"]
    assert service({"enable": True})["serviceConfig"]["EnvironmentFile"] == []
    assert not {"GITHUB_TOKEN", "UPDATER_RUN_TOKEN"} & set(unit["environment"])


def test_the_rendered_settings_are_a_valid_config_with_state_in_the_state_dir() -> None:
    result = module(
        {
            "enable": True,
            "stateDir": "/srv/updater",
            "settings": {
                "repository": {"github": "owner/nur"},
                "github": {"app_id": 123, "app_installation_id": 456},
                "serve": {"listen": "127.0.0.1:9000"},
            },
        }
    )
    config = parse_config(result["settings"], "services.updater.settings")
    assert config.state.url == "sqlite:////srv/updater/state.db"
    assert config.github.app_id == 123
    assert config.serve.listen == "127.0.0.1:9000"
    # Outside /var/lib the directory comes from tmpfiles instead of StateDirectory=.
    systemd = result["config"]["systemd"]
    assert "StateDirectory" not in systemd["services"]["updater"]["serviceConfig"]
    assert systemd["tmpfiles"]["rules"] == ["d /srv/updater 0750 updater updater - -"]


def test_a_users_state_url_wins_over_the_modules_default() -> None:
    url = "postgresql+psycopg://updater@db/updater"
    result = module({"enable": True, "settings": {"state": {"url": url}}})
    assert result["settings"]["state"]["url"] == url


def test_the_module_hardens_the_service_like_the_plain_unit() -> None:
    config = service({"enable": True})["serviceConfig"]
    for key, expected in REQUIRED_HARDENING.items():
        value = config[key]
        if isinstance(value, bool):
            rendered = "yes" if value else "no"
        elif isinstance(value, list):
            rendered = " ".join(value)
        else:
            rendered = str(value)
        if key == "SystemCallFilter":
            assert expected in value
        else:
            assert rendered == expected, f"{key}={rendered!r}, want {expected!r}"
    assert config["User"] == "updater" and config["StateDirectory"] == "updater"
    assert "/var/lib/updater" in config["ReadWritePaths"]


def test_the_module_creates_its_default_user_only() -> None:
    users = module({"enable": True})["config"]["users"]
    assert users["users"]["updater"]["isSystemUser"] is True
    custom = module({"enable": True, "user": "bot", "group": "bots"})["config"]
    assert custom["users"] == {}
    assert custom["systemd"]["services"]["updater"]["serviceConfig"]["User"] == "bot"


@pytest.mark.parametrize("mode", ["timer", "service"])
def test_the_cli_accepts_the_modules_command_line(cli_accepts: CliCheck, mode: str) -> None:
    cli_accepts(exec_start({"enable": True, "mode": mode}))


# ---- package and flake ------------------------------------------------------------------------


def _nixpkgs_name(requirement: str) -> str:
    name = re.split(r"[\[<>=!~;\s]", requirement, maxsplit=1)[0]
    return re.sub(r"[-_.]+", "-", name).lower()


def test_the_package_has_every_dependency_of_pyproject() -> None:
    pyproject = tomllib.loads((REPO / "pyproject.toml").read_text(encoding="utf-8"))
    package = package_and_flake()["package"]
    assert package["builder"] == "buildPythonApplication"
    assert package["version"] == pyproject["project"]["version"]
    wanted = {_nixpkgs_name(r) for r in pyproject["project"]["dependencies"]}
    missing = wanted - set(package["dependencies"])
    assert not missing, f"deploy/nixos/package.nix lacks {sorted(missing)}"
    assert "cryptography" in package["dependencies"]  # PyJWT[crypto]: GitHub App tokens
    # Extras are dynamic (setup.py writes them, see pyproject.toml); their lists live here.
    postgres = {_nixpkgs_name(r) for r in pyproject["tool"]["updater"]["extras"]["postgres"]}
    assert postgres <= set(package["optionalDependencies"]["postgres"])
    assert set(package["buildSystem"]) >= {"setuptools"}
    assert package["mainProgram"] == "updater"


def test_the_package_builds_from_the_python_sources_only() -> None:
    package = package_and_flake()["package"]
    assert package["srcRoot"] == str(REPO)
    assert sorted(Path(p).relative_to(REPO).as_posix() for p in package["srcFiles"]) == [
        "README.md",
        "pyproject.toml",
        "setup.py",
        "updater",
    ]
    # git and Nix are what the bot runs; the wrapper must find them.
    assert "git/bin" in package["wrapperArgs"][-1] and "nix/bin" in package["wrapperArgs"][-1]


def test_the_flake_exposes_the_package_the_app_and_the_module() -> None:
    flake = package_and_flake()["flake"]
    assert flake["inputs"] == ["nixpkgs"]
    assert set(flake["outputs"]) >= {"packages", "apps", "nixosModules", "overlays"}
    assert all(set(names) == {"default", "updater"} for names in flake["packages"].values())
    assert flake["packagePath"] == str(NIXOS / "package.nix")
    assert flake["defaultIsUpdater"] is True
    assert flake["app"]["type"] == "app" and flake["app"]["program"].endswith("/updater")
    assert "default" in flake["nixosModules"]
    assert flake["moduleImports"] == [str(NIXOS / "module.nix")]
    assert flake["modulePackage"] == str(NIXOS / "package.nix")
