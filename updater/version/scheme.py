"""What a version says about itself: prerelease markers, its release part, its shape.

Nix's splitVersion sees `4.2.0b2` as `4 2 0 b 2`: the `b` of a PEP 440 prerelease is a word like
any other, and Nix orders `1.0a1` *after* `1.0`. The markers recognised here:
- words (a whole non-digit component): alpha, beta, rc, pre*, preview, dev, nightly, snapshot,
  prerelease, canary (any case);
- PEP 440's single letters `a`, `b`, `c` glued between two numbers (`1.0a1`, `4.2.0b2`,
  `2.0c1`); a letter not followed by a number stays a stable suffix (OpenSSL's `1.1.1w`), and
  one inside a longer run (`g1a2b3c`, a git describe) is no marker.
`post` and packaging revisions (`1.2.3-1`, `1.2.3-r1`) are stable.

The shape of a version (`shape_of`) is how it is built: the word it starts with (if any), how
many numbers follow in a row, and whether they read as a date (`20231102`, `2025.01.15`). A
repository that moves from date tags to semver, or whose tags include build or sibling
packages' tags (`wasm-0.1.7` beside `v1.7.0`), offers versions of another shape; the policy
passes them over unless told otherwise.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass

from updater.version.compare import compare_versions

PRERELEASE_WORDS = frozenset(
    {"alpha", "beta", "rc", "pre", "preview", "dev", "nightly", "snapshot", "prerelease", "canary"}
)
_PEP440_LETTERS = frozenset({"a", "b", "c"})
_SEPARATORS = ".-"
# The first word of a prerelease, by how early it comes in its release (PEP 440: a `.devN` comes
# before the alphas); the other words keep Nix's order among themselves.
_DEV_WORDS = frozenset({"dev"})


@dataclass(frozen=True)
class _Component:
    text: str
    start: int
    glued: bool  # no separator between it and the component before

    @property
    def numeric(self) -> bool:
        return self.text.isascii() and self.text.isdigit()


def _components(version: str) -> list[_Component]:
    """Nix's components (compare.py), with where each starts and whether a separator precedes."""
    out: list[_Component] = []
    i, end = 0, len(version)
    while i < end:
        sep = False
        while i < end and version[i] in _SEPARATORS:
            i += 1
            sep = True
        if i == end:
            break
        start = i
        if version[i].isascii() and version[i].isdigit():
            while i < end and version[i].isascii() and version[i].isdigit():
                i += 1
        else:
            while i < end and not (version[i].isascii() and version[i].isdigit()):
                if version[i] in _SEPARATORS:
                    break
                i += 1
        out.append(_Component(version[start:i], start, bool(out) and not sep))
    return out


def _is_marker(comps: list[_Component], i: int) -> bool:
    c = comps[i]
    if c.numeric:
        return False
    low = c.text.lower()
    if low in PRERELEASE_WORDS or low.startswith("pre"):
        return True
    if low not in _PEP440_LETTERS or not c.glued or i == 0 or i + 1 >= len(comps):
        return False
    before, after = comps[i - 1], comps[i + 1]
    # `0b2` in `4.2.0b2`: a number that starts a component, the letter, then a number.
    starts_component = i - 1 == 0 or not before.glued
    return before.numeric and starts_component and after.numeric and after.glued


# A check weighs the same few hundred versions tens of thousands of times: parse each once.
@functools.lru_cache(maxsize=16384)
def _first_marker(version: str) -> tuple[int, str] | None:
    """Where the first prerelease marker starts, and the marker (lower case)."""
    comps = _components(version)
    for i, c in enumerate(comps):
        if _is_marker(comps, i):
            return c.start, c.text.lower()
    return None


def is_prerelease_version(version: str) -> bool:
    return _first_marker(version) is not None


@functools.lru_cache(maxsize=16384)
def release_part(version: str) -> str:
    """`1.11.0-alpha.2` -> `1.11.0`, `4.2.0b2` -> `4.2.0`: the components before the first
    prerelease marker, joined with dots."""
    found = _first_marker(version)
    head = version if found is None else version[: found[0]]
    return ".".join(c.text for c in _components(head))


def _prerelease_rank(version: str) -> int:
    found = _first_marker(version)
    return 0 if found is not None and found[1] in _DEV_WORDS else 1


def _sign(n: int) -> int:
    return (n > 0) - (n < 0)


def compare_for_update(a: str, b: str) -> int:
    """Nix's compareVersions between stable versions; a prerelease is weighed by its release:
    - release parts first (Nix's order), so `4.2.0b2` is a 4.2.0 and older than `4.2.0`, and
      `1.0a1` (a 1.0) older than OpenSSL-style `1.0a`, whatever Nix says of the whole strings;
    - of one release, the stable version outranks its prereleases (`1.11.0` > `1.11.0-alpha`),
      and a `.devN` is older than the other prereleases (`3.1.dev0` < `3.1a1`, as PEP 440);
    - then Nix's order of the whole strings (`1.0.0-rc.10` > `1.0.0-rc.5`).
    A lexicographic order on those keys, so it is total and transitive (sorting is sound)."""
    a_pre, b_pre = is_prerelease_version(a), is_prerelease_version(b)
    if not (a_pre or b_pre):
        return compare_versions(a, b)
    by_release = compare_versions(release_part(a) if a_pre else a, release_part(b) if b_pre else b)
    if by_release != 0:
        return by_release
    if a_pre != b_pre:
        return -1 if a_pre else 1
    ra, rb = _prerelease_rank(a), _prerelease_rank(b)
    if ra != rb:
        return _sign(ra - rb)
    return compare_versions(a, b)


@dataclass(frozen=True)
class Shape:
    """How a version is built: `lead` is the word it starts with (lower case, "" for a number),
    `numbers` how many numeric components follow in a row, `date` whether they read as one."""

    lead: str
    numbers: int
    date: bool

    def describe(self) -> str:
        kind = "date" if self.date else ".".join(["N"] * self.numbers) or "word"
        return f"{self.lead}-{kind}" if self.lead else kind


def _date_like(numbers: list[str]) -> bool:
    if not numbers:
        return False
    first = numbers[0]
    if len(first) == 8:  # YYYYMMDD
        year, month, day = int(first[:4]), int(first[4:6]), int(first[6:])
        return 1970 <= year <= 2099 and 1 <= month <= 12 and 1 <= day <= 31
    if len(first) == 4 and len(numbers) >= 2:  # YYYY.MM[.DD], YYYY-MM-DD
        return 1970 <= int(first) <= 2099 and 1 <= int(numbers[1]) <= 12
    return False


@functools.lru_cache(maxsize=16384)
def shape_of(version: str) -> Shape:
    comps = _components(version)
    lead = ""
    i = 0
    if comps and not comps[0].numeric:
        lead, i = comps[0].text.lower(), 1
    numbers: list[str] = []
    while i < len(comps) and comps[i].numeric:
        numbers.append(comps[i].text)
        i += 1
    return Shape(lead, len(numbers), _date_like(numbers))


def same_shape(pinned: str, candidate: str) -> bool:
    """Whether `candidate` is built like `pinned`: the same leading word, both dates or neither,
    and numbers in a row of the same count, give or take one (`1.2` -> `1.2.1`) unless one of
    them has a single number (`7` is not a `1.2.0`)."""
    p, c = shape_of(pinned), shape_of(candidate)
    if p.lead != c.lead or p.date != c.date:
        return False
    if p.numbers <= 1 or c.numbers <= 1:
        return p.numbers == c.numbers
    return abs(p.numbers - c.numbers) <= 1
