"""The hidden metadata block at the end of each PR body, written and read back.

    <!-- updater-metadata {"schema": 1, "name": ..., "old": ..., "new": ..., "pins": [...]} -->

It lets the bot rebuild its state from GitHub alone when its store is lost. PR bodies are
editable by people and may hold anything, so reading is defensive: size caps, strict shapes,
and None (never an exception) for anything that is not a block we wrote.
"""

from __future__ import annotations

import json
import re
from typing import Any

from updater.forge.models import PinRecord, ProposedUpdate, UpdateMetadata

SCHEMA_VERSION = 1
MARKER = "updater-metadata"

# GitHub caps bodies at 65536 characters; anything much larger is not one of ours.
_MAX_BODY = 262_144
_MAX_BLOCK = 65_536
_MAX_STRING = 1_024
_MAX_PINS = 1_000
_MAX_PACKAGES = 1_000

_HEAD = re.compile(r"\s*" + MARKER + r"\s+")


def metadata_for(update: ProposedUpdate) -> UpdateMetadata:
    return UpdateMetadata(
        name=update.name,
        old_version=update.old_version,
        new_version=update.new_version,
        packages=update.packages,
        pins=tuple(PinRecord(p.file, p.attribute, p.old, p.new) for p in update.pins),
        schema=SCHEMA_VERSION,
    )


def render_metadata(meta: UpdateMetadata) -> str:
    """The block as it goes into a body; `<`, `>` and `&` are escaped so no value can end it."""
    data = {
        "schema": SCHEMA_VERSION,
        "name": meta.name,
        "packages": list(meta.packages),
        "old": meta.old_version,
        "new": meta.new_version,
        "pins": [
            {"file": p.file, "attribute": p.attribute, "old": p.old, "new": p.new}
            for p in meta.pins
        ],
    }
    text = json.dumps(data, ensure_ascii=True, sort_keys=True, separators=(",", ":"))
    # These characters only occur inside JSON strings, where \u escapes are equivalent.
    text = text.replace("&", "\\u0026").replace("<", "\\u003c").replace(">", "\\u003e")
    return f"<!-- {MARKER} {text} -->"


def _string(value: Any) -> str | None:
    if isinstance(value, str) and len(value) <= _MAX_STRING and "\x00" not in value:
        return value
    return None


def _reject_constant(name: str) -> Any:
    raise ValueError(f"non-JSON constant {name}")


def _decode(block: str) -> UpdateMetadata | None:
    if len(block) > _MAX_BLOCK:
        return None
    try:
        data = json.loads(block, parse_constant=_reject_constant)
    except (ValueError, RecursionError):
        return None
    if not isinstance(data, dict) or data.get("schema") != SCHEMA_VERSION:
        return None
    name, old, new = _string(data.get("name")), _string(data.get("old")), _string(data.get("new"))
    if not name or old is None or not new:
        return None
    raw_packages = data.get("packages", [])
    raw_pins = data.get("pins", [])
    if not isinstance(raw_packages, list) or not isinstance(raw_pins, list):
        return None
    if len(raw_packages) > _MAX_PACKAGES or len(raw_pins) > _MAX_PINS:
        return None
    packages = [_string(item) for item in raw_packages]
    pins = [_pin(item) for item in raw_pins]
    if any(p is None for p in packages) or any(p is None for p in pins):
        return None
    return UpdateMetadata(
        name=name,
        old_version=old,
        new_version=new,
        packages=tuple(p for p in packages if p is not None),
        pins=tuple(p for p in pins if p is not None),
        schema=SCHEMA_VERSION,
    )


def _pin(item: object) -> PinRecord | None:
    if not isinstance(item, dict):
        return None
    fields = [_string(item.get(k)) for k in ("file", "attribute", "old", "new")]
    if any(f is None for f in fields):
        return None
    file, attribute, pin_old, pin_new = (f or "" for f in fields)
    return PinRecord(file=file, attribute=attribute, old=pin_old, new=pin_new)


def parse_metadata(body: str | None) -> UpdateMetadata | None:
    """The metadata of a PR body, or None when there is no valid block.

    The bot writes its block last, so the last valid block wins: text quoted earlier in the
    body (release notes are stripped of comments anyway) cannot override it.
    """
    if not body or len(body) > _MAX_BODY:
        return None
    found: UpdateMetadata | None = None
    for comment in _html_comments(body):
        head = _HEAD.match(comment)
        if head is not None:
            meta = _decode(comment[head.end() :].strip())
            if meta is not None:
                found = meta
    return found


def _html_comments(text: str) -> list[str]:
    """The contents of every `<!-- ... -->`, found in one linear pass (no regex backtracking)."""
    comments: list[str] = []
    pos = 0
    while True:
        start = text.find("<!--", pos)
        if start < 0:
            return comments
        end = text.find("-->", start + 4)
        if end < 0:
            return comments
        comments.append(text[start + 4 : end])
        pos = end + 3
