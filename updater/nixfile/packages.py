"""Which packages (attribute paths a user builds, naming.py) a node feeds, statically.

A node feeds: the binding of a namespace (naming.Namespace) that contains it; or, inside a let
binding, whatever the references to that binding feed; or, at a file's top level, whatever the
callPackage/import sites of that file feed, and for a file nobody calls, the name its path
gives it (directory walks, by-name trees).
"""

from __future__ import annotations

from dataclasses import replace

from updater.nixfile.model import PackageRef
from updater.nixfile.naming import SET_PRESERVING, Namespace, Naming
from updater.nixfile.parse import Node
from updater.nixfile.resolve import Resolver
from updater.nixfile.scan import FileFacts
from updater.nixfile.syntax import (
    ATTRSET_TYPES,
    Arg,
    attrpath_names,
    bindings,
    dotted_name,
    flatten_apply,
    lookup,
    node_text,
    string_is_plain,
    string_value,
    unwrap,
)


class Attribution:
    """Answers `packages_of(file, node)` from the namespaces and the call graph."""

    def __init__(self, resolver: Resolver, naming: Naming) -> None:
        self.resolver = resolver
        self.naming = naming
        self._org_dirs = {
            n.organization for n in naming.namespaces.values() if n.organization is not None
        }
        self._memo: dict[tuple[str, int, int, str | None], frozenset[str]] = {}

    def namespace_of(self, facts: FileFacts, attrset: Node | None) -> Namespace | None:
        if attrset is None:
            return None
        return self.naming.namespaces.get((facts.rel, attrset.start_byte, attrset.end_byte))

    def packages_of(self, facts: FileFacts, node: Node) -> frozenset[str]:
        return self._packages_of(facts, node, None, set())

    def _packages_of(
        self,
        facts: FileFacts,
        node: Node,
        want: str | None,
        seen: set[tuple[str, int, int, str | None]],
    ) -> frozenset[str]:
        """Packages fed by the value of `node` (by its attribute `want`, when set)."""
        key = (facts.rel, node.start_byte, node.end_byte, want)
        if key in self._memo:
            return self._memo[key]
        if key in seen:
            return frozenset()
        seen.add(key)
        result = self._climb(facts, node, want, seen)
        self._memo[key] = result
        return result

    def _climb(
        self,
        facts: FileFacts,
        node: Node,
        want: str | None,
        seen: set[tuple[str, int, int, str | None]],
    ) -> frozenset[str]:
        current = node
        while current.parent is not None:
            parent = current.parent
            if parent.type in ("inherited_attrs", "inherit", "inherit_from"):
                names = self._inherited_names(facts, parent, current, want)
                if names is not None:
                    return names
                statement = parent if parent.type != "inherited_attrs" else parent.parent
                owner = statement.parent.parent if statement and statement.parent else None
                if owner is not None and owner.type in ATTRSET_TYPES and _is_argument(owner):
                    want = None
            if (
                parent.type == "select_expression"
                and parent.child_by_field_name("expression") == current
            ):
                path = parent.child_by_field_name("attrpath")
                first = path.named_children[0] if path is not None and path.named_children else None
                if first is not None and first.type == "identifier":
                    if want is not None and node_text(first) != want:
                        return frozenset()  # the reference selects another attribute
                want = None
            if parent.type == "binding" and parent.parent is not None:
                owner = parent.parent.parent
                path = parent.child_by_field_name("attrpath")
                namespace = self.namespace_of(facts, owner)
                if namespace is not None:
                    return self._binding_names(facts, namespace, parent)
                if owner is not None and owner.type == "let_expression" and path is not None:
                    found: set[str] = set()
                    for ref in self.resolver.references_to(facts, parent, node_text(path)):
                        found |= self._packages_of(facts, ref, want, seen)
                    return frozenset(found)
                if owner is not None and owner.type in ATTRSET_TYPES and _is_argument(owner):
                    want = None  # given to a function: what it builds is what the value feeds
                elif owner is not None and owner.type in ATTRSET_TYPES and path is not None:
                    want = node_text(path).split(".")[0]  # the value is this attribute of it
                    if owner.type == "rec_attrset_expression":
                        found = set()
                        for ref in self.resolver.references_to(facts, parent, node_text(path)):
                            found |= self._packages_of(facts, ref, None, seen)
                        rest = self._packages_of(facts, owner, want, seen)
                        return frozenset(found | rest)
            current = parent
        found = set()
        for caller, site in self.resolver.callers.get(facts.rel, []):
            found |= self._packages_of(caller, site.node, want, seen)
        if not found:
            found = set(self.naming.file_names.get(facts.rel, ()))
        return frozenset(found)

    def _inherited_names(
        self, facts: FileFacts, parent: Node, current: Node, want: str | None
    ) -> frozenset[str] | None:
        """`inherit a;` / `inherit (e) a b;` directly in a namespace."""
        statement = parent if parent.type != "inherited_attrs" else parent.parent
        if statement is None or statement.parent is None:
            return None
        namespace = self.namespace_of(facts, statement.parent.parent)
        if namespace is None:
            return None
        if parent.type == "inherited_attrs" and current.type == "identifier":
            return frozenset(namespace.names_of(node_text(current)))
        attrs = statement.child_by_field_name("attrs")
        if attrs is None:
            return frozenset()
        return frozenset(
            name
            for i in attrs.named_children
            if want is None or node_text(i) == want
            for name in namespace.names_of(node_text(i))
        )

    def _binding_names(
        self, facts: FileFacts, namespace: Namespace, binding: Node
    ) -> frozenset[str]:
        path = binding.child_by_field_name("attrpath")
        if path is None:
            return frozenset()
        key = node_text(path).split(".")[0]
        value = binding.child_by_field_name("expression")
        if (
            value is not None
            and unwrap(value).type in ATTRSET_TYPES
            and not self.namespace_of(facts, unwrap(value))
        ):
            return frozenset()  # a plain attribute set (metadata, sources): not a package
        if namespace.organization is None and key in self._org_dirs:
            target = self._called_file(facts, Arg(key, binding, value, None))
            org = self.namespace_of_file(target)
            if org is not None:
                return frozenset()  # `org = callPackage ./org { }`: the org names its packages
        return frozenset(namespace.names_of(key))

    def namespace_of_file(self, rel: str | None) -> Namespace | None:
        if rel is None:
            return None
        return next(
            (n for n in self.naming.namespaces.values() if n.facts.rel == rel and n.organization),
            None,
        )

    def _primary_refs(self) -> list[PackageRef]:
        refs: dict[str, PackageRef] = {}
        for namespace, arg in self.naming.package_bindings:
            key = arg.name
            file, line = namespace.facts.rel, arg.node.start_point.row + 1
            target = self._called_file(namespace.facts, arg)
            if target is not None:
                file, line = target, 1
            elif arg.value is None and namespace.organization is None:
                continue  # `inherit (pkgs) hello;`: a package of somewhere else
            for name in sorted(namespace.names_of(key)):
                refs.setdefault(
                    name,
                    PackageRef(
                        name=name,
                        file=file,
                        line=line,
                        key=key,
                        organization=namespace.organization,
                    ),
                )
        for rel, names in self.naming.file_names.items():
            for name in sorted(names):
                refs.setdefault(name, PackageRef(name, rel, 1, name.rsplit(".", 1)[-1], None))
        return sorted(refs.values(), key=lambda r: r.name)

    def _includes_org(self, namespace: Namespace, arg: Arg) -> bool:
        """`atproto = import ./atproto { .. };` at the top: the org names its packages."""
        target = self._called_file(namespace.facts, arg)
        if target is not None:
            return self.namespace_of_file(target) is not None
        return (
            arg.name in self._org_dirs
            and arg.value is not None
            and (unwrap(arg.value).type != "select_expression")
        )

    def _called_file(self, facts: FileFacts, arg: Arg) -> str | None:
        """The file a binding calls (`callPackage ./f.nix { }`), if it is one call."""
        value_node = arg.value
        if value_node is None and arg.inherit_from is not None:  # inherit (services) a b;
            source = unwrap(arg.inherit_from)
            definition = lookup(node_text(source), source)
            if source.type == "variable_expression" and definition is not None:
                value_node = definition.value
            else:
                value_node = source
        if value_node is None:
            return None
        value = unwrap(value_node)
        for site in facts.call_sites:
            if site.node == value:
                files = self.resolver.files
                target = site.target
                if target not in files and f"{target}/default.nix" in files:
                    target = f"{target}/default.nix"
                return target if target in files else None
        return None

    def _top_namespaces(self) -> list[Namespace]:
        """Namespaces of the whole repository's top (an empty prefix), not organizations."""
        return [
            n
            for n in self.naming.namespaces.values()
            if n.organization is None and () in n.prefixes
        ]

    def aliases(self) -> dict[str, tuple[str, ...]]:
        """Primary package name -> the other exported names that also build it.

        At the top: `alias = exported.org-key;` names one package; a binding that passes an
        organization's name (`org-all = join "org";`) joins all of its packages.
        """
        primary = [r for r in self._primary_refs() if r.organization is not None]
        names = {r.name for r in primary}
        found: dict[str, set[str]] = {}
        if not primary:
            return {}
        for namespace in self._top_namespaces():
            for arg in bindings(namespace.attrset):
                if arg.value is None or arg.name in names or self._includes_org(namespace, arg):
                    continue
                for target in self._alias_targets(arg, names, primary):
                    found.setdefault(target, set()).add(arg.name)
        return {k: tuple(sorted(v)) for k, v in found.items()}

    def _alias_targets(self, arg: Arg, names: set[str], primary: list[PackageRef]) -> set[str]:
        assert arg.value is not None
        value = unwrap(arg.value)
        if value.type == "select_expression":
            path = value.child_by_field_name("attrpath")
            parts = attrpath_names(path) if path is not None else None
            if parts and parts[-1] in names:
                return {parts[-1]}
        orgs = {
            string_value(n)
            for n in _descendants(value)
            if n.type == "string_expression" and string_is_plain(n)
        }
        if arg.name.endswith("-all"):
            orgs.add(arg.name[: -len("-all")])
        return {r.name for r in primary if r.organization in orgs}

    def package_refs(self) -> tuple[PackageRef, ...]:
        aliases = self.aliases()
        alias_names = {a for group in aliases.values() for a in group}
        refs = [
            replace(r, aliases=aliases.get(r.name, ()))
            for r in self._primary_refs()
            if r.name not in alias_names
        ]
        return tuple(refs)


def _is_argument(attrset: Node) -> bool:
    """An attribute set passed to a function (`f { .. }`, `f (self: { .. })`), not a result.

    Not for the calls whose result is that set (`makeScope newScope (self: { .. })`,
    `recurseIntoAttrs { .. }`): its attributes stay what they are named."""
    node = attrset
    while node.parent is not None and node.parent.type in (
        "parenthesized_expression",
        "function_expression",
    ):
        node = node.parent
    parent = node.parent
    if parent is None or parent.type != "apply_expression":
        return False
    head, _ = flatten_apply(parent)
    name = dotted_name(head) or ""
    return name.rsplit(".", 1)[-1] not in SET_PRESERVING


def _descendants(node: Node) -> list[Node]:
    found = []
    stack = [node]
    while stack:
        current = stack.pop()
        found.append(current)
        stack.extend(current.named_children)
    return found


__all__ = ["Attribution"]
