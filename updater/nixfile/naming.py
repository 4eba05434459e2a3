"""The attribute paths a user builds, found statically the way Nix would find them.

From every file no other file calls (`default.nix`, `flake.nix`, `overlay.nix`, ...), the value
a file evaluates to is walked: attribute sets name their bindings (nested sets and scopes give
nested paths: `python3Packages.foo`), and the walk goes through `let`, functions (overlays
`final: prev: { }`, `forAllSystems (system: { })`), `with`, `assert`, `//`, `if`, lists,
variables bound in `let`, `callPackage ./x { }` / `import ./x` into the called file, and any other
call whose arguments may be sets (`makeScope newScope (self: { })`, `recurseIntoAttrs`,
`optionalAttrs`, `filterAttrs`, `mapAttrs`). An attribute set given to a derivation builder
(`pname`, `version`, `src`, ...) is a package's arguments, never a namespace. Flake outputs name
what `nix build .#` takes: `packages.<system>.foo` and `legacyPackages.<system>.foo` are `foo`,
an overlay's attributes are their own names; `lib`, `modules`, `overlays`, ... are not packages.

What the walk cannot follow: calls that rename attributes (`mapAttrs'`, `concatMapAttrs`,
`listToAttrs`, ...) and directory walks. For those:
- a directory walk (`packagesFromDirectoryRecursive { directory = ./d; }`, `readDir ./d`) names a
  package file under `d` by its path: `d/<name>/package.nix`, `d/<name>/default.nix` and
  `d/<name>.nix` are `<name>`, nested directories give nested paths for
  `packagesFromDirectoryRecursive`, and the two-letter shards of RFC 140 (`by-name/aa/aamath`)
  are not part of the name;
- an attribute set in `<pkgs>/<organization>/default.nix` that no walk reached is the NUR layout
  `pkgs/{organization}/{project}.nix`: its attributes are exported as `{organization}-{key}`;
- any other package file nobody calls is named after its directory (`x/<name>/default.nix`).
"""

from __future__ import annotations

import posixpath
from collections.abc import Mapping
from dataclasses import dataclass, field

from updater.nixfile.parse import Node
from updater.nixfile.scan import DERIVATION_MARKERS, FileFacts, path_target
from updater.nixfile.syntax import (
    ATTRSET_TYPES,
    Arg,
    attrpath_names,
    binding_set,
    bindings,
    dotted_name,
    flatten_apply,
    lookup,
    node_text,
    unwrap,
)

# Top-level attributes with a meaning of their own in NURs and flakes: never packages.
_NOT_PACKAGES = frozenset(
    {
        "lib",
        "modules",
        "nixosModules",
        "nixosModule",
        "homeManagerModules",
        "homeModules",
        "hmModules",
        "darwinModules",
        "flakeModules",
        "templates",
        "devShells",
        "devShell",
        "checks",
        "formatter",
        "apps",
        "hydraJobs",
        "inputs",
        "options",
        "config",
        "imports",
        "meta",
        "description",
        "nixConfig",
        "debug",
        "systems",
    }
)
# nixpkgs' extension points: what they extend is where users find the packages.
_SCOPE_ALIASES = {"pythonPackagesExtensions": "python3Packages"}
_PACKAGE_OUTPUTS = frozenset({"packages", "legacyPackages"})
_OVERLAY_OUTPUTS = frozenset({"overlays", "overlay"})
_TRANSPARENT_HEADS = frozenset({"outputs", "perSystem", "flake"})  # flake, flake-parts
# Calls whose result renames the attributes of their arguments: names cannot be read through.
_RENAMING = frozenset(
    {
        "mapAttrs'",
        "concatMapAttrs",
        "mapAttrsToList",
        "listToAttrs",
        "nameValuePair",
        "mapAttrsRecursive",
        "genAttrs'",
    }
)
_CALLS = frozenset({"callPackage", "callPackages", "import"})
# Calls whose result is their last argument's set, attributes unchanged.
SET_PRESERVING = frozenset(
    {"makeScope", "recurseIntoAttrs", "makeExtensible", "optionalAttrs", "filterAttrs", "fix"}
)
# Calls whose result is a list or a value of another kind: never a set of packages.
_NOT_SETS = frozenset(
    {
        "filter",
        "attrValues",
        "attrNames",
        "map",
        "concatMap",
        "catAttrs",
        "elem",
        "length",
        "toString",
        "isDerivation",
        "collect",
        "flatten",
        "concatLists",
        "hasAttr",
    }
)
_WALKS = frozenset({"packagesFromDirectoryRecursive", "readDir", "listFilesRecursive"})
# A package file evaluates to a call; these calls give sets of packages, not one.
_NAMESPACE_CALLS = frozenset(
    {
        "makeScope",
        "recurseIntoAttrs",
        "makeExtensible",
        "callPackages",
        "packagesFromDirectoryRecursive",
        "optionalAttrs",
        "filterAttrs",
        "mapAttrs",
        "genAttrs",
        "fix",
        "extends",
        "foldl",
        "foldl'",
        "foldlAttrs",
        "recursiveUpdate",
        "mergeAttrsList",
        "import",
    }
)
_MAX_DEPTH = 60
# A call gives a derivation when its arguments say so (`pname`, `src`, ...) or its name does.
_BUILDER_PREFIXES = ("mk", "build", "write", "wrap", "fetch", "runCommand", "make", "override")
_BUILDERS = frozenset(
    {
        "symlinkJoin",
        "linkFarm",
        "linkFarmFromDrvs",
        "appendPatches",
        "withPackages",
        "overrideAttrs",
        "overrideDerivation",
        "overridePythonAttrs",
        "overrideScope",
        "callPackageWith",
        "nixosTest",
        "runTest",
        "concatText",
        "substituteAll",
        "replaceVars",
        "applyPatches",
        "stdenvNoCC",
    }
)
# ... but not these: NixOS module options and conditions, lib's own makers.
_NOT_BUILDERS = frozenset(
    {
        "mkOption",
        "mkEnableOption",
        "mkPackageOption",
        "mkIf",
        "mkMerge",
        "mkDefault",
        "mkForce",
        "mkOverride",
        "mkBefore",
        "mkAfter",
        "mkOrder",
        "mkRenamedOptionModule",
        "mkRemovedOptionModule",
        "mkAliasOptionModule",
        "mkChangedOptionModule",
        "mkMergedOptionModule",
        "mkOptionType",
        "mkSinkUndeclaredOptions",
        "mkFlake",
        "mkLib",
        "makeScope",
        "makeExtensible",
        "makeOverridable",
        "makeScopeWithSplicing",
        "makeScopeWithSplicing'",
        "makeBinPath",
        "makeLibraryPath",
        "makeSearchPath",
        "makeSearchPathOutput",
        "makeExtensibleWithCustomName",
        "mkShell",
        "mkShellNoCC",
    }
)

Path_ = tuple[str, ...]


def _key(facts: FileFacts, node: Node) -> tuple[str, int, int]:
    return (facts.rel, node.start_byte, node.end_byte)


@dataclass
class Namespace:
    """An attribute set whose bindings are named `prefix.key` (or `{organization}-{key}`)."""

    facts: FileFacts
    attrset: Node
    prefixes: set[Path_] = field(default_factory=set)
    organization: str | None = None

    def names_of(self, key: str) -> set[str]:
        if self.organization is not None:
            return {f"{self.organization}-{key}"}
        found = set()
        for prefix in self.prefixes:
            name = user_name((*prefix, key))
            if name is not None:
                found.add(name)
        return found


def user_name(path: Path_) -> str | None:
    """The attribute path a user builds for an output path, None for what is not a package.

    `packages.x86_64-linux.foo` -> `foo`; `overlays.default.foo` -> `foo`; `lib.x` -> None.
    An interpolated component (`packages.${system}`) is written `*`.
    """
    parts = list(path)
    while parts and parts[0] in _TRANSPARENT_HEADS:
        parts.pop(0)
    if parts and parts[0] in _PACKAGE_OUTPUTS:
        parts.pop(0)
        if parts and (parts[0] == "*" or _looks_like_system(parts[0])):
            parts.pop(0)
    elif parts and parts[0] == "overlays":
        parts = parts[2:]  # overlays.<name>.foo
    elif parts and parts[0] == "overlay":
        parts = parts[1:]
    if parts and parts[0] in _SCOPE_ALIASES:
        parts[0] = _SCOPE_ALIASES[parts[0]]
    if not parts or parts[0] in _NOT_PACKAGES or "*" in parts:
        return None
    return ".".join(parts)


def _looks_like_system(name: str) -> bool:
    return name.endswith(("-linux", "-darwin", "-freebsd", "-netbsd", "-openbsd", "-windows"))


def is_derivation_args(attrset: Node) -> bool:
    bset = binding_set(attrset)
    if bset is None:
        return False
    for item in bset.named_children:
        if item.type == "binding":
            path = item.child_by_field_name("attrpath")
            names = attrpath_names(path) if path is not None else None
            if names and names[0] in DERIVATION_MARKERS:
                return True
        elif item.type in ("inherit", "inherit_from"):
            attrs = item.child_by_field_name("attrs")
            if attrs is not None and any(
                node_text(i) in DERIVATION_MARKERS for i in attrs.named_children
            ):
                return True
    return False


def result_of(node: Node | None) -> Node | None:
    """What a file's expression evaluates to, through functions, let, with and assert."""
    for _ in range(_MAX_DEPTH):
        if node is None:
            return None
        node = unwrap(node)
        if node.type in ("function_expression", "let_expression", "with_expression"):
            node = node.child_by_field_name("body")
        elif node.type == "assert_expression":
            node = node.child_by_field_name("body")
        else:
            return node
    return None


def _called_is_function(expression: Node) -> bool:
    """A file that is still a function once callPackage gave it its arguments."""
    node = unwrap(expression)
    if node.type != "function_expression":
        return False
    for _ in range(_MAX_DEPTH):
        body = node.child_by_field_name("body")
        if body is None:
            return False
        node = unwrap(body)
        if node.type not in ("let_expression", "with_expression", "assert_expression"):
            return node.type == "function_expression"
    return False


def _last_name(node: Node) -> str:
    name = dotted_name(node)
    return name.rsplit(".", 1)[-1] if name else ""


def is_package_value(node: Node | None) -> bool:
    """A call that gives one derivation (not a set of them): `mkDerivation { }`, `symlinkJoin`,
    `writeShellScriptBin`, `(callPackage ./x { }).overrideAttrs (..)`."""
    node = result_of(node)
    if node is not None and node.type == "if_expression":  # one package per platform
        return any(
            is_package_value(node.child_by_field_name(side))
            for side in ("consequence", "alternative")
        )
    if node is None or node.type != "apply_expression":
        return False
    head, args = flatten_apply(node)
    last = _last_name(head)
    if last in _NAMESPACE_CALLS or last in _RENAMING or last in _CALLS or last in _NOT_BUILDERS:
        return False
    if not args:
        return False
    body = unwrap(args[-1])
    if body.type == "function_expression":
        inner = result_of(body)
        if inner is not None and inner.type in ATTRSET_TYPES and is_derivation_args(inner):
            return True
        if inner is not None and inner.type == "apply_expression" and is_package_value(inner):
            return True  # `callWith' rustPlatform ({ .. }: mkDerivation { .. })`
    if body.type in ATTRSET_TYPES and is_derivation_args(body):
        return True
    return last.startswith(_BUILDER_PREFIXES) or last in _BUILDERS


class Naming:
    """Every namespace attribute set and every package file's names, computed once."""

    def __init__(self, files: dict[str, FileFacts], callers: Mapping[str, object], pkgs_dir: str):
        self.files = files
        self.pkgs_dir = pkgs_dir.strip("/")
        self.namespaces: dict[tuple[str, int, int], Namespace] = {}
        self.reached: dict[str, set[Path_]] = {}  # file -> the prefixes its value is walked with
        self.file_names: dict[str, set[str]] = {}
        self.package_bindings: list[tuple[Namespace, Arg]] = []
        self._seen: set[tuple[str, int, int, Path_]] = set()
        self._walk_roots: dict[
            str, bool
        ] = {}  # directory -> nested (packagesFromDirectoryRecursive)
        for facts in files.values():
            for directory, nested in facts.dir_walks:
                self._walk_roots[directory] = self._walk_roots.get(directory, False) or nested
        # `nix-build <repo> -A x` and `nix build <repo>#x` start here, whoever else calls them
        entries = {"default.nix", "flake.nix"} & files.keys()
        roots = sorted(rel for rel in files if rel not in callers or rel in entries)
        self._roots = set(roots)
        for rel in roots:
            if self._organization_of(rel) is not None:
                continue  # pkgs/{organization}/default.nix: named by the organization
            facts = files[rel]
            expression = facts.parsed.expression
            if expression is not None:
                self._reach(facts, expression, ())
        self._organizations(callers)
        self._unreached_package_files(callers)

    # -- the walk -------------------------------------------------------------------------

    def _reach(self, facts: FileFacts, node: Node, prefix: Path_) -> None:
        self.reached.setdefault(facts.rel, set()).add(prefix)
        self._walk(facts, node, prefix, 0)

    def _walk(self, facts: FileFacts, node: Node, prefix: Path_, depth: int) -> None:
        if depth > _MAX_DEPTH:
            return
        node = unwrap(node)
        key = (*_key(facts, node), prefix)
        if key in self._seen:
            return
        self._seen.add(key)
        if node.type in ATTRSET_TYPES:
            self._attrset(facts, node, prefix, depth)
        elif node.type == "apply_expression":
            self._apply(facts, node, prefix, depth)
        else:
            for part in _passes_to(node):
                self._walk(facts, part, prefix, depth + 1)

    def _apply(self, facts: FileFacts, node: Node, prefix: Path_, depth: int) -> None:
        head, args = flatten_apply(node)
        name = dotted_name(head) or ""
        last = name.rsplit(".", 1)[-1]
        if last in _CALLS and args:
            target = self._file_of(path_target(facts.rel, args[0]))
            if target is not None:
                called = self.files[target]
                expression = called.parsed.expression
                if expression is not None:
                    self._reach(called, expression, prefix)
            return
        if last in _RENAMING or last in _NOT_SETS or is_package_value(node):
            return
        function = _function_of(head)
        if function is not None:  # `rimePackagesFor librime`, `self.makeSet x`: what it gives
            self._walk(facts, function, prefix, depth + 1)
        for arg in args:
            self._walk(facts, arg, prefix, depth + 1)

    def _attrset(self, facts: FileFacts, node: Node, prefix: Path_, depth: int) -> None:
        if is_derivation_args(node):
            return
        key = _key(facts, node)
        namespace = self.namespaces.get(key)
        if namespace is None:
            namespace = self.namespaces[key] = Namespace(facts, node)
        namespace.prefixes.add(prefix)
        bset = binding_set(node)
        if bset is None:
            return
        for item in bset.named_children:
            if item.type == "inherit_from":
                for arg in bindings_of_inherit(item):
                    self.package_bindings.append((namespace, arg))
                    self._inherited(facts, arg, (*prefix, arg.name), depth)
        for item in bset.named_children:
            if item.type == "binding":
                self._binding(facts, namespace, item, prefix, depth)

    def _binding(
        self, facts: FileFacts, namespace: Namespace, item: Node, prefix: Path_, depth: int
    ) -> None:
        """`name = value;` in a namespace: a package, or a set walked as `prefix.name`."""
        path = item.child_by_field_name("attrpath")
        value = item.child_by_field_name("expression")
        if path is None or value is None:
            return
        parts = tuple("*" if p.type == "interpolation" else _static(p) for p in path.named_children)
        full = (*prefix, *parts)
        if len(parts) == 1 and self._is_package_binding(facts, value):
            self.package_bindings.append((namespace, Arg(parts[0], item, value, None)))
        named = user_name(full) is not None
        if not named and not _may_hold_packages(full):
            return
        if named and unwrap(value).type == "function_expression":
            return  # a function at a name (a builder, a lib function): not a set
        self._walk(facts, value, full, depth + 1)

    def _gives_package(self, facts: FileFacts, value: Node | None, depth: int = 0) -> bool:
        """A file's value is one package: a derivation, or a call of a file that gives one
        (`(callPackage ./generic.nix { .. })`); not a function once called (a fetcher's
        `{ fetchurl }: { url, hash }: ..`)."""
        if value is None or depth > 8 or _called_is_function(value):
            return False
        if is_package_value(value):
            return True
        node = result_of(value)
        if node is None or node.type != "apply_expression":
            return False
        head, args = flatten_apply(node)
        if _last_name(head) not in _CALLS or not args:
            return False
        target = self._file_of(path_target(facts.rel, args[0]))
        called = self.files.get(target) if target is not None else None
        return called is not None and self._gives_package(
            called, called.parsed.expression, depth + 1
        )

    def _inherited(self, facts: FileFacts, arg: Arg, path: Path_, depth: int) -> None:
        """`inherit (scope) emacsPackages;`: walk `scope.emacsPackages` as `emacsPackages`."""
        if arg.inherit_from is None or depth > _MAX_DEPTH:
            return
        for where, attrset in _set_values(facts, self.files, arg.inherit_from):
            for inner in bindings(attrset):
                if inner.name == arg.name and inner.value is not None:
                    self._walk(where, inner.value, path, depth + 1)

    def _is_package_binding(self, facts: FileFacts, value: Node) -> bool:
        """`foo = mkDerivation { }`, or a call of a file that gives one package."""
        if unwrap(value).type == "function_expression":
            return False  # `mkFoo = args: mkDerivation { .. }`: a function, not a package
        if is_package_value(value):
            return True
        node = unwrap(value)
        if node.type != "apply_expression":
            return False
        head, args = flatten_apply(node)
        if _last_name(head) not in _CALLS or not args:
            return False
        target = self._file_of(path_target(facts.rel, args[0]))
        if target is None:
            return False
        expression = self.files[target].parsed.expression
        result = result_of(expression)
        return (
            result is not None
            and expression is not None
            and not _called_is_function(expression)
            and not _set_values(self.files[target])
            and result.type != "variable_expression"
        )

    def _file_of(self, target: str | None) -> str | None:
        if target is None:
            return None
        if target in self.files:
            return target
        if f"{target}/default.nix" in self.files:
            return f"{target}/default.nix"
        return None

    # -- what the walk cannot see ---------------------------------------------------------

    def _organizations(self, callers: Mapping[str, object]) -> None:
        for rel, facts in self.files.items():
            organization = self._organization_of(rel)
            if organization is None or rel in self.reached:
                continue
            for where, node in _set_values(facts, self.files):
                key = _key(where, node)
                if key not in self.namespaces:
                    self.namespaces[key] = Namespace(where, node, organization=organization)
                    for arg in bindings(node):
                        if "." not in arg.name and self._is_org_package(where, arg):
                            self.package_bindings.append((self.namespaces[key], arg))

    def _is_org_package(self, facts: FileFacts, arg: Arg) -> bool:
        """An organization's attribute that is a package: not metadata (a plain set), not a
        join of the others (`all`, `x-all`: symlinkJoin, buildEnv)."""
        if arg.value is None:
            return arg.inherit_from is not None  # `inherit craneLib;` passes an argument on
        value = unwrap(arg.value)
        if value.type in ATTRSET_TYPES or value.type == "function_expression":
            return False
        if arg.name == "all" or arg.name.endswith("-all"):
            return False
        if value.type == "variable_expression":  # `_meta = organizationMeta;`: what it is bound to
            definition = lookup(node_text(value), value)
            if definition is None or definition.kind != "value" or definition.value is None:
                return False
            bound = unwrap(definition.value)
            if bound.type in ATTRSET_TYPES or bound.type == "function_expression":
                return False
        return self._is_package_binding(facts, value) or value.type in (
            "select_expression",
            "variable_expression",
        )

    def _organization_of(self, rel: str) -> str | None:
        prefix = self.pkgs_dir + "/"
        inner = rel[len(prefix) :].split("/") if rel.startswith(prefix) else []
        if len(inner) != 2 or inner[1] != "default.nix":
            return None
        facts = self.files[rel]
        if is_package_value(facts.parsed.expression) or not _set_values(facts):
            return None
        return inner[0]

    def _unreached_package_files(self, callers: Mapping[str, object]) -> None:
        for rel, facts in self.files.items():
            if rel in callers:
                continue
            if not self._gives_package(facts, facts.parsed.expression):
                continue
            name = self._walked_name(rel) or _directory_name(rel)
            if name is not None:
                self.file_names.setdefault(rel, set()).add(name)

    def _walked_name(self, rel: str) -> str | None:
        best: str | None = None
        for directory, nested in self._walk_roots.items():
            base = directory.rstrip("/") + "/" if directory not in ("", ".") else ""
            if not rel.startswith(base) or (best is not None and len(directory) < len(best)):
                continue
            parts = rel[len(base) :].split("/")
            leaf = parts.pop()
            if leaf not in ("package.nix", "default.nix"):
                parts.append(leaf.removesuffix(".nix"))
            parts = _without_shards(parts)
            if not parts or (not nested and len(parts) != 1):
                continue
            best = ".".join(parts)
        return best


def _function_of(head: Node) -> Node | None:
    """The function a call's head names, when it is defined in this file: a let-bound
    `f`, or `self.f` / `final.f` naming a binding of an enclosing set (a scope's own)."""
    head = unwrap(head)
    if head.type == "variable_expression":
        definition = lookup(node_text(head), head)
        if definition is not None and definition.kind == "value" and definition.value is not None:
            value = unwrap(definition.value)
            return value if value.type == "function_expression" else None
        return None
    if head.type != "select_expression":
        return None
    base = head.child_by_field_name("expression")
    path = head.child_by_field_name("attrpath")
    names = attrpath_names(path) if path is not None else None
    if base is None or unwrap(base).type != "variable_expression" or not names or len(names) != 1:
        return None
    node = head.parent
    while node is not None:
        if node.type in ATTRSET_TYPES or node.type == "let_expression":
            for arg in bindings(node):
                if arg.name == names[0] and arg.value is not None:
                    value = unwrap(arg.value)
                    return value if value.type == "function_expression" else None
        node = node.parent
    return None


_BODY_TYPES = frozenset(
    {"function_expression", "let_expression", "with_expression", "assert_expression"}
)


def _passes_to(node: Node) -> list[Node]:
    """The expressions whose value `node`'s value is made of (not calls, not sets)."""
    if node.type in _BODY_TYPES:
        parts = [node.child_by_field_name("body")]
    elif node.type == "binary_expression":
        operator = node.child_by_field_name("operator")
        if operator is None or node_text(operator) != "//":
            return []
        parts = [node.child_by_field_name("left"), node.child_by_field_name("right")]
    elif node.type == "if_expression":
        parts = [node.child_by_field_name("consequence"), node.child_by_field_name("alternative")]
    elif node.type == "list_expression":
        parts = list(node.named_children)
    elif node.type == "variable_expression":
        definition = lookup(node_text(node), node)
        ok = definition is not None and definition.kind == "value"
        parts = [definition.value] if ok and definition is not None else []
    else:
        return []
    return [p for p in parts if p is not None]


def _static(part: Node) -> str:
    names = attrpath_names_of(part)
    return names if names is not None else "*"


def attrpath_names_of(part: Node) -> str | None:
    if part.type == "identifier":
        return node_text(part)
    if part.type == "string_expression" and all(
        c.type == "string_fragment" for c in part.named_children
    ):
        return "".join(node_text(c) for c in part.named_children)
    return None


def _may_hold_packages(path: Path_) -> bool:
    """`packages`, `packages.${system}`, `overlays`, `outputs`: walked, though not names."""
    parts = list(path)
    while parts and parts[0] in _TRANSPARENT_HEADS:
        parts.pop(0)
    if not parts:
        return True
    if parts[0] in _PACKAGE_OUTPUTS:
        return len(parts) <= 2
    return parts[0] in _OVERLAY_OUTPUTS and len(parts) <= 2


def _without_shards(parts: list[str]) -> list[str]:
    """RFC 140's `by-name/aa/aamath`: a directory of two letters that start its child's name."""
    out = []
    for i, part in enumerate(parts):
        following = parts[i + 1] if i + 1 < len(parts) else None
        if part == "by-name":
            continue
        if following is not None and len(part) <= 2 and following.lower().startswith(part.lower()):
            continue
        out.append(part)
    return out


def _directory_name(rel: str) -> str | None:
    directory, leaf = posixpath.split(rel)
    if leaf in ("default.nix", "package.nix") and directory:
        return posixpath.basename(directory)
    return None


def bindings_of_inherit(item: Node) -> list[Arg]:
    """`inherit (e) a b;` as arguments a and b."""
    source = item.child_by_field_name("expression")
    attrs = item.child_by_field_name("attrs")
    if attrs is None:
        return []
    return [
        Arg(node_text(i), i, None, source) for i in attrs.named_children if i.type == "identifier"
    ]


def _set_values(
    facts: FileFacts, files: Mapping[str, FileFacts] | None = None, start: Node | None = None
) -> list[tuple[FileFacts, Node]]:
    """The attribute sets a file (or its expression `start`) evaluates to: through formals,
    lets, `//`, scope calls, and (given the files) into the file it imports or calls."""
    found: list[tuple[FileFacts, Node]] = []
    first = start if start is not None else facts.parsed.expression
    stack: list[tuple[FileFacts, Node | None]] = [(facts, first)]
    steps = 0
    while stack and steps < _MAX_DEPTH:
        steps += 1
        where, item = stack.pop()
        node = result_of(item)
        if node is None:
            continue
        if node.type in ATTRSET_TYPES:
            if not is_derivation_args(node):
                found.append((where, node))
        elif node.type == "apply_expression" and not is_package_value(node):
            head, args = flatten_apply(node)
            if _last_name(head) in _CALLS and args:
                target = _file_in(files, path_target(where.rel, args[0])) if files else None
                if target is not None:
                    stack.append((target, target.parsed.expression))
            else:
                stack.extend((where, a) for a in args[-1:])
        elif node.type in ("binary_expression", "variable_expression"):
            stack.extend((where, part) for part in _passes_to(node))
    return found


def _file_in(files: Mapping[str, FileFacts], target: str | None) -> FileFacts | None:
    if target is None:
        return None
    return files.get(target) or files.get(f"{target}/default.nix")


__all__ = ["Namespace", "Naming", "is_derivation_args", "is_package_value", "user_name"]
