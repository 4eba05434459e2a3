"""The update order (scheme.compare_for_update) against the real `builtins.compareVersions`.

Versions are drawn from a grammar of the shapes upstreams use (semver, PEP 440 markers, words,
dates, packaging revisions, OpenSSL letters), seeded so that a failure reproduces. One
nix-instantiate evaluation gives Nix's answer for every pair of versions and of their release
parts; the properties:
- between stable versions the update order *is* Nix's order;
- with a prerelease, release parts are compared first, by Nix's order of the release parts;
  of one release the stable version is newer, a `.devN` older than the other prereleases, and
  otherwise Nix's order of the whole strings decides;
- the order is antisymmetric and transitive (so max() and sorting are sound).
"""

from __future__ import annotations

import functools
import itertools
import json
import random
import shutil
import subprocess

import pytest

from updater.version.compare import compare_versions
from updater.version.scheme import compare_for_update, is_prerelease_version, release_part

SEED = 12
COUNT = 90


def _draw(rng: random.Random) -> str:
    sep = rng.choice([".", ".", "-"])
    core = sep.join(str(rng.choice([0, 1, 2, 10])) for _ in range(rng.choice([1, 2, 3])))
    kind = rng.choice(["plain", "plain", "pep", "word", "suffix", "rev", "date"])
    if kind == "pep":
        return core + rng.choice(["a", "b", "rc", "c", ".dev", ".post"]) + str(rng.randint(0, 3))
    if kind == "word":
        word = rng.choice(["alpha", "beta", "rc", "pre", "preview", "SNAPSHOT", "nightly"])
        tail = rng.choice(["", ".1", ".2", "10", "-1"])
        return f"{core}{rng.choice(['-', '.', ''])}{word}{tail}"
    if kind == "suffix":
        return core + rng.choice(["a", "b", "w", "-r1", "-1", "+git"])
    if kind == "rev":
        return f"{core}-{rng.randint(1, 3)}"
    if kind == "date":
        return rng.choice(["2023", "2024", "2025"]) + rng.choice(
            [".01.15", ".1.2", "1102", "-02-01"]
        )
    return core


VERSIONS = sorted(
    set(_draw(random.Random(SEED * 1000 + i)) for i in range(COUNT))
    | {"1.0", "1.0a", "1.0a1", "1.0.dev0", "1.0rc1", "1.0-alpha", "1.0pre", "1.0.post1"}
)


def _nix_string(text: str) -> str:
    return json.dumps(text, ensure_ascii=False).replace("${", "\\${")


@functools.cache
def _nix_tables() -> tuple[dict[tuple[str, str], int], dict[tuple[str, str], int]]:
    parts = sorted({release_part(v) for v in VERSIONS} | set(VERSIONS))
    expr = (
        "let cmp = vs: builtins.concatMap (a: map (b: builtins.compareVersions a b) vs) vs; in "
        f"{{ full = cmp [ {' '.join(map(_nix_string, VERSIONS))} ]; "
        f"parts = cmp [ {' '.join(map(_nix_string, parts))} ]; }}"
    )
    out = subprocess.run(
        ["nix-instantiate", "--eval", "--strict", "--json", "-E", expr],
        capture_output=True, text=True, timeout=300, check=True,
    )  # fmt: skip
    nix = json.loads(out.stdout)
    full = dict(zip(itertools.product(VERSIONS, repeat=2), nix["full"], strict=True))
    by_part = dict(zip(itertools.product(parts, repeat=2), nix["parts"], strict=True))
    return full, by_part


def _weighed(v: str) -> str:
    return release_part(v) if is_prerelease_version(v) else v


@pytest.fixture(scope="module")
def nix() -> tuple[dict[tuple[str, str], int], dict[tuple[str, str], int]]:
    if shutil.which("nix-instantiate") is None:
        pytest.skip("nix-instantiate not installed")
    return _nix_tables()


@pytest.mark.nix
def test_the_grammar_covers_every_kind() -> None:
    pre = [v for v in VERSIONS if is_prerelease_version(v)]
    assert len(VERSIONS) >= 60 and 15 <= len(pre) <= len(VERSIONS) - 15
    assert any(v != release_part(v) and release_part(v) in VERSIONS for v in pre)


@pytest.mark.nix
def test_stable_versions_are_in_nix_order(nix: tuple[dict, dict]) -> None:  # type: ignore[type-arg]
    full, _ = nix
    stable = [v for v in VERSIONS if not is_prerelease_version(v)]
    wrong = [
        (a, b, full[a, b])
        for a, b in itertools.product(stable, repeat=2)
        if compare_for_update(a, b) != full[a, b]
    ]
    assert wrong == []
    # our own compare_versions is Nix's too (the harness of test_compare.py, on this grammar)
    assert [k for k, n in full.items() if compare_versions(*k) != n] == []


@pytest.mark.nix
def test_prereleases_are_weighed_by_their_release(nix: tuple[dict, dict]) -> None:  # type: ignore[type-arg]
    full, by_part = nix
    wrong = []
    for a, b in itertools.product(VERSIONS, repeat=2):
        a_pre, b_pre = is_prerelease_version(a), is_prerelease_version(b)
        if not (a_pre or b_pre):
            continue
        ours = compare_for_update(a, b)
        by_release = by_part[_weighed(a), _weighed(b)]
        if by_release != 0:
            expected = by_release
        elif a_pre != b_pre:
            expected = -1 if a_pre else 1
        elif (".dev" in a) != (".dev" in b):
            expected = -1 if ".dev" in a else 1
        else:
            expected = full[a, b]
        if ours != expected:
            wrong.append((a, b, ours, expected))
    assert wrong == []
    assert compare_for_update("4.2.0b2", "4.2.0") == -1 and full["1.0a1", "1.0"] == 1


def test_the_order_is_antisymmetric_and_transitive() -> None:
    order = {(a, b): compare_for_update(a, b) for a, b in itertools.product(VERSIONS, repeat=2)}
    assert all(order[a, b] == -order[b, a] for a, b in order)
    ranked = sorted(VERSIONS, key=functools.cmp_to_key(compare_for_update))
    # Sorted by a transitive order, every later version is >= every earlier one.
    assert all(
        order[ranked[i], ranked[j]] <= 0
        for i in range(len(ranked))
        for j in range(i + 1, len(ranked))
    )
    for a, b, c in itertools.product(VERSIONS[::3], repeat=3):
        if order[a, b] <= 0 and order[b, c] <= 0:
            assert order[a, c] <= 0, (a, b, c)
