"""tree-sitter's nix grammar: parse .nix bytes, report real syntax errors, read pipe operators.

The grammar comes from tree-sitter-language-pack 0.13.0, pinned exactly. tree-sitter-nix 0.1.0
(the only release of the grammar on PyPI) rejects formals with a trailing comma, which nixfmt,
the official formatter, writes in every file: 75 % of the files of real NURs "failed" to parse.
The language pack ships the fixed grammar compiled, at the price of 184 MB installed (it carries
~160 other grammars); versions 1.x download grammars at run time, which a bot that must run
offline and reproducibly cannot do, so the pin is exact.

The experimental pipe operators (`|>`, `<|`) are not in the grammar: before parsing, each one
outside strings and comments is replaced by `//` (same byte length, so every span stays true);
the file then parses, and its scan says once that it used them. Anything else the grammar cannot
read is a real syntax error: one `ScanError` naming file:line:column (`nix-instantiate --parse`
agrees, `updater.nix.inspect.check_parse`). The intact parts of such a file are still read.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import tree_sitter
from tree_sitter_language_pack import get_language

from updater.nixfile.model import ScanError, ScanWarning

NIX_LANGUAGE: tree_sitter.Language = get_language("nix")

Node = tree_sitter.Node
Tree = tree_sitter.Tree

_PIPES = (b"|>", b"<|")
# Node types whose bytes are text, not operators: a `|>` in them stays as written.
_TEXT_TYPES = frozenset(
    {
        "string_fragment",
        "comment",
        "string_expression",
        "indented_string_expression",
        "uri_expression",
    }
)


def new_parser() -> tree_sitter.Parser:
    """A parser for one thread of work (tree-sitter parsers are not shareable across threads)."""
    return tree_sitter.Parser(NIX_LANGUAGE)


@dataclass(frozen=True)
class ParsedFile:
    """One .nix file: its path relative to the repo, its bytes and its syntax tree.

    `source` is the file as stored; the tree may have been parsed from a copy whose pipe
    operators read `//` (`pipes` is True then): offsets are the same in both.
    """

    rel: str
    source: bytes
    tree: Tree
    pipes: bool = False

    @property
    def root(self) -> Node:
        return self.tree.root_node

    def text(self, node: Node) -> str:
        return self.source[node.start_byte : node.end_byte].decode("utf-8", "replace")

    @property
    def expression(self) -> Node | None:
        """The file's one expression (comments around it skipped)."""
        root = self.tree.root_node
        expr = root.child_by_field_name("expression")
        if expr is not None:
            return expr
        return next((c for c in root.named_children if c.type != "comment"), None)

    def line_of(self, byte: int) -> int:
        return self.source.count(b"\n", 0, byte) + 1


def _pipe_offsets(source: bytes) -> list[int]:
    found = []
    for pipe in _PIPES:
        start = source.find(pipe)
        while start != -1:
            found.append(start)
            start = source.find(pipe, start + 2)
    return sorted(found)


def _in_text(tree: Tree, offset: int) -> bool:
    node: Node | None = tree.root_node.descendant_for_byte_range(offset, offset + 2)
    while node is not None:
        if node.type in _TEXT_TYPES:
            return True
        node = node.parent
    return False


def parse_tree(source: bytes, parser: tree_sitter.Parser | None = None) -> tuple[Tree, bool]:
    """The syntax tree of `source`, pipe operators read as `//`; and whether there were any."""
    parser = parser or new_parser()
    tree = parser.parse(source)
    if not tree.root_node.has_error:
        return tree, False
    offsets = [o for o in _pipe_offsets(source) if not _in_text(tree, o)]
    if not offsets:
        return tree, False
    rewritten = bytearray(source)
    for offset in offsets:
        rewritten[offset : offset + 2] = b"//"
    return parser.parse(bytes(rewritten)), True


def parse_source(rel: str, source: bytes, parser: tree_sitter.Parser | None = None) -> ParsedFile:
    tree, pipes = parse_tree(source, parser)
    return ParsedFile(rel, source, tree, pipes)


def iter_error_nodes(root: Node) -> Iterator[Node]:
    """ERROR and MISSING nodes, outermost first; their subtrees are not searched further."""
    if not root.has_error:
        return
    stack = [root]
    while stack:
        node = stack.pop()
        if node.is_error or node.is_missing:
            yield node
            continue
        if node.has_error:
            stack.extend(reversed(node.children))


def syntax_error(parsed: ParsedFile) -> ScanError | None:
    """The file's first syntax error, or None when it is valid Nix."""
    first = next(iter_error_nodes(parsed.root), None)
    if first is None:
        return None
    where = _unexpected(first)
    line, column = where.start_point.row + 1, where.start_point.column + 1
    if where == first and not first.is_missing and first.end_byte >= len(parsed.source.rstrip()):
        # the region runs to the end: something was left open (Nix: "unexpected end of file")
        line, column = first.end_point.row + 1, first.end_point.column + 1
        what = "syntax error: unexpected end of file (something opened is not closed)"
    elif first.is_missing:
        what = f"syntax error: expected {first.type}"
    else:
        token = parsed.text(where).split("\n", 1)[0].strip()[:40]
        what = f"syntax error: unexpected {token!r}" if token else "syntax error"
    return ScanError(parsed.rel, line, column, f"{what}; pins after it may be missing")


_PUNCTUATION = frozenset({")", "]", "}", ";", ",", "=", ":", ".", "in", "then", "else"})


def _unexpected(error: Node) -> Node:
    """The token Nix would name in an ERROR region: a nested error, or punctuation right after
    punctuation (`y = ) ;`); else where the region starts."""
    after_token = False
    for child in error.children:
        if child.is_error:
            return _unexpected(child) if child.children else child
        if not child.is_named:
            if after_token and child.type in _PUNCTUATION:
                return child
            after_token = True
        else:
            after_token = False
    return error


def parse_warnings(parsed: ParsedFile) -> tuple[ScanWarning, ...]:
    """What a valid file may still be warned about: the experimental pipe operators."""
    if not parsed.pipes:
        return ()
    offsets = [o for o in _pipe_offsets(parsed.source) if not _in_text(parsed.tree, o)]
    line = parsed.line_of(offsets[0]) if offsets else 1
    return (
        ScanWarning(
            parsed.rel,
            line,
            "uses the experimental pipe operators (|>, <|); read as `//` for the scan",
        ),
    )
