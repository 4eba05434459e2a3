"""Validation of hostile upstream values before they become model objects."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Iterator
from datetime import UTC, datetime
from typing import Any

from updater.upstream.model import COMMIT_RE, RefusedTag

# Git refuses far more than this; we only need to refuse what could hurt a .nix file or a log.
# Whitespace and quotes have no place in a URL we keep (they could break out of a .nix string).
_URL_BAD = re.compile(r"[\s\"'`\\]")
_TAG = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._+@~\-/]{0,199}$")


def obj(value: Any) -> dict[str, Any]:
    """A JSON object, or an empty one when upstream sent something else."""
    return value if isinstance(value, dict) else {}


def objects(value: Any) -> Iterator[dict[str, Any]]:
    """The objects of a JSON list; anything else in or instead of the list is skipped."""
    if isinstance(value, list):
        yield from (item for item in value if isinstance(item, dict))


def tagged(value: Any, key: str) -> Iterator[tuple[str, dict[str, Any]]]:
    """Each object of a JSON list whose `key` holds a usable tag name, with that name."""
    for item in objects(value):
        if (name := tag_name(item.get(key))) is not None:
            yield name, item


def tag_name(value: Any) -> str | None:
    if isinstance(value, str) and _TAG.match(value) and ".." not in value:
        return value
    return None


_BIDI = frozenset("\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")
MAX_TAG = 200
_KEPT = 400


def tag_problem(value: str) -> str | None:
    """The rule a tag name breaks (None: it is accepted), in the words a report shows."""
    if tag_name(value) is not None:
        return None
    checks: tuple[tuple[bool, str], ...] = (
        (not value, "empty tag"),
        (
            any(unicodedata.category(c) == "Cc" for c in value),
            "control character (newline, tab...)",
        ),
        (any(c in _BIDI for c in value), "bidirectional override character"),
        (not value.isascii(), "non-ASCII character (look-alike digits or letters)"),
        ("\\" in value, "backslash"),
        (any(c in "\"'`" for c in value), "quote (could end a Nix string)"),
        ("${" in value, "'${' (Nix interpolation)"),
        (value.startswith("-"), "leading '-' (read as a command-line option)"),
        (any(c.isspace() for c in value), "whitespace"),
        (len(value) > MAX_TAG, f"longer than {MAX_TAG} characters"),
        (".." in value, "'..'"),
        (not value[:1].isalnum(), "does not start with a letter or digit"),
    )
    return next((rule for broken, rule in checks if broken), "character outside [A-Za-z0-9._+@~-/]")


def refused_tags(values: Iterable[Any]) -> tuple[RefusedTag, ...]:
    """The refused tag names among `values` (non-strings are not tags), each once."""
    out: dict[str, RefusedTag] = {}
    for value in values:
        if isinstance(value, str) and value not in out:
            rule = tag_problem(value)
            if rule is not None:
                out[value] = RefusedTag(value[:_KEPT], rule)
    return tuple(out.values())


def commit(value: Any) -> str | None:
    if isinstance(value, str) and COMMIT_RE.match(value.lower()):
        return value.lower()
    return None


def date(value: Any) -> datetime | None:
    if not isinstance(value, str) or len(value) > 40:
        return None
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    return parsed.replace(tzinfo=UTC) if parsed.tzinfo is None else parsed.astimezone(UTC)


def text(value: Any, limit: int = 20000) -> str:
    return value[:limit] if isinstance(value, str) else ""


def url(value: Any) -> str | None:
    if isinstance(value, str) and value.startswith(("https://", "http://")) and len(value) < 2000:
        if not _URL_BAD.search(value):
            return value
    return None


def flag(value: Any) -> bool:
    return value is True
