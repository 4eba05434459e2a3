"""passthru.updateScript, run as nixpkgs runs it, judged like any update: the hash world's
scripted-* packages (their script finds the newest tag with git ls-remote and writes the
package's version.json), run with real Nix and git in a scratch worktree."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import pytest
from engine_world import clone_nur, git, git_state, settings, show

from updater.engine.result import Outcome, UpdateResult
from updater.engine.updatescript import package_tree, run_update_script
from updater_sandbox.hashspec import HASH_UPSTREAMS, HASHWORLD
from updater_sandbox.world import FAKE_TOKEN, World

pytestmark = pytest.mark.nix


@pytest.fixture(scope="module")
def sworld(tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    if shutil.which("nix-build") is None:
        pytest.skip("nix-build is not installed")
    with World(
        tmp_path_factory.mktemp("scriptworld"), specs=HASH_UPSTREAMS, nur_source=HASHWORLD
    ) as w:
        yield w


@pytest.fixture
def snur(sworld: World, tmp_path: Path) -> Path:
    return clone_nur(sworld, tmp_path / "nur")


def _run(w: World, nur: Path, attr: str, timeout: float = 60.0) -> UpdateResult:
    return run_update_script(nur, attr, replace(settings(w), build=False), timeout=timeout)


def test_package_tree() -> None:
    assert package_tree("pkgs/by-name/fo/foo/package.nix") == ("pkgs/by-name/fo/foo/",)
    assert package_tree("pkgs/foo/default.nix") == ("pkgs/foo/",)
    assert package_tree("pkgs/foo.nix") == ("pkgs/foo.nix",)
    assert package_tree("pkgs/default.nix") == ("pkgs/default.nix",)


def test_plain_update_script_goes_to_a_branch(sworld: World, snur: Path) -> None:
    result = _run(sworld, snur, "scripted-plain")
    assert result.outcome is Outcome.UPDATED, result.reason + result.log_tail
    assert (result.old, result.new) == ("1.0.0", "1.1.0")
    assert result.branch == "updater/scripted-plain" and result.verified
    assert '"1.1.0"' in show(snur, result.branch, "pkgs/scripted-plain/version.json")
    assert (result.message or "").startswith("scripted-plain: 1.0.0 -> 1.1.0")
    changed = git(snur, "diff", "--name-only", "main", result.branch)
    assert changed == "pkgs/scripted-plain/version.json"
    assert git(snur, "status", "--porcelain") == ""  # the checkout is not where it ran


def test_commit_feature_json_gives_the_message(sworld: World, snur: Path) -> None:
    result = _run(sworld, snur, "scripted-commit")
    assert result.outcome is Outcome.UPDATED, result.reason + result.log_tail
    assert (result.message or "").startswith("scripted-commit: 1.0.0 -> 1.1.0 (by its script)")
    assert result.new == "1.1.0"


@pytest.mark.parametrize(
    ("attr", "reason"),
    [
        (
            "scripted-outside",
            "changed files outside the package (pkgs/scripted-outside/): pkgs/default.nix",
        ),
        ("scripted-downgrade", "downgrades it (1.0.0 -> 0.9.0)"),
        ("scripted-hang", "did not finish in 3 s (killed)"),
    ],
)
def test_misbehaving_scripts_are_refused(sworld: World, snur: Path, attr: str, reason: str) -> None:
    before = git_state(snur)
    result = _run(sworld, snur, attr, timeout=3.0)
    assert result.outcome is Outcome.FAILED
    assert reason in result.reason, result.reason
    assert result.reason.startswith(f"{attr}: ") and result.branch is None
    assert git_state(snur) == before


def test_the_script_sees_no_token(sworld: World, snur: Path, tmp_path: Path) -> None:
    # The world's environment holds GITHUB_TOKEN; the script's must not.
    probe = tmp_path / "env.txt"
    probe.touch(mode=0o666)
    path = snur / "pkgs/update-script.sh"
    path.write_text(f'env > "{probe}"\n' + path.read_text())
    git(snur, "commit", "--quiet", "-am", "test: the script writes its environment")
    result = _run(sworld, snur, "scripted-plain")
    assert result.outcome is Outcome.UPDATED, result.reason + result.log_tail
    seen = probe.read_text()
    assert "UPDATE_NIX_ATTR_PATH=scripted-plain" in seen and "UPDATE_NIX_OLD_VERSION=1.0.0" in seen
    assert FAKE_TOKEN not in seen and "GITHUB_TOKEN" not in seen


# -- through `updater run`, as a person runs it: script units reach a PR ----------------------

NUR = ("github.com", "nur-owner", "nur")


@pytest.fixture
def rworld(tmp_path: Path) -> Iterator[World]:
    # A world of its own: the run pushes branches and opens PRs on its forge.
    if shutil.which("nix-build") is None:
        pytest.skip("nix-build is not installed")
    with World(tmp_path / "world", specs=HASH_UPSTREAMS, nur_source=HASHWORLD) as w:
        yield w


def _updater(w: World, tmp: Path, *args: str) -> subprocess.CompletedProcess[str]:
    config = tmp / "updater.toml"
    # A hanging script is killed after 3 s (the default is 600).
    config.write_text("[pull_requests]\nwrite_interval = 0.05\n[nix]\nupdate_script_timeout = 3\n")
    return subprocess.run(
        [sys.executable, "-m", "updater", "--repo", str(w.nur_path), "--config", str(config),
         "--log-format", "json", *args],
        capture_output=True, text=True, timeout=900, env=w.process_env(),
    )  # fmt: skip


def _pulls(w: World) -> dict[str, tuple[str, str]]:
    """head branch -> (title, body) of each PR on the forge."""
    return w.forge.state.locked(
        NUR,
        lambda d: {
            p.head_ref: (d.issues[p.number].title, d.issues[p.number].body or "")
            for p in d.pulls.values()
        },
    )


def test_update_script_packages_reach_a_pr_through_run(rworld: World, tmp_path: Path) -> None:
    before = git_state(rworld.nur_path)
    done = _updater(
        rworld, tmp_path, "run", "--package", "scripted-plain", "--package", "scripted-commit"
    )
    assert done.returncode == 0, done.stderr[-3000:]
    opened = _pulls(rworld)
    assert set(opened) == {"updater/scripted-plain", "updater/scripted-commit"}, opened
    title, body = opened["updater/scripted-plain"]
    assert "scripted-plain" in title and "1.1.0" in title
    assert "updateScript" in body and "pkgs/scripted-plain/version.json" in body
    assert "1.1.0" in opened["updater/scripted-commit"][0]
    pushed = git(
        rworld.nur_remote_path, "show", "updater/scripted-commit:pkgs/scripted-commit/version.json"
    )
    assert '"1.1.0"' in pushed
    after = git_state(rworld.nur_path)  # the checkout stays as it was (branches aside)
    assert (after.head, after.branch, after.status, after.worktrees) == (
        before.head,
        before.branch,
        before.status,
        before.worktrees,
    )
    assert FAKE_TOKEN not in done.stdout + done.stderr

    again = _updater(rworld, tmp_path, "run", "--package", "scripted-plain")
    assert again.returncode == 0, again.stderr[-3000:]
    assert len(_pulls(rworld)) == 2  # the same update proposed again opens no second PR


def test_misbehaving_scripts_fail_the_run_with_their_reason(rworld: World, tmp_path: Path) -> None:
    before = git_state(rworld.nur_path)
    done = _updater(
        rworld, tmp_path, "run", "--json",
        "--package", "scripted-outside", "--package", "scripted-downgrade",
        "--package", "scripted-hang",
    )  # fmt: skip
    assert done.returncode == 1, done.stderr[-3000:]
    rows = {tuple(r["packages"]): r for r in json.loads(done.stdout)}
    outside, downgrade = rows[("scripted-outside",)], rows[("scripted-downgrade",)]
    hang = rows[("scripted-hang",)]
    assert outside["outcome"] == downgrade["outcome"] == hang["outcome"] == "failed"
    assert hang["reason"] == "scripted-hang: its updateScript did not finish in 3 s (killed)"
    assert outside["reason"].startswith(
        "scripted-outside: its updateScript changed files outside the package"
    )
    assert (
        downgrade["reason"] == "scripted-downgrade: its updateScript downgrades it (1.0.0 -> 0.9.0)"
    )
    assert _pulls(rworld) == {}
    assert git_state(rworld.nur_path) == before  # no branch either
    assert git(rworld.nur_remote_path, "branch", "--list", "updater/*") == ""


def test_dry_run_of_a_script_package_prints_its_diff(rworld: World, tmp_path: Path) -> None:
    done = _updater(rworld, tmp_path, "run", "--package", "scripted-plain", "--dry-run")
    assert done.returncode == 0, done.stderr[-3000:]
    assert (
        "pkgs/scripted-plain/version.json" in done.stdout
        and '+{ "version": "1.1.0" }' in done.stdout
    )
    assert _pulls(rworld) == {}


def test_check_names_script_packages_without_asking_upstream(rworld: World, tmp_path: Path) -> None:
    done = _updater(rworld, tmp_path, "check", "--json", "--package", "scripted-plain")
    assert done.returncode == 0, done.stderr[-3000:]
    (row,) = json.loads(done.stdout)
    assert (row["package"], row["mode"], row["outdated"]) == ("scripted-plain", "script", False)
    assert "passthru.updateScript" in row["problem"]


def test_version_does_not_apply_to_a_script_package(rworld: World, tmp_path: Path) -> None:
    done = _updater(rworld, tmp_path, "run", "--package", "scripted-plain", "--version", "2.0")
    assert done.returncode == 2
    assert "updated by its own passthru.updateScript" in done.stderr
