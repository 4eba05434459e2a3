"""Static resolution across files: from the places that use a value to the literal that holds it.

A value is followed through `let` bindings, `rec` sets, `inherit`, `finalAttrs.x`, per-system
attribute sets (`{ x86_64-linux = ..; }.${system}`), `if stdenv.system == ..` chains,
`"sha256:" + ".."` and, across files, function formals filled by `callPackage ./f.nix { .. }`
arguments. The result is a list of leaves: the expressions that finally hold the value.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from updater.nixfile.parse import Node
from updater.nixfile.scan import CallSite, FileFacts
from updater.nixfile.syntax import (
    ATTRSET_TYPES,
    Arg,
    args_of,
    attrpath_names,
    attrset_body,
    dotted_name,
    lookup,
    node_text,
    string_is_plain,
    string_value,
    unwrap,
)

_MAX_DEPTH = 40
FAKE_NAMES = frozenset({"fakeHash", "fakeSha256", "fakeSha512"})


@dataclass(frozen=True)
class Use:
    """One place on the way to a value (a site, a variable, an inherit)."""

    facts: FileFacts
    node: Node


@dataclass(frozen=True)
class Leaf:
    """An expression that holds (part of) a value, with how it was reached."""

    facts: FileFacts
    node: Node
    system: str | None = None
    uses: tuple[Use, ...] = ()
    prefix: str = ""  # text concatenated in front: `"sha256:" + <this>`

    @property
    def is_plain_string(self) -> bool:
        return string_is_plain(self.node)

    @property
    def is_fake_reference(self) -> bool:
        name = dotted_name(self.node)
        return name is not None and name.rsplit(".", 1)[-1] in FAKE_NAMES


class Resolver:
    """Follows values through scopes and across files (read-only over the facts)."""

    def __init__(self, files: dict[str, FileFacts]) -> None:
        self.files = files
        self.callers: dict[str, list[tuple[FileFacts, CallSite]]] = {}
        for facts in files.values():
            for site in facts.call_sites:
                target = site.target
                if target not in files and f"{target}/default.nix" in files:
                    target = f"{target}/default.nix"
                self.callers.setdefault(target, []).append((facts, site))

    # -- values ---------------------------------------------------------------------------

    def leaves(
        self,
        facts: FileFacts,
        node: Node,
        system: str | None = None,
        uses: tuple[Use, ...] = (),
    ) -> list[Leaf]:
        if len(uses) > _MAX_DEPTH:
            return [Leaf(facts, node, system, uses)]
        node = unwrap(node)
        kind = node.type
        if kind == "variable_expression":
            name = node_text(node)
            definition = lookup(name, node)
            if definition is None:
                return [Leaf(facts, node, system, uses)]
            return self._definition(facts, definition, system, (*uses, Use(facts, node)))
        if kind == "select_expression":
            return self._select(facts, node, system, uses)
        if kind == "if_expression":
            return self._if_chain(facts, node, system, uses)
        if kind == "binary_expression":
            return self._concat(facts, node, system, uses)
        return [Leaf(facts, node, system, uses)]

    def leaves_of_arg(
        self, facts: FileFacts, arg: Arg, system: str | None = None, uses: tuple[Use, ...] = ()
    ) -> list[Leaf]:
        uses = (*uses, Use(facts, arg.value if arg.value is not None else arg.node))
        if arg.value is not None:
            return self.leaves(facts, arg.value, system, uses)
        if arg.inherit_from is not None:
            return self._attr_of(facts, arg.inherit_from, [arg.name], system, uses)
        # `inherit name;` in a non-recursive set: the name as seen from outside the set
        definition = lookup(arg.name, _scope_start(arg.node))
        if definition is None:
            return [Leaf(facts, arg.node, system, uses)]
        return self._definition(facts, definition, system, uses)

    def _definition(
        self, facts: FileFacts, definition: object, system: str | None, uses: tuple[Use, ...]
    ) -> list[Leaf]:
        from updater.nixfile.syntax import Definition

        assert isinstance(definition, Definition)
        if definition.kind == "value" and definition.value is not None:
            return self.leaves(facts, definition.value, system, uses)
        if definition.kind == "inherit" and definition.value is not None:
            return self._attr_of(facts, definition.value, [definition.name], system, uses)
        if definition.kind == "formal":
            found = self._from_callers(facts, definition.name, definition.scope, system, uses)
            if found:
                return found
            if definition.value is not None:
                return self.leaves(facts, definition.value, system, uses)
        return [Leaf(facts, definition.node, system, uses)]

    def _from_callers(
        self,
        facts: FileFacts,
        name: str,
        function: Node,
        system: str | None,
        uses: tuple[Use, ...],
    ) -> list[Leaf]:
        # Only the file's own top-level function receives callPackage arguments.
        expression = facts.parsed.expression
        top = unwrap(expression) if expression is not None else None
        if top is None or top != function:
            return []
        found: list[Leaf] = []
        for caller, site in self.callers.get(facts.rel, []):
            arg = site.args.get(name)
            if arg is not None and all(u.node != site.node for u in uses):
                found.extend(
                    self.leaves_of_arg(caller, arg, system, (*uses, Use(caller, site.node)))
                )
        return found

    def _attr_of(
        self,
        facts: FileFacts,
        base: Node,
        names: list[str],
        system: str | None,
        uses: tuple[Use, ...],
    ) -> list[Leaf]:
        """Leaves of `base.names...` (names may be `${...}` for every entry by system)."""
        found: list[Leaf] = []
        for leaf in self.leaves(facts, base, system, uses):
            found.extend(self._attr_in_leaf(leaf, names))
        return found

    def _attr_in_leaf(self, leaf: Leaf, names: list[str]) -> list[Leaf]:
        if not names:
            return [leaf]
        attrset = _attrset_of_leaf(leaf.node)
        if attrset is None:
            return []
        name, rest = names[0], names[1:]
        args = args_of(attrset)
        if name == "${}":
            found: list[Leaf] = []
            for key, arg in args.items():
                for sub in self.leaves_of_arg(leaf.facts, arg, key, leaf.uses):
                    found.extend(self._attr_in_leaf(sub, rest))
            return found
        found_arg = args.get(name)
        if found_arg is None:
            return []
        return [
            deeper
            for sub in self.leaves_of_arg(leaf.facts, found_arg, leaf.system, leaf.uses)
            for deeper in self._attr_in_leaf(sub, rest)
        ]

    def _select(
        self, facts: FileFacts, node: Node, system: str | None, uses: tuple[Use, ...]
    ) -> list[Leaf]:
        base = node.child_by_field_name("expression")
        path = node.child_by_field_name("attrpath")
        default = node.child_by_field_name("default")
        if base is None or path is None:
            return [Leaf(facts, node, system, uses)]
        names: list[str] = []
        for part in path.named_children:
            if part.type == "interpolation":
                names.append("${}")
            else:
                static = attrpath_names_single(part)
                if static is None:
                    return [Leaf(facts, node, system, uses)]
                names.append(static)
        if names[-1] in FAKE_NAMES:
            return [Leaf(facts, node, system, uses)]
        found = self._attr_of(facts, base, names, system, uses)
        if default is not None:  # `hashes.${system} or (throw "..")`: the entries, and a default
            if not found:
                return [Leaf(facts, node, system, uses)]
            if not _is_throw(unwrap(default)):
                found.extend(self.leaves(facts, default, system or "else", uses))
        return found or [Leaf(facts, node, system, uses)]

    def _if_chain(
        self, facts: FileFacts, node: Node, system: str | None, uses: tuple[Use, ...]
    ) -> list[Leaf]:
        condition = node.child_by_field_name("condition")
        then = node.child_by_field_name("consequence")
        other = node.child_by_field_name("alternative")
        if condition is None or then is None or other is None:
            return [Leaf(facts, node, system, uses)]
        found = self.leaves(facts, then, system_of_condition(condition), uses)
        rest = unwrap(other)
        if rest.type == "if_expression":
            found.extend(self._if_chain(facts, rest, system, uses))
        elif not _is_throw(rest):
            found.extend(self.leaves(facts, rest, system or "else", uses))
        return found

    def _concat(
        self, facts: FileFacts, node: Node, system: str | None, uses: tuple[Use, ...]
    ) -> list[Leaf]:
        left = node.child_by_field_name("left")
        right = node.child_by_field_name("right")
        operator = node.child_by_field_name("operator")
        if (
            left is not None
            and right is not None
            and operator is not None
            and node_text(operator) == "+"
            and string_is_plain(unwrap(left))
        ):
            prefix = string_value(unwrap(left))
            if prefix.endswith(":") and prefix[:-1] in ("md5", "sha1", "sha256", "sha512"):
                return [
                    Leaf(leaf.facts, leaf.node, leaf.system, leaf.uses, prefix + leaf.prefix)
                    for leaf in self.leaves(facts, right, system, uses)
                ]
        return [Leaf(facts, node, system, uses)]

    # -- strings --------------------------------------------------------------------------

    def interpolate(self, facts: FileFacts, string: Node) -> tuple[str, list[Leaf]]:
        """A string's text with each `${x}` that resolves to one plain literal substituted,
        and the literals it depends on."""
        out: list[str] = []
        depends: list[Leaf] = []
        for child in string.named_children:
            if child.type == "interpolation":
                inner = child.child_by_field_name("expression")
                leaves = self.leaves(facts, inner) if inner is not None else []
                plain = [leaf for leaf in leaves if leaf.is_plain_string]
                if len(leaves) == 1 and plain:
                    out.append(string_value(plain[0].node))
                    depends.append(plain[0])
                    continue
                out.append(node_text(child))
            elif child.type == "escape_sequence":
                out.append(string_value_of_escape(node_text(child)))
            else:
                out.append(node_text(child))
        return "".join(out), depends

    def text_of(self, facts: FileFacts, node: Node) -> str | None:
        """The string an expression resolves to, when it is one literal (interpolated)."""
        leaves = self.leaves(facts, node)
        if len(leaves) != 1:
            return None
        leaf = leaves[0]
        if leaf.node.type != "string_expression":
            return None
        text, _ = self.interpolate(leaf.facts, leaf.node)
        return leaf.prefix + text

    def references_to(self, facts: FileFacts, binding: Node, name: str) -> Iterable[Node]:
        """Places in `facts` where `name` refers to the definition `binding`."""
        for ref in facts.references.get(name, ()):
            start = _scope_start(ref) if ref.type == "identifier" else ref
            definition = lookup(name, start)
            if definition is not None and definition.node == binding:
                yield ref


def string_value_of_escape(text: str) -> str:
    return {"\\n": "\n", "\\t": "\t", "\\r": "\r"}.get(text, text[1:])


def attrpath_names_single(part: Node) -> str | None:
    if part.type == "identifier":
        return node_text(part)
    if part.type == "string_expression" and string_is_plain(part):
        return string_value(part)
    return None


def _scope_start(ident: Node) -> Node:
    """Where lookup of an inherited name starts: outside the set or let that inherits it."""
    node = ident
    while node.parent is not None and node.type not in ("inherit", "inherit_from"):
        node = node.parent
    # inherit -> binding_set -> (attrset | let); `inherit x;` names x as seen around it
    owner = node.parent.parent if node.parent is not None and node.parent.parent else node
    return owner


def _attrset_of_leaf(node: Node) -> Node | None:
    node = unwrap(node)
    if node.type in ATTRSET_TYPES:
        return node
    if node.type == "function_expression":  # finalAttrs: { .. } reached through a parameter
        body = attrset_body(node)
        return body[0] if body is not None else None
    if node.type == "apply_expression":  # pkg.src: the arguments of the call
        from updater.nixfile.syntax import flatten_apply

        _, args = flatten_apply(node)
        body = attrset_body(args[-1]) if args else None
        return body[0] if body is not None else None
    return None


def system_of_condition(condition: Node) -> str:
    node = unwrap(condition)
    if node.type == "binary_expression":
        operator = node.child_by_field_name("operator")
        if operator is not None and node_text(operator) == "==":
            for side in ("left", "right"):
                part = node.child_by_field_name(side)
                if part is not None and string_is_plain(unwrap(part)):
                    return string_value(unwrap(part))
    return node_text(node)


def _is_throw(node: Node) -> bool:
    name = None
    if node.type == "apply_expression":
        fn = node.child_by_field_name("function")
        name = dotted_name(fn) if fn is not None else None
    return name in ("throw", "builtins.throw", "abort", "builtins.abort")


__all__ = ["FAKE_NAMES", "Leaf", "Resolver", "Use", "attrpath_names"]
