"""`# updater: <name> [argument]` comments: parse them and find what each one applies to.

A directive applies to the binding it trails (same line) or, written on its own line(s), to the
binding that starts on the next line; above the file's expression, to the whole file. Every pin
inside that binding gets it. The syntax is documented in docs/DIRECTIVES.md.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

from updater.nixfile.model import Directive, ScanWarning
from updater.nixfile.parse import Node, ParsedFile

_PREFIX = re.compile(r"#\s*updater\s*:\s*(.*)$")
_BRANCH = re.compile(r"[A-Za-z0-9][A-Za-z0-9._/+-]{0,199}")
_GLOB = re.compile(r"[A-Za-z0-9*?.\[\]_/+-][A-Za-z0-9*?.\[\]_/+!-]{0,199}")

# name -> argument pattern (None: takes no argument)
KNOWN: dict[str, re.Pattern[str] | None] = {
    "skip": None,
    "prereleases": None,
    "branch": _BRANCH,
    "tags": _GLOB,
    "ignore": _GLOB,
}


@dataclass(frozen=True)
class AttachedDirective:
    directive: Directive
    start: int  # byte range of the binding (or file) it applies to
    end: int


def parse_comment(text: str) -> tuple[str, str] | None:
    """(name, argument) of a directive comment, None for an ordinary comment."""
    m = _PREFIX.match(text.strip())
    if m is None:
        return None
    body = m.group(1).strip()
    name, _, argument = body.partition(" ")
    return name, argument.strip()


def _validate(name: str, argument: str) -> str | None:
    """An error message, or None when the directive is well-formed."""
    if name not in KNOWN:
        return f"unknown directive 'updater: {name}' (known: {', '.join(sorted(KNOWN))})"
    pattern = KNOWN[name]
    if pattern is None:
        return f"'updater: {name}' takes no argument" if argument else None
    if not argument:
        return f"'updater: {name}' needs an argument"
    if not pattern.fullmatch(argument):
        return f"'updater: {name}' argument {argument[:60]!r} has characters outside [A-Za-z0-9._/*?+-]"
    return None


def attach(
    parsed: ParsedFile, comments: Iterable[Node], bindings: Iterable[Node]
) -> tuple[tuple[AttachedDirective, ...], tuple[ScanWarning, ...]]:
    """Directives of one file with the byte range each applies to, and warnings for bad ones."""
    outermost: dict[int, tuple[int, int]] = {}
    for node in bindings:
        row = node.start_point.row
        span = outermost.get(row)
        if span is None or node.start_byte < span[0] or node.end_byte > span[1]:
            outermost[row] = (
                min(node.start_byte, span[0]) if span else node.start_byte,
                max(node.end_byte, span[1]) if span else node.end_byte,
            )
    comment_rows = set()
    directive_comments: list[tuple[Node, str, str]] = []
    warnings: list[ScanWarning] = []
    for node in comments:
        comment_rows.add(node.start_point.row)
        found = parse_comment(parsed.text(node))
        if found is not None:
            directive_comments.append((node, *found))
    attached: list[AttachedDirective] = []
    root = parsed.root
    body_start = next(
        (c.start_byte for c in root.children if c.type != "comment"), len(parsed.source)
    )
    for node, name, argument in directive_comments:
        line = node.start_point.row + 1
        problem = _validate(name, argument)
        if problem is not None:
            warnings.append(ScanWarning(parsed.rel, line, problem))
            continue
        directive = Directive(name, argument, parsed.rel, line)
        line_start = parsed.source.rfind(b"\n", 0, node.start_byte) + 1
        trailing = parsed.source[line_start : node.start_byte].strip() != b""
        if trailing:
            span = outermost.get(node.start_point.row)
        elif node.end_byte <= body_start:
            span = (0, len(parsed.source))
        else:
            row = node.start_point.row + 1
            while row in comment_rows:
                row += 1
            span = outermost.get(row)
        if span is None:
            warnings.append(
                ScanWarning(parsed.rel, line, f"'updater: {name}' is not next to a binding")
            )
            continue
        attached.append(AttachedDirective(directive, span[0], span[1]))
    return tuple(attached), tuple(warnings)


def applying(
    attached: Iterable[AttachedDirective], spans: Iterable[tuple[int, int]]
) -> tuple[Directive, ...]:
    """Directives whose range contains any of `spans` (the pin and its use sites)."""
    spans = tuple(spans)
    found: list[Directive] = []
    for item in attached:
        if item.directive in found:
            continue
        if any(item.start <= s and e <= item.end for s, e in spans):
            found.append(item.directive)
    return tuple(found)
