"""Per-file extraction: the fetcher calls, derivations, callPackage/import sites of one file.

One pass over the syntax tree records what the resolver needs; nothing here looks at other
files. Nodes inside tree-sitter's damaged regions are never read.
"""

from __future__ import annotations

import posixpath
from dataclasses import dataclass, field

import tree_sitter

from updater.nixfile import fetchers
from updater.nixfile.fetchers import FetcherSpec
from updater.nixfile.parse import NIX_LANGUAGE, Node, ParsedFile
from updater.nixfile.syntax import (
    Arg,
    args_of,
    attrset_body,
    dotted_name,
    flatten_apply,
    node_text,
    unwrap,
)

# An argument set with any of these is a derivation (or feeds one: callPackage arguments).
DERIVATION_MARKERS = frozenset(
    {"src", "version", "pname", "outputHash", *fetchers.DERIVATION_HASH_ATTRS, "pnpmDeps"}
)


@dataclass(frozen=True)
class FetcherCall:
    node: Node  # the whole call
    called: str  # as written: `pkgs.fetchFromGitHub`
    spec: FetcherSpec
    args: dict[str, Arg]
    attrset: Node
    self_name: str | None  # `finalAttrs` of `fetcher (finalAttrs: { ... })`


@dataclass(frozen=True)
class DerivationCall:
    node: Node
    called: str
    args: dict[str, Arg]
    attrset: Node
    self_name: str | None


@dataclass(frozen=True)
class CallSite:
    """`callPackage ./x.nix { ... }` or `import ./x.nix { ... }`: this file uses another file."""

    node: Node
    target: str  # repo-relative path of the called file (directories -> default.nix)
    args: dict[str, Arg]


@dataclass
class FileFacts:
    """What one pass over a file found (built once, then only read)."""

    parsed: ParsedFile
    fetcher_calls: list[FetcherCall] = field(default_factory=list)
    derivations: list[DerivationCall] = field(default_factory=list)
    call_sites: list[CallSite] = field(default_factory=list)
    version_bindings: list[Arg] = field(default_factory=list)
    comments: list[Node] = field(default_factory=list)
    bindings: list[Node] = field(default_factory=list)
    references: dict[str, list[Node]] = field(default_factory=dict)
    dir_walks: list[tuple[str, bool]] = field(default_factory=list)  # directory, nested

    @property
    def rel(self) -> str:
        return self.parsed.rel


def path_target(rel: str, node: Node) -> str | None:
    """The repo-relative path a path literal (`./x`, `../y`) names, None when it is not one."""
    node = unwrap(node)
    if node.type != "path_expression":
        return None
    text = node_text(node)
    if not (text.startswith("./") or text.startswith("../")) or "${" in text:
        return None
    joined = posixpath.normpath(posixpath.join(posixpath.dirname(rel), text))
    if joined.startswith("../") or joined == "..":
        return None
    return "" if joined == "." else joined


# One query finds every node the extraction needs (in C: much faster than a Python walk).
_QUERY = tree_sitter.Query(
    NIX_LANGUAGE,
    """
    (comment) @comment
    (apply_expression) @apply
    (binding) @binding
    (inherit) @inherit
    (inherit_from) @inherit
    (variable_expression) @var
    (inherit attrs: (inherited_attrs (identifier) @inherited))
    (ERROR) @error
    """,
)


def extract(parsed: ParsedFile) -> FileFacts:
    facts = FileFacts(parsed)
    captures = tree_sitter.QueryCursor(_QUERY).captures(parsed.root)
    source = parsed.source
    damaged = [(n.start_byte, n.end_byte) for n in captures.get("error", ())]

    def intact(node: Node) -> bool:
        return not any(s <= node.start_byte < e for s, e in damaged)

    def text(node: Node) -> str:
        return source[node.start_byte : node.end_byte].decode("utf-8", "replace")

    for node in sorted(captures.get("comment", ()), key=lambda n: n.start_byte):
        if intact(node):
            facts.comments.append(node)
    for node in [*captures.get("binding", []), *captures.get("inherit", [])]:
        if not intact(node):
            continue
        facts.bindings.append(node)
        if node.type == "binding":
            path = node.child_by_field_name("attrpath")
            if path is not None and text(path) == "version":
                value = node.child_by_field_name("expression")
                if value is not None:
                    facts.version_bindings.append(Arg("version", node, value, None))
    for node in [*captures.get("var", []), *captures.get("inherited", [])]:
        if intact(node):
            facts.references.setdefault(text(node), []).append(node)
    for node in sorted(captures.get("apply", ()), key=lambda n: n.start_byte):
        parent = node.parent
        if (
            parent is not None
            and parent.type == "apply_expression"
            and parent.child_by_field_name("function") == node
        ):
            continue  # only the outermost call of `f a b`
        if intact(node):
            _apply(facts, node)
    return facts


_DIRECTORY_WALKS = frozenset({"packagesFromDirectoryRecursive", "readDir", "listFilesRecursive"})


def _walk_site(facts: FileFacts, called: str, args: list[Node]) -> None:
    """`packagesFromDirectoryRecursive { directory = ./d; }`, `readDir ./d`: d's files are
    packages named by their paths (naming.py)."""
    if called == "packagesFromDirectoryRecursive":
        body = attrset_body(args[-1])
        directory = args_of(body[0]).get("directory") if body is not None else None
        node = directory.value if directory is not None else None
    else:
        node = args[0]
    target = path_target(facts.rel, node) if node is not None else None
    if target is not None:
        facts.dir_walks.append((target, called != "readDir"))


def _apply(facts: FileFacts, node: Node) -> None:
    head, args = flatten_apply(node)
    called = dotted_name(head)
    if called is None or not args:
        return
    last = called.rsplit(".", 1)[-1]
    if last in _DIRECTORY_WALKS:
        _walk_site(facts, last, args)
        return
    if last in ("callPackage", "import", "callPackages") or called == "builtins.import":
        target = path_target(facts.rel, args[0])
        if target:
            body = attrset_body(args[1]) if len(args) > 1 else None
            facts.call_sites.append(
                CallSite(node, target, args_of(body[0]) if body is not None else {})
            )
        return
    body = attrset_body(args[-1])
    if body is None:
        return
    attrset, self_name = body
    spec = fetchers.lookup(called)
    arg_map = args_of(attrset)
    if spec is not None:
        facts.fetcher_calls.append(FetcherCall(node, called, spec, arg_map, attrset, self_name))
    elif DERIVATION_MARKERS & arg_map.keys():
        facts.derivations.append(DerivationCall(node, called, arg_map, attrset, self_name))
