"""Small readers over tree-sitter-nix nodes: call heads, attribute sets, scopes, string parts.

Scoping follows Nix: `let` and `rec { }` bind names for their whole body (recursively),
function formals and `x:` parameters bind for the body, `inherit x;` in a let refers to the
enclosing scope and `inherit (e) x;` to `e.x`. `with` is not followed (its names are unknown).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

from updater.nixfile.parse import Node

ATTRSET_TYPES = frozenset({"attrset_expression", "rec_attrset_expression"})
SCOPE_TYPES = frozenset({"let_expression", "rec_attrset_expression"})


def unwrap(node: Node) -> Node:
    """The expression inside any parentheses."""
    while node.type == "parenthesized_expression" and node.named_child_count:
        node = node.named_children[0]
    return node


def flatten_apply(node: Node) -> tuple[Node, list[Node]]:
    """`f a b` -> (f, [a, b]) with parentheses removed around the head."""
    args: list[Node] = []
    node = unwrap(node)
    while node.type == "apply_expression":
        fn = node.child_by_field_name("function")
        arg = node.child_by_field_name("argument")
        if fn is None or arg is None:
            break
        args.append(arg)
        node = unwrap(fn)
    args.reverse()
    return node, args


def dotted_name(node: Node) -> str | None:
    """`pkgs.fetchFromGitHub` / `fetchgit` as text, None for anything else."""
    node = unwrap(node)
    if node.type == "variable_expression":
        ident = node.child_by_field_name("name")
        return ident.text.decode() if ident is not None and ident.text is not None else None
    if node.type == "select_expression":
        base = node.child_by_field_name("expression")
        path = node.child_by_field_name("attrpath")
        if base is None or path is None or node.child_by_field_name("default") is not None:
            return None
        prefix = dotted_name(base)
        names = attrpath_names(path)
        if prefix is None or names is None:
            return None
        return ".".join([prefix, *names])
    return None


def attrpath_names(path: Node) -> list[str] | None:
    """Names of a static attrpath (`a.b."c"`), None when it has interpolations."""
    names = []
    for part in path.named_children:
        if part.type == "identifier":
            names.append(node_text(part))
        elif part.type == "string_expression" and all(
            c.type == "string_fragment" for c in part.named_children
        ):
            names.append("".join(node_text(c) for c in part.named_children))
        else:
            return None
    return names


def node_text(node: Node) -> str:
    return node.text.decode("utf-8", "replace") if node.text is not None else ""


def attrset_body(node: Node) -> tuple[Node, str | None] | None:
    """The attribute set an argument denotes: `{..}`, `rec {..}`, `(self: {..})`; and `self`."""
    node = unwrap(node)
    if node.type in ATTRSET_TYPES:
        return node, None
    if node.type == "function_expression":
        param = node.child_by_field_name("universal")
        body = node.child_by_field_name("body")
        if param is not None and body is not None:
            inner = unwrap(body)
            if inner.type in ATTRSET_TYPES:
                return inner, node_text(param)
    return None


@dataclass(frozen=True)
class Arg:
    """One attribute of an attribute set: `name = value;`, `inherit name;`, `inherit (e) name;`."""

    name: str
    node: Node  # the binding, or the inherited identifier
    value: Node | None  # the bound expression; None for inherit
    inherit_from: Node | None  # `e` of `inherit (e) name;`


def binding_set(node: Node) -> Node | None:
    for child in node.named_children:
        if child.type == "binding_set":
            return child
    return None


def bindings(attrset_or_let: Node) -> Iterator[Arg]:
    bset = binding_set(attrset_or_let)
    if bset is None:
        return
    for item in bset.named_children:
        if item.type == "binding":
            path = item.child_by_field_name("attrpath")
            value = item.child_by_field_name("expression")
            names = attrpath_names(path) if path is not None else None
            if names is None or value is None:
                continue
            yield Arg(".".join(names), item, value, None)
        elif item.type in ("inherit", "inherit_from"):
            source = item.child_by_field_name("expression") if item.type == "inherit_from" else None
            attrs = item.child_by_field_name("attrs")
            if attrs is None:
                continue
            for ident in attrs.named_children:
                if ident.type == "identifier":
                    yield Arg(node_text(ident), ident, None, source)


def args_of(attrset: Node) -> dict[str, Arg]:
    found: dict[str, Arg] = {}
    for arg in bindings(attrset):
        found.setdefault(arg.name, arg)
    return found


@dataclass(frozen=True)
class Definition:
    """What a name refers to: a binding's value, an inherit, or a function parameter."""

    kind: str  # "value", "inherit", "formal", "param"
    name: str
    node: Node  # binding / inherited identifier / formal / function
    value: Node | None  # bound expression, formal default, or `e` of inherit (e)
    scope: Node  # the let, rec set or function that binds it


def lookup(name: str, start: Node) -> Definition | None:
    """The definition `name` refers to at `start`, walking out through enclosing scopes."""
    node = start
    while True:
        parent = node.parent
        if parent is None:
            return None
        if parent.type in SCOPE_TYPES:
            for arg in bindings(parent):
                if arg.name != name:
                    continue
                if arg.value is not None:
                    return Definition("value", name, arg.node, arg.value, parent)
                if arg.inherit_from is not None:
                    return Definition("inherit", name, arg.node, arg.inherit_from, parent)
                # `inherit name;` refers outside the scope that declares it
                return lookup(name, parent) if parent.type == "let_expression" else None
        elif parent.type == "function_expression" and node != parent.child_by_field_name("formals"):
            found = _function_binds(parent, name)
            if found is not None:
                return found
        node = parent


def _function_binds(fn: Node, name: str) -> Definition | None:
    universal = fn.child_by_field_name("universal")
    if universal is not None and node_text(universal) == name:
        return Definition("param", name, fn, None, fn)
    formals = fn.child_by_field_name("formals")
    if formals is None:
        return None
    for formal in formals.named_children:
        if formal.type != "formal":
            continue
        ident = formal.child_by_field_name("name")
        if ident is not None and node_text(ident) == name:
            return Definition("formal", name, formal, formal.child_by_field_name("default"), fn)
    return None


def string_is_plain(node: Node) -> bool:
    """A double-quoted string with no interpolation (escapes allowed)."""
    return node.type == "string_expression" and all(
        c.type in ("string_fragment", "escape_sequence") for c in node.named_children
    )


def content_span(node: Node) -> tuple[int, int]:
    """Byte span of a string literal's content, inside the quotes."""
    return node.start_byte + 1, node.end_byte - 1


def string_value(node: Node) -> str:
    """The content of a plain string, escapes decoded the way Nix reads them."""
    out = []
    for child in node.named_children:
        text = node_text(child)
        if child.type == "escape_sequence":
            out.append({"\\n": "\n", "\\t": "\t", "\\r": "\r"}.get(text, text[1:]))
        else:
            out.append(text)
    return "".join(out)
