"""Configuration: defaults, the example file, and one-line errors naming file, key and expectation."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from updater.config import Config, Endpoints, Secrets, find_config, load_config
from updater.errors import ConfigError

ROOT = Path(__file__).resolve().parents[2]


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "updater.toml"
    path.write_text(text)
    return path


def test_example_config_is_valid() -> None:
    config = load_config(ROOT / "config" / "updater.toml")
    assert config.repository.pkgs_dir == "pkgs"
    assert config.packages["example-org-frozen"].skip is True
    assert config.forges["codeberg.org"].type == "forgejo"


def test_no_file_means_defaults() -> None:
    assert load_config(None) == Config()


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("[repositry]\n", "repositry: expected a known key (allowed here: forges, github,"),
        (
            '[policy]\nprereleases = "yes"\n',
            "policy.prereleases: expected a boolean (true or false) (got 'yes')",
        ),
        (
            "[packages.foo]\nmin_age_days = -3\n",
            "packages.foo.min_age_days: expected a number >= 0 (got -3)",
        ),
        (
            '[repository]\neval = "flakes"\n',
            "repository.eval: expected one of 'auto', 'default.nix' or 'flake' (got 'flakes')",
        ),
        (
            '[packages.foo]\ntag_prefx = "v"\n',
            "packages.foo.tag_prefx: expected a known key (allowed here: branch, ignore,",
        ),
        ('[policy]\nignore = "1.0"\n', "policy.ignore: expected a list (got '1.0')"),
        (
            "[pull_requests]\nmax_open = 1.5\n",
            "pull_requests.max_open: expected an integer (got 1.5)",
        ),
        (
            '[packages.foo]\ntag_regex = "("\n',
            "packages.foo.tag_regex: expected a valid regular expression",
        ),
        (
            '[forges."codeberg.org"]\ntype = "sourceforge"\n',
            "forges.codeberg.org.type: expected one of",
        ),
        ('[serve]\nlisten = "8080"\n', "serve.listen: expected a string matching"),
        ("[nix\n", "invalid TOML"),
    ],
)
def test_mistakes_fail_with_one_line_naming_file_key_and_expectation(
    tmp_path: Path, text: str, expected: str
) -> None:
    path = write(tmp_path, text)
    with pytest.raises(ConfigError) as info:
        load_config(path)
    message = str(info.value)
    assert message.startswith(f"{path}: ")
    assert expected in message
    assert "\n" not in message
    assert info.value.exit_code == 2


def test_find_config_prefers_explicit_then_repo_then_xdg(tmp_path: Path) -> None:
    repo = tmp_path / "repo"
    (repo / "config").mkdir(parents=True)
    xdg = tmp_path / "xdg"
    (xdg / "updater").mkdir(parents=True)
    (xdg / "updater" / "updater.toml").write_text("")
    env = {"XDG_CONFIG_HOME": str(xdg)}
    assert find_config(None, repo, env) == xdg / "updater" / "updater.toml"
    (repo / "config" / "updater.toml").write_text("")
    assert find_config(None, repo, env) == repo / "config" / "updater.toml"
    explicit = write(tmp_path, "")
    assert find_config(explicit, repo, env) == explicit
    with pytest.raises(ConfigError, match="configuration file not found"):
        find_config(tmp_path / "missing.toml", repo, env)


def test_endpoints_follow_github_actions_variables() -> None:
    env = {
        "GITHUB_API_URL": "http://127.0.0.1:9/api/v3",
        "GITHUB_GRAPHQL_URL": "http://127.0.0.1:9/api/graphql",
        "GITHUB_SERVER_URL": "http://127.0.0.1:9/github.com/",
        "GITHUB_REPOSITORY": "o/nur",
    }
    ep = Endpoints.resolve(Config(), env)
    assert (ep.api_url, ep.graphql_url, ep.server_url, ep.repository) == (
        "http://127.0.0.1:9/api/v3",
        "http://127.0.0.1:9/api/graphql",
        "http://127.0.0.1:9/github.com",
        "o/nur",
    )
    default = Endpoints.resolve(Config(), {})
    assert default.api_url == "https://api.github.com"
    assert default.graphql_url == "https://api.github.com/graphql"
    enterprise = Endpoints.resolve(Config(), {"GITHUB_API_URL": "https://ghe.example/api/v3"})
    assert enterprise.graphql_url == "https://ghe.example/api/graphql"
    configured = Config.model_validate({"repository": {"github": "me/other"}})
    assert Endpoints.resolve(configured, env).repository == "me/other"


def test_secrets_come_from_environment_and_never_show_in_repr() -> None:
    secrets = Secrets.from_env({"GITHUB_TOKEN": "ghp_" + "x" * 36})
    assert secrets.github_token == "ghp_" + "x" * 36
    assert "ghp_" not in repr(secrets)
    # A token in the config file is a mistake, not a feature.
    with pytest.raises(ConfigError):
        from updater.config import parse_config

        parse_config({"github": {"token": "ghp_abc"}}, "c.toml")


def test_cli_reports_config_error_and_exits_2(tmp_path: Path) -> None:
    path = write(tmp_path, '[policy]\nmin_age_days = "soon"\n')
    proc = subprocess.run(
        [sys.executable, "-m", "updater", "--config", str(path), "--repo", str(tmp_path), "check"],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert proc.returncode == 2
    lines = [line for line in proc.stderr.splitlines() if line.strip()]
    assert lines == [
        f"updater: error: {path}: policy.min_age_days: expected an integer (got 'soon')"
    ]


def test_github_query_settings_reach_the_upstream_client() -> None:
    from datetime import timedelta

    from updater.context import AppContext
    from updater.upstream.connect import upstream_apis

    config = Config.model_validate({"github": {"query_mode": "rest", "full_refresh_hours": 2}})
    ctx = AppContext(
        repo=ROOT,
        config=config,
        config_path=None,
        secrets=Secrets(),
        endpoints=Endpoints.resolve(config, {}),
    )
    api = upstream_apis(ctx).github
    assert api.mode == "rest"
    assert api.full_refresh == timedelta(hours=2)
