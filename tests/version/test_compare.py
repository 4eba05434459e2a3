"""Our compareVersions/splitVersion against the real `nix-instantiate`, in one evaluation."""

from __future__ import annotations

import itertools
import json
import shutil
import subprocess

import pytest

from updater.version.compare import compare_versions, split_version

VERSIONS = [
    "1.11.0-alpha",
    "1.11.0",
    "1.10.9",
    "1.0.0-rc.5",
    "1.0.0-rc.10",
    "1.0.0",
    "v0.5.0-alpha.4",
    "0.5.0-alpha.4",
    "0.5.0",
    "2025.01.15",
    "2025.1.16",
    "2.0.0",
    "1.9.5",
    "1.0pre",
    "1.0pre1",
    "1.0",
    "1.0.1",
    "1.0a",
    "1.0b",
    "2.3a",
    "2.3.1",
    "unstable-2025-01-23",
    "unstable-2024-12-31",
    "unstable",
    "0.1.0",
    "0-unstable-2025-01-02",
    "1.2.3-beta.1",
    "1.2.3-beta.2",
    "1.2.3-pre",
    "1.2.3-pre1",
    "1.2.3-preview",
    "1.2.3-dev",
    "1.2.3-nightly",
    "",
    "a",
    "1..2",
    "1.-2",
    "007",
    "7",
    "99999999999",
    "2147483647",
    "2147483648",
    "1.2147483648",
    "1.999",
    "ä1",
    "a1",
    "Z",
    "1_2",
    "r1234",
]


def _nix_string(text: str) -> str:
    return json.dumps(text, ensure_ascii=False).replace("${", "\\${")


@pytest.mark.nix
def test_compare_versions_matches_nix_on_every_pair() -> None:
    if shutil.which("nix-instantiate") is None:
        pytest.skip("nix-instantiate not installed")
    pairs = list(itertools.product(VERSIONS, repeat=2))
    assert len(pairs) >= 100
    vs = " ".join(_nix_string(v) for v in VERSIONS)
    expr = (
        f"let vs = [ {vs} ]; in {{ "
        "cmp = builtins.concatMap (a: map (b: builtins.compareVersions a b) vs) vs; "
        "split = map builtins.splitVersion vs; }"
    )
    out = subprocess.run(
        ["nix-instantiate", "--eval", "--strict", "--json", "-E", expr],
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    nix = json.loads(out.stdout)
    ours = [compare_versions(a, b) for a, b in pairs]
    mismatches = [
        (a, b, n, o) for (a, b), n, o in zip(pairs, nix["cmp"], ours, strict=True) if n != o
    ]
    assert mismatches == []
    assert [split_version(v) for v in VERSIONS] == nix["split"]


def test_documented_nix_orderings() -> None:
    # Facts users rely on when reading our decisions; each differs from semver.
    assert compare_versions("1.0pre", "1.0") == -1
    assert compare_versions("1.0", "1.0a") == -1  # a suffix word is *newer* in Nix
    assert compare_versions("2.3a", "2.3.1") == -1
    assert compare_versions("1.0.0-rc.10", "1.0.0-rc.5") == 1
    assert compare_versions("007", "7") == 0
    assert split_version("v0.5.0-alpha.4") == ["v", "0", "5", "0", "alpha", "4"]
