"""Bad input gets one clear line and an exit code, and nothing is touched (issue 17 §4), and
the command line takes global options after the subcommand and one --format (issue 11 §6)."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
from pathlib import Path

import pytest

UPDATER = [sys.executable, "-m", "updater"]
FAKE_HASH = "sha256-" + "A" * 43 + "="
PACKAGE = """\
{ stdenv, fetchFromGitHub }:
stdenv.mkDerivation rec {
  pname = "NAME";
  version = "1.0.0";
  src = fetchFromGitHub {
    owner = "someone";
    repo = "NAME";
    rev = "v${version}";
    hash = "HASH";
  };
}
"""


def updater(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("GITHUB_", "GH_"))}
    return subprocess.run(
        [*UPDATER, *args], capture_output=True, text=True, timeout=300, env=env, cwd=cwd
    )


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture
def nur(tmp_path: Path) -> Path:
    """Two packages, a git checkout, its GitHub API a closed local port (nothing is asked)."""
    root = tmp_path / "nur"
    (root / "pkgs").mkdir(parents=True)
    for name in ("hello", "helix"):
        text = PACKAGE.replace("NAME", name).replace("HASH", FAKE_HASH)
        (root / "pkgs" / f"{name}.nix").write_text(text)
    (root / "pkgs" / "default.nix").write_text(
        "{ pkgs }:\n{\n  hello = pkgs.callPackage ./hello.nix { };\n"
        "  helix = pkgs.callPackage ./helix.nix { };\n}\n"
    )
    api = f"http://127.0.0.1:{_closed_port()}"
    (root / "config").mkdir()
    (root / "config" / "updater.toml").write_text(
        f'[github]\napi_url = "{api}"\ngraphql_url = "{api}/graphql"\n'
    )
    git = ["git", "-c", "user.name=t", "-c", "user.email=t@example.org", "-C", str(root)]
    subprocess.run(["git", "init", "-q", str(root)], check=True)
    subprocess.run([*git, "add", "-A"], check=True)
    subprocess.run([*git, "commit", "-qm", "init"], check=True)
    return root


def _set_config(nur: Path, extra: str) -> Path:
    path = nur / "config" / "updater.toml"
    path.write_text(path.read_text() + extra)
    return path


@pytest.mark.parametrize("command", ["scan", "check", "run --all", "serve --once", "doctor"])
def test_a_repo_that_does_not_exist_exits_2_and_creates_nothing(
    tmp_path: Path, command: str
) -> None:
    missing = tmp_path / "no" / "such" / "dir"
    for argv in (
        ["--repo", str(missing), *command.split()],
        [*command.split(), "--repo", str(missing)],
    ):
        proc = updater(*argv)
        assert proc.returncode == 2, (argv, proc.stderr)
        assert proc.stderr.strip() == f"updater: error: --repo {missing}: no such directory"
    assert not (tmp_path / "no").exists()


def test_global_options_after_the_subcommand(nur: Path, tmp_path: Path) -> None:
    before = updater("--repo", str(nur), "scan", "--format", "json")
    after = updater("scan", "--format", "json", "--repo", str(nur))
    joined = updater("scan", f"--repo={nur}", "--format", "json", "-q")
    assert before.returncode == after.returncode == joined.returncode == 0, after.stderr
    assert json.loads(before.stdout) == json.loads(after.stdout) == json.loads(joined.stdout)
    # From an empty directory, without --repo, the same command finds nothing to scan.
    (tmp_path / "empty").mkdir()
    assert updater("scan", cwd=tmp_path / "empty").returncode == 2


@pytest.mark.parametrize("command", ["scan", "check", "run --all", "serve --once"])
def test_a_cron_that_is_not_one_is_refused_at_load_naming_file_and_key(
    nur: Path, command: str
) -> None:
    path = _set_config(nur, '[schedule]\ncron = "every hour"\n')
    proc = updater("--repo", str(nur), *command.split())
    assert proc.returncode == 2
    assert proc.stderr.startswith(f"updater: error: {path}: schedule.cron: expected a crontab")
    assert "(got 'every hour')" in proc.stderr
    assert len(proc.stderr.splitlines()) == 1
    assert not (nur / ".updater").exists()


def test_a_cron_field_out_of_range_is_named(nur: Path) -> None:
    path = _set_config(nur, '[schedule]\ncron = "0 25 * * *"\n')
    proc = updater("--repo", str(nur), "check")
    assert proc.returncode == 2
    assert (
        f"{path}: schedule.cron: expected a crontab expression: an hour between 0 and 23, not '25'"
        in (proc.stderr)
    )


@pytest.mark.parametrize("command", ["check", "run --all"])
def test_a_package_section_for_no_package_exits_2_with_the_closest(nur: Path, command: str) -> None:
    path = _set_config(nur, "[packages.helo]\nskip = true\n")
    proc = updater("--repo", str(nur), *command.split())
    assert proc.returncode == 2, proc.stderr
    line = proc.stderr.strip()
    assert line.startswith(f"updater: error: {path}: [packages.helo]: no package")
    assert "did you mean hello" in line
    assert "`updater scan` lists them" in line


def test_a_known_package_section_is_accepted(nur: Path) -> None:
    _set_config(nur, "[packages.hello]\nskip = true\n")
    proc = updater("--repo", str(nur), "scan")
    assert proc.returncode == 0, proc.stderr


def test_run_without_a_forge_says_so_in_one_line_of_80_columns(nur: Path) -> None:
    proc = updater("--repo", str(nur), "run", "--all")
    line = "updater: no forge configured: branches only, no pull requests"
    lines = proc.stderr.splitlines()
    assert lines.count(line) == 1, proc.stderr
    assert len(line) <= 80
    # Said neither with --no-pr (asked for) nor for a dry run (nothing is delivered).
    assert line not in updater("--repo", str(nur), "run", "--all", "--no-pr").stderr


@pytest.mark.parametrize("fmt", ["json", "jsonl"])
def test_check_formats(nur: Path, fmt: str) -> None:
    proc = updater("--repo", str(nur), "check", "--format", fmt)
    assert proc.returncode == 1  # the forge is a closed port
    if fmt == "json":
        records = json.loads(proc.stdout)
    else:
        records = [json.loads(line) for line in proc.stdout.splitlines()]
    assert sorted(r["package"] for r in records) == ["helix", "hello"]
    assert all(r["error"] for r in records)


def test_json_stays_an_alias_of_format_json(nur: Path) -> None:
    alias = updater("--repo", str(nur), "check", "--json")
    assert [r["package"] for r in json.loads(alias.stdout)] == ["helix", "hello"]
    run = updater("--repo", str(nur), "run", "--all", "--no-pr", "--format", "jsonl")
    records = [json.loads(line) for line in run.stdout.splitlines()]
    assert len(records) == 2 and all(r["outcome"] == "failed" for r in records)


def test_check_of_an_unknown_package_names_the_closest(nur: Path) -> None:
    proc = updater("--repo", str(nur), "check", "--package", "helo")
    assert proc.returncode == 2
    assert "unknown package(s): helo" in proc.stderr
    assert "did you mean hello" in proc.stderr and "`updater scan` lists them" in proc.stderr
