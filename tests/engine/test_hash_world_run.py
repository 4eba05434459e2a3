"""`updater run --all --build` on the hash world, as a maintainer runs it: every kind of
fixed-output hash (cargo, yarn, pnpm, npm, Go vendoring and proxyVendor, a helper's hash, a
four-system URL map, a per-system node_modules FOD, cargoLock.outputHashes entries that change,
a nix-update-script sub-package) and every updateScript package, in one run with real Nix.
Each updated package is built; each branch holds the new source's hash; the scripts that
misbehave fail with their reason and leave nothing behind. The exact hashes per kind are
checked against the world's oracle in test_fod_closure.py; this is the same through `run`."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
from collections.abc import Iterator
from typing import Any

import pytest
from engine_world import git, show

from updater.errors import UpdaterError
from updater.nixhash import HashAlgo, parse
from updater_sandbox.hashspec import HASH_UPSTREAMS, HASHWORLD, SYSTEMS
from updater_sandbox.world import FAKE_TOKEN, World

pytestmark = pytest.mark.nix

NATIVE = (
    "stale", "crate", "yarnapp", "pnpmapp", "npmapp", "goproxy", "gomods", "bins",
    "nodemods", "gitcrate", "gitswap", "subpkg", "lockcrate",
)  # fmt: skip
# Packages in a directory of their own (beside their lock file copy).
IN_DIRECTORY = ("lockcrate",)
# The world, and `run --json`'s row of each unit by unit id.
Ran = tuple[World, dict[str, dict[str, Any]]]
SCRIPTED_OK = ("scripted-plain", "scripted-commit")
SCRIPTED_REFUSED = {
    "scripted-outside": "changed files outside the package",
    "scripted-downgrade": "downgrades it (1.0.0 -> 0.9.0)",
    "scripted-hang": "did not finish in 3 s (killed)",
}


def _hashes(text: str) -> list[str]:
    """Every quoted string of the file that reads as a sha256 hash, in whatever notation."""
    out = []
    for value in re.findall(r'"([^"\s]+)"', text):
        try:
            out.append(parse(value.removeprefix("sha256:"), HashAlgo.SHA256).sri)
        except UpdaterError:
            continue
    return out


@pytest.fixture(scope="module")
def ran(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Ran]:
    if shutil.which("nix-build") is None:
        pytest.skip("nix-build is not installed")
    root = tmp_path_factory.mktemp("hashrun")
    with World(root / "world", specs=HASH_UPSTREAMS, nur_source=HASHWORLD) as w:
        config = root / "updater.toml"
        config.write_text("[nix]\nupdate_script_timeout = 3\n")
        done = subprocess.run(
            [sys.executable, "-m", "updater", "--repo", str(w.nur_path), "--config", str(config),
             "--log-format", "json", "run", "--all", "--build", "--no-pr", "--json", "--jobs", "2"],
            capture_output=True, text=True, timeout=1800, env=w.process_env(),
        )  # fmt: skip
        assert done.returncode == 1, done.stderr[-3000:]  # the refused scripts fail the run
        assert FAKE_TOKEN not in done.stdout + done.stderr
        rows = {r["unit"]: r for r in json.loads(done.stdout)}
        yield w, rows


def test_hash_only_groups_say_why_they_are_not_units_of_their_own(
    ran: Ran,
) -> None:
    # gomods' helper call, gitcrate's and gitswap's outputHashes: hashes the sweep refreshes
    _, rows = ran
    hash_only = {u: r for u, r in rows.items() if u.startswith("pkgs/")}
    assert sorted(hash_only) == [
        "pkgs/gitcrate.nix:15",
        "pkgs/gitswap.nix:19",
        "pkgs/gomods.nix:33",
        "pkgs/lockcrate/default.nix:20",
    ]
    for row in hash_only.values():
        assert row["outcome"] == "skipped"
        assert (
            row["reason"] == "only hashes here: they are refreshed when the package's source moves"
        )


@pytest.mark.parametrize("package", NATIVE)
def test_every_hash_kind_is_updated_and_built(
    ran: Ran,
    package: str,
) -> None:
    w, rows = ran
    row = rows[f"github.com/hw-example/{package}"]
    assert row["outcome"] == "updated", row["reason"]
    assert (row["old"], row["new"]) == ("1.0.0", "1.1.0")
    assert row["verified"] and row["built"]
    rel = f"pkgs/{package}/default.nix" if package in IN_DIRECTORY else f"pkgs/{package}.nix"
    text = show(w.nur_path, row["branch"], rel)
    up = w.upstream(package)
    if package == "bins":  # a release binary per system, fetched by URL: all four refreshed
        for system in SYSTEMS:
            new = up.asset_hash("v1.1.0", f"bins-1.1.0-{system}", unpack=False)
            old = up.asset_hash("v1.0.0", f"bins-1.0.0-{system}", unpack=False)
            assert parse(new).sri in {parse(h).sri for h in _hashes(text)}, system
            assert parse(old).sri not in {parse(h).sri for h in _hashes(text)}, system
    else:
        assert up.archive_hash("v1.1.0") in text
        assert up.archive_hash("v1.0.0") not in text
    if package == "stale":  # the helper's hash the scan cannot tie to the package
        assert up.asset_hash("v1.1.0", "stale-1.1.0-data.tar.gz", unpack=True) in text


@pytest.mark.parametrize("package", SCRIPTED_OK)
def test_update_scripts_are_run_and_built(
    ran: Ran,
    package: str,
) -> None:
    w, rows = ran
    row = rows[f"updateScript:{package}"]
    assert row["outcome"] == "updated", row["reason"]
    assert row["new"] == "1.1.0" and row["verified"] and row["built"]
    assert '"1.1.0"' in show(w.nur_path, row["branch"], f"pkgs/{package}/version.json")


@pytest.mark.parametrize("package", sorted(SCRIPTED_REFUSED))
def test_misbehaving_scripts_are_refused_in_the_same_run(
    ran: Ran,
    package: str,
) -> None:
    w, rows = ran
    row = rows[f"updateScript:{package}"]
    assert row["outcome"] == "failed" and row["branch"] is None
    assert row["reason"].startswith(f"{package}: its updateScript ")
    assert SCRIPTED_REFUSED[package] in row["reason"]
    branches = git(w.nur_path, "branch", "--list", f"updater/{package}")
    assert branches == ""
    assert git(w.nur_path, "status", "--porcelain") == ""
