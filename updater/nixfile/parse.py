"""tree-sitter-nix: parse .nix bytes, report damaged regions, and ask Nix what is really invalid.

tree-sitter recovers from errors, so a file it cannot fully parse still yields a tree whose
intact parts we read; the damaged regions become warnings naming file and line. tree-sitter-nix
0.1.0 rejects some valid Nix (a trailing comma in formals): Nix's own verdict is
updater.nix.inspect.check_parse.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import tree_sitter
import tree_sitter_nix

from updater.nixfile.model import ScanWarning

NIX_LANGUAGE = tree_sitter.Language(tree_sitter_nix.language())

Node = tree_sitter.Node
Tree = tree_sitter.Tree


def new_parser() -> tree_sitter.Parser:
    """A parser for one thread of work (tree-sitter parsers are not shareable across threads)."""
    return tree_sitter.Parser(NIX_LANGUAGE)


@dataclass(frozen=True)
class ParsedFile:
    """One .nix file: its path relative to the repo, its bytes and its syntax tree."""

    rel: str
    source: bytes
    tree: Tree

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


def parse_source(rel: str, source: bytes, parser: tree_sitter.Parser | None = None) -> ParsedFile:
    return ParsedFile(rel, source, (parser or new_parser()).parse(source))


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


def parse_warnings(parsed: ParsedFile) -> tuple[ScanWarning, ...]:
    """One warning per damaged region, naming the file and the line where it starts."""
    warnings = []
    for node in iter_error_nodes(parsed.root):
        line = node.start_point.row + 1
        if node.is_missing:
            what = (
                f"tree-sitter-nix expected a {node.type} here (valid Nix it cannot read, such as"
                " a trailing comma in formals, or a real syntax error)"
            )
        else:
            end = node.end_point.row + 1
            what = (
                f"syntax tree-sitter-nix cannot read (lines {line}-{end}); pins there are skipped"
            )
        warnings.append(ScanWarning(parsed.rel, line, what))
    return tuple(warnings)
