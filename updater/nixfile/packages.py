"""Which exported package attributes a node feeds, statically.

A NUR exports `{organization}-{key}` for each attribute `key` of `pkgs/{organization}/default.nix`
(and `key` for the attributes of `pkgs/default.nix` that are not organizations). A node feeds:
the export binding that contains it; or, inside a let binding, whatever the references to that
binding feed; or, at a file's top level, whatever the callPackage/import sites of that file feed.
"""

from __future__ import annotations

import posixpath
from dataclasses import dataclass, replace

from updater.nixfile.model import PackageRef
from updater.nixfile.parse import Node
from updater.nixfile.resolve import Resolver
from updater.nixfile.scan import FileFacts
from updater.nixfile.syntax import (
    ATTRSET_TYPES,
    Arg,
    attrpath_names,
    bindings,
    flatten_apply,
    lookup,
    node_text,
    string_is_plain,
    string_value,
    unwrap,
)


@dataclass(frozen=True)
class ExportSet:
    facts: FileFacts
    attrsets: tuple[Node, ...]  # `a // b` exports both sides
    organization: str | None  # None: names are the keys themselves

    def name_of(self, key: str) -> str:
        return f"{self.organization}-{key}" if self.organization else key

    def holds(self, attrset: Node | None) -> bool:
        return attrset is not None and any(attrset == a for a in self.attrsets)


def _exported_attrsets(facts: FileFacts) -> list[Node]:
    """The attribute sets a file evaluates to: through formals, lets, `//`, `lib.x { .. }`."""
    expression = facts.parsed.expression
    return _attrsets_of(expression, 0) if expression is not None else []


def _attrsets_of(node: Node, depth: int) -> list[Node]:
    if depth > 20:
        return []
    node = unwrap(node)
    if node.type in ("attrset_expression", "rec_attrset_expression"):
        return [node]
    if node.type in ("function_expression", "let_expression", "with_expression"):
        body = node.child_by_field_name("body")
        return _attrsets_of(body, depth + 1) if body is not None else []
    if node.type == "binary_expression":
        operator = node.child_by_field_name("operator")
        if operator is None or node_text(operator) != "//":
            return []
        found = []
        for side in ("left", "right"):
            part = node.child_by_field_name(side)
            if part is not None:
                found.extend(_attrsets_of(part, depth + 1))
        return found
    if node.type == "variable_expression":
        definition = lookup(node_text(node), node)
        if definition is not None and definition.kind == "value" and definition.value is not None:
            return _attrsets_of(definition.value, depth + 1)
        return []
    if node.type == "apply_expression":
        _, args = flatten_apply(node)
        return _attrsets_of(args[-1], depth + 1) if args else []
    return []


def _is_argument(attrset: Node) -> bool:
    """An attribute set passed to a function (`f { .. }`, `f (self: { .. })`), not a result."""
    node = attrset
    while node.parent is not None and node.parent.type in (
        "parenthesized_expression",
        "function_expression",
    ):
        node = node.parent
    parent = node.parent
    return parent is not None and parent.type == "apply_expression"


def export_sets(files: dict[str, FileFacts], pkgs_dir: str) -> dict[str, ExportSet]:
    found: dict[str, ExportSet] = {}
    prefix = pkgs_dir.rstrip("/") + "/"
    for rel, facts in files.items():
        if not rel.startswith(prefix) or posixpath.basename(rel) != "default.nix":
            continue
        inner = rel[len(prefix) :].split("/")
        if len(inner) == 1:
            org = None
        elif len(inner) == 2:
            org = inner[0]
        else:
            continue
        attrsets = _exported_attrsets(facts)
        if attrsets:
            found[rel] = ExportSet(facts, tuple(attrsets), org)
    return found


class Attribution:
    """Answers `packages_of(file, node)` from the export sets and the call graph."""

    def __init__(self, resolver: Resolver, exports: dict[str, ExportSet]) -> None:
        self.resolver = resolver
        self.exports = exports
        # aggregator attribute names that merely include an organization (pkgs/default.nix)
        self._org_dirs = {e.organization for e in exports.values() if e.organization}
        self._memo: dict[tuple[str, int, int, str | None], frozenset[str]] = {}

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
        export = self.exports.get(facts.rel)
        current = node
        while current.parent is not None:
            parent = current.parent
            if parent.type in ("inherited_attrs", "inherit", "inherit_from") and export is not None:
                names = self._inherited_export_names(export, parent, current, want)
                if names is not None:
                    return names
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
                if export is not None and export.holds(owner):
                    name = self._export_name(export, parent)
                    return frozenset({name}) if name else frozenset()
                if owner is not None and owner.type == "let_expression" and path is not None:
                    found: set[str] = set()
                    for ref in self.resolver.references_to(facts, parent, node_text(path)):
                        found |= self._packages_of(facts, ref, want, seen)
                    return frozenset(found)
                if (
                    owner is not None
                    and owner.type in ATTRSET_TYPES
                    and path is not None
                    and not _is_argument(owner)
                ):
                    want = node_text(path).split(".")[0] if want is None else want
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
        return frozenset(found)

    def _inherited_export_names(
        self, export: ExportSet, parent: Node, current: Node, want: str | None
    ) -> frozenset[str] | None:
        """`inherit a;` / `inherit (e) a b;` directly in the export set."""
        statement = parent if parent.type != "inherited_attrs" else parent.parent
        if statement is None or statement.parent is None:
            return None
        if not export.holds(statement.parent.parent):
            return None
        if parent.type == "inherited_attrs" and current.type == "identifier":
            return frozenset({export.name_of(node_text(current))})
        attrs = statement.child_by_field_name("attrs")
        if attrs is None:
            return frozenset()
        return frozenset(
            export.name_of(node_text(i))
            for i in attrs.named_children
            if want is None or node_text(i) == want
        )

    def _export_name(self, export: ExportSet, binding: Node) -> str | None:
        path = binding.child_by_field_name("attrpath")
        if path is None:
            return None
        key = node_text(path).split(".")[0]
        if export.organization is None and key in self._org_dirs:
            return None  # `org = callPackage ./org { }` in pkgs/default.nix: the org names it
        return export.name_of(key)

    def _primary_refs(self) -> list[PackageRef]:
        refs: list[PackageRef] = []
        for export in self.exports.values():
            if export.organization is None:
                continue
            for arg in (a for attrset in export.attrsets for a in bindings(attrset)):
                file, line = export.facts.rel, arg.node.start_point.row + 1
                target = self._called_file(export.facts, arg)
                if target is not None:
                    file, line = target, 1
                refs.append(
                    PackageRef(
                        name=export.name_of(arg.name),
                        file=file,
                        line=line,
                        key=arg.name,
                        organization=export.organization,
                    )
                )
        return refs

    def _includes_org(self, export: ExportSet, arg: Arg) -> bool:
        """`atproto = import ./atproto { .. };` in pkgs/default.nix: the org names its packages."""
        target = self._called_file(export.facts, arg)
        if target is not None:
            found = self.exports.get(target)
            return found is not None and found.organization is not None
        return (
            arg.name in self._org_dirs
            and arg.value is not None
            and (unwrap(arg.value).type != "select_expression")
        )

    def _called_file(self, facts: FileFacts, arg: Arg) -> str | None:
        """The file an export binding calls (`callPackage ./f.nix { }`), if it is one call."""
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

    def aliases(self) -> dict[str, tuple[str, ...]]:
        """Primary package name -> the other exported names that also build it.

        From the top aggregator: `alias = exported.org-key;` names one package; a binding that
        passes an organization's name (`org-all = join "org";`) joins all of its packages.
        """
        primary = self._primary_refs()
        names = {r.name for r in primary}
        found: dict[str, set[str]] = {}
        for export in self.exports.values():
            if export.organization is not None:
                continue
            for arg in (a for attrset in export.attrsets for a in bindings(attrset)):
                if arg.value is None or arg.name in names or self._includes_org(export, arg):
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
        refs = [replace(r, aliases=aliases.get(r.name, ())) for r in self._primary_refs()]
        for export in self.exports.values():  # a flat pkgs/default.nix: its keys are the names
            if export.organization is not None:
                continue
            alias_names = {a for group in aliases.values() for a in group}
            for arg in (a for attrset in export.attrsets for a in bindings(attrset)):
                if arg.name in alias_names or self._includes_org(export, arg):
                    continue
                target = self._called_file(export.facts, arg)
                if target is None:
                    continue
                refs.append(PackageRef(arg.name, target, 1, arg.name, None))
        return tuple(sorted(refs, key=lambda r: r.name))


def _descendants(node: Node) -> list[Node]:
    found = []
    stack = [node]
    while stack:
        current = stack.pop()
        found.append(current)
        stack.extend(current.named_children)
    return found


__all__ = ["Attribution", "ExportSet", "export_sets"]
