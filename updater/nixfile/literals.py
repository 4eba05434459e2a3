"""Every string literal of a file that reads as a Nix hash, whatever attribute holds it.

The scan knows hashes by the attributes and fetchers that hold them. A fixed-output derivation
can take its hash from anywhere (`fetchGoModules { hash = ...; }`, an attribute set of
outputHashes, a hand-written helper's argument); the engine finds which literal a derivation's
`outputHash` comes from by evaluation, and needs every candidate literal as an editable pin.
"""

from __future__ import annotations

from pathlib import Path

from tree_sitter import Node

from updater import nixhash
from updater.nixfile.model import HashAlgo, Location, Pin, PinKind
from updater.nixfile.parse import parse_source
from updater.nixfile.syntax import content_span, string_is_plain, string_value

_ALGOS = (HashAlgo.SHA256, HashAlgo.SHA512)


def _algo_of(value: str) -> HashAlgo | None:
    for algo in _ALGOS:
        fmt = nixhash.notation(value, algo)
        if fmt is not None and fmt in nixhash.NOTATIONS | {nixhash.HashFormat.FAKE}:
            return nixhash.parse(value, algo).algo
    return None


def _attr_of(node: Node) -> str:
    """The name bound to the literal (`hash = "..."` -> hash), or "" when it is not bound."""
    parent = node.parent
    while parent is not None and parent.type in ("parenthesized_expression", "binary_expression"):
        parent = parent.parent
    if parent is not None and parent.type == "binding":
        path = parent.child_by_field_name("attrpath")
        if path is not None:
            return path.text.decode("utf-8", "replace") if path.text else ""
    return ""


def hash_literals(root: Path, rel: str) -> tuple[Pin, ...]:
    """The plain string literals of `root/rel` whose value is a hash (any notation)."""
    parsed = parse_source(rel, (root / rel).read_bytes())
    found: list[Pin] = []
    todo = [parsed.root]
    while todo:
        node = todo.pop()
        todo.extend(node.named_children)
        if node.type != "string_expression" or not string_is_plain(node):
            continue
        value = string_value(node)
        if len(value) < 32 or len(value) > 140:
            continue
        algo = _algo_of(value)
        if algo is None:
            continue
        start, end = content_span(node)
        raw = parsed.source[start:end].decode()
        if raw != value:  # escapes: not a literal the editor can round-trip
            continue
        found.append(
            Pin(
                location=Location(rel, parsed.line_of(start), start, end),
                kind=PinKind.OUTPUT_HASH,
                value=value,
                attr=_attr_of(node) or "hash",
                literal=True,
                group="",
                format=nixhash.classify(value, algo),
                algo=algo,
                raw=raw,
            )
        )
    return tuple(sorted(found, key=lambda p: p.start))
