"""Nix's `builtins.compareVersions` and `builtins.splitVersion`, byte for byte.

Mirrors libexpr's names.cc: a version splits into components at '.' and '-'; a component is a
run of ASCII digits or a run of other non-separator bytes. Components compare as integers when
both parse as a C `int` (a longer digit run is *not* a number, as in Nix), the empty component
is older than a number, "pre" is older than anything else, a number is newer than a word, and
words compare bytewise. Working on UTF-8 bytes keeps Nix's order for non-ASCII input too.
"""

from __future__ import annotations

import functools

_SEPARATORS = b".-"
_INT_MAX = 2**31 - 1


def _is_digit(byte: int) -> bool:
    return 0x30 <= byte <= 0x39


def _components(version: bytes) -> list[bytes]:
    out: list[bytes] = []
    i, end = 0, len(version)
    while i < end:
        while i < end and version[i] in _SEPARATORS:
            i += 1
        if i == end:
            break
        start = i
        if _is_digit(version[i]):
            while i < end and _is_digit(version[i]):
                i += 1
        else:
            while i < end and not _is_digit(version[i]) and version[i] not in _SEPARATORS:
                i += 1
        out.append(version[start:i])
    return out


def split_version(version: str) -> list[str]:
    """`builtins.splitVersion`: the components of `version`, separators dropped."""
    return list(_split(version))


# A check compares the same few hundred versions tens of thousands of times (every candidate
# tag of every package against the pin and each other): parse each once.
@functools.lru_cache(maxsize=16384)
def _split(version: str) -> tuple[str, ...]:
    return tuple(c.decode("utf-8", "surrogateescape") for c in _components(_encode(version)))


_Parsed = tuple[tuple[bytes, int | None], ...]


@functools.lru_cache(maxsize=16384)
def _parsed(version: str) -> _Parsed:
    return tuple((c, _as_int(c)) for c in _components(_encode(version)))


def _encode(version: str) -> bytes:
    return version.encode("utf-8", "surrogateescape")


def _as_int(component: bytes) -> int | None:
    # Nix's string2Int<int>: digits only, and the value must fit a 32-bit int.
    if not component or not all(_is_digit(b) for b in component):
        return None
    value = int(component)
    return value if value <= _INT_MAX else None


def _component_lt(c1: bytes, n1: int | None, c2: bytes, n2: int | None) -> bool:
    if n1 is not None and n2 is not None:
        return n1 < n2
    if c1 == b"" and n2 is not None:
        return True
    if c1 == b"pre" and c2 != b"pre":
        return True
    if c2 == b"pre":
        return False
    # Nix assumes `2.3a` < `2.3.1`: a word is older than a number.
    if n2 is not None:
        return True
    if n1 is not None:
        return False
    return c1 < c2


def compare_versions(v1: str, v2: str) -> int:
    """-1, 0 or 1 as `builtins.compareVersions v1 v2`."""
    if v1 == v2:
        return 0
    a, b = _parsed(v1), _parsed(v2)
    missing: tuple[bytes, int | None] = (b"", None)
    for i in range(max(len(a), len(b))):
        c1, n1 = a[i] if i < len(a) else missing
        c2, n2 = b[i] if i < len(b) else missing
        if c1 == c2:
            continue
        if _component_lt(c1, n1, c2, n2):
            return -1
        if _component_lt(c2, n2, c1, n1):
            return 1
    return 0


# A sort key for sorted()/max() with Nix's order.
version_key = functools.cmp_to_key(compare_versions)
