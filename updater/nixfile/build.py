"""From resolved sites to pins: one pin per literal, its group, users, copies and packages.

A site is an attribute that holds a pinned value (`rev` in a fetcher, `vendorHash` in a
derivation, ...). Each site resolves to leaves; each leaf becomes (or joins) the pin at its exact
byte span, so a let-bound literal used by several sites is one pin with several users, and two
equal literals at different places stay two pins.
"""

from __future__ import annotations

import posixpath
import re
from collections.abc import Iterable
from dataclasses import dataclass, field, replace

from updater import nixhash
from updater.errors import UnsafeValueError
from updater.nixfile import fetchers
from updater.nixfile.directives import AttachedDirective, applying
from updater.nixfile.fetchers import FetcherSpec
from updater.nixfile.managed import NPINS, NVFETCHER, is_nvfetcher_file, nvfetcher_entries
from updater.nixfile.model import (
    Directive,
    HashAlgo,
    HashFormat,
    Location,
    ManagedSource,
    Pin,
    PinKind,
)
from updater.nixfile.packages import Attribution
from updater.nixfile.parse import Node
from updater.nixfile.resolve import Leaf, Resolver
from updater.nixfile.resolve import system_of_condition as _system_of_condition
from updater.nixfile.scan import DerivationCall, FetcherCall, FileFacts
from updater.nixfile.syntax import (
    Arg,
    args_of,
    attrpath_names,
    content_span,
    dotted_name,
    flatten_apply,
    node_text,
    string_is_plain,
    string_value,
    unwrap,
)

_UNRESOLVED_TYPES = frozenset({"formal", "function_expression", "identifier"})


@dataclass(frozen=True)
class GroupInfo:
    id: str
    forge: str | None = None
    domain: str | None = None
    owner: str | None = None
    repo: str | None = None
    url: str | None = None


@dataclass
class _Draft:
    location: Location
    kind: PinKind
    value: str
    attr: str
    literal: bool
    group: GroupInfo
    leaf: Leaf
    fetcher: str | None = None
    system: str | None = None
    resolved: str | None = None
    algo: HashAlgo | None = None
    floating: bool = False
    users: list[Location] = field(default_factory=list)
    depends_on: list[Location] = field(default_factory=list)
    use_nodes: list[tuple[FileFacts, Node]] = field(default_factory=list)
    unknown_call: str | None = None  # found by name only, in this call (or in plain data: "")


def _location(facts: FileFacts, start: int, end: int) -> Location:
    return Location(facts.rel, facts.parsed.line_of(start), start, end)


def _node_location(facts: FileFacts, node: Node) -> Location:
    return Location(facts.rel, node.start_point.row + 1, node.start_byte, node.end_byte)


class PinBuilder:
    def __init__(self, resolver: Resolver, attribution: Attribution) -> None:
        self.resolver = resolver
        self.attribution = attribution
        self.drafts: dict[tuple[str, int, int], _Draft] = {}
        self._aliases = attribution.aliases()
        self._groups: dict[tuple[str, int, int], GroupInfo] = {}
        self._fetchers: dict[tuple[str, int, int], tuple[FileFacts, FetcherCall]] = {}
        self._derivations: dict[tuple[str, int, int], tuple[FileFacts, DerivationCall]] = {}
        for facts in resolver.files.values():
            for call in facts.fetcher_calls:
                self._fetchers[_key(facts, call.node)] = (facts, call)
            for deriv in facts.derivations:
                self._derivations[_key(facts, deriv.node)] = (facts, deriv)

    # -- groups ---------------------------------------------------------------------------

    def group_of_fetcher(self, facts: FileFacts, call: FetcherCall) -> GroupInfo:
        key = _key(facts, call.node)
        cached = self._groups.get(key)
        if cached is not None:
            return cached
        self._groups[key] = GroupInfo(f"{facts.rel}:{call.node.start_point.row + 1}")
        info = self._compute_fetcher_group(facts, call)
        self._groups[key] = info
        return info

    def _compute_fetcher_group(self, facts: FileFacts, call: FetcherCall) -> GroupInfo:
        spec = call.spec
        fallback = f"{facts.rel}:{call.node.start_point.row + 1}"
        if spec.dependency_kind is not None:
            found = self._group_of_src_arg(facts, call.args.get("src"))
            return found or self.enclosing_group(facts, call.node) or GroupInfo(fallback)
        if spec.by_url:
            url = self._arg_text(facts, call.args.get("url"))
            if url is None and "urls" in call.args:
                url = self._first_url(facts, call.args["urls"])
            if url is None:
                return GroupInfo(fallback)
            ident = fetchers.identity_of_url(url, spec.forge)
            if ident is None:
                return GroupInfo(url, url=url)
            if ident.owner and ident.repo:
                gid = f"{ident.domain}/{ident.owner}/{ident.repo}".lower()
                base = f"https://{ident.domain}/{ident.owner}/{ident.repo}"
                if spec.forge == "git" and fetchers.needs_own_url(url):
                    base = url  # `http://host:3000/o/r.git` is not `https://host/o/r`
                return GroupInfo(gid, ident.forge, ident.domain, ident.owner, ident.repo, base)
            return GroupInfo(url, ident.forge, ident.domain, url=url)
        domain = (
            self._arg_text(facts, call.args.get("domain"))
            or self._arg_text(facts, call.args.get("githubBase"))
            or spec.default_domain
        )
        owner = self._arg_text(facts, call.args.get("owner"))
        repo = self._arg_text(facts, call.args.get("repo"))
        if not (domain and owner and repo) or "${" in f"{domain}{owner}{repo}":
            return GroupInfo(fallback, spec.forge, domain, owner, repo)
        url = f"https://{domain}/{owner}/{repo}"
        return GroupInfo(f"{domain}/{owner}/{repo}".lower(), spec.forge, domain, owner, repo, url)

    def _arg_text(self, facts: FileFacts, arg: Arg | None) -> str | None:
        if arg is None:
            return None
        leaves = self.resolver.leaves_of_arg(facts, arg)
        if len(leaves) != 1 or leaves[0].node.type != "string_expression":
            return None
        text, _ = self.resolver.interpolate(leaves[0].facts, leaves[0].node)
        return leaves[0].prefix + text

    def _first_url(self, facts: FileFacts, arg: Arg) -> str | None:
        for leaf in self.resolver.leaves_of_arg(facts, arg):
            node = unwrap(leaf.node)
            if node.type == "list_expression":
                for element in node.named_children:
                    text = self.resolver.text_of(leaf.facts, element)
                    if text:
                        return text
        return None

    def _group_of_src_arg(self, facts: FileFacts, arg: Arg | None) -> GroupInfo | None:
        if arg is None:
            return None
        return self._group_of_leaves(self.resolver.leaves_of_arg(facts, arg))

    def _group_of_leaves(self, leaves: Iterable[Leaf], depth: int = 0) -> GroupInfo | None:
        for leaf in leaves:
            node = unwrap(leaf.node)
            fetcher = self._fetchers.get(_key(leaf.facts, node))
            if fetcher is not None:
                return self.group_of_fetcher(*fetcher)
            if depth > 8:
                continue
            inner: Node | None = None
            if node.type == "string_expression":  # "${src}/subdir"
                inner = next(
                    (
                        c.child_by_field_name("expression")
                        for c in node.named_children
                        if c.type == "interpolation"
                    ),
                    None,
                )
            elif node.type == "binary_expression":  # src + "/subdir"
                inner = node.child_by_field_name("left")
            elif node.type == "apply_expression":  # another derivation: its src
                deriv = self._derivations.get(_key(leaf.facts, node))
                if deriv is not None and "src" in deriv[1].args:
                    found = self._group_of_src_arg(deriv[0], deriv[1].args["src"])
                    if found is not None:
                        return found
            if inner is not None:
                found = self._group_of_leaves(self.resolver.leaves(leaf.facts, inner), depth + 1)
                if found is not None:
                    return found
        return None

    def group_of_derivation(self, facts: FileFacts, deriv: DerivationCall) -> GroupInfo | None:
        return self._group_of_src_arg(facts, deriv.args.get("src"))

    def enclosing_group(self, facts: FileFacts, node: Node) -> GroupInfo | None:
        """The source of the innermost derivation around `node`, else the file's source."""
        current = node.parent
        while current is not None:
            deriv = self._derivations.get(_key(facts, current))
            if deriv is not None:
                found = self.group_of_derivation(*deriv)
                if found is not None:
                    return found
            current = current.parent
        return self.file_group(facts)

    def file_group(self, facts: FileFacts, depth: int = 0) -> GroupInfo | None:
        groups = {
            g.id: g
            for g in (
                self.group_of_fetcher(facts, c)
                for c in facts.fetcher_calls
                if c.spec.dependency_kind is None
            )
        }
        if len(groups) == 1:
            return next(iter(groups.values()))
        if groups or depth > 4:
            return None
        found: dict[str, GroupInfo] = {}
        for caller, site in self.resolver.callers.get(facts.rel, []):
            group = self._group_of_src_arg(caller, site.args.get("src"))
            if group is None:
                group = self.file_group(caller, depth + 1)
            if group is not None:
                found[group.id] = group
        return next(iter(found.values())) if len(found) == 1 else None

    # -- sites ----------------------------------------------------------------------------

    def collect(self) -> None:
        for facts in self.resolver.files.values():
            for call in facts.fetcher_calls:
                self._fetcher_sites(facts, call)
            for deriv in facts.derivations:
                self._derivation_sites(facts, deriv.args, self.group_of_derivation(facts, deriv))
            for site in facts.call_sites:
                if site.args:
                    group = self._group_of_src_arg(facts, site.args.get("src"))
                    self._derivation_sites(facts, site.args, group, src_passthrough=True)
        for facts in self.resolver.files.values():
            self._sweep(facts)
        for facts in self.resolver.files.values():
            for binding in facts.version_bindings:
                if binding.value is not None and string_is_plain(unwrap(binding.value)):
                    group = self.enclosing_group(facts, binding.node) or _file_fallback(facts)
                    self._site(facts, binding, PinKind.VERSION, "version", group)

    def _sweep(self, facts: FileFacts) -> None:
        """Every other literal that is a pin by its name (`hash`, `sha256`, `rev`, `*Hash`) or
        a hash by its system (`x86_64-linux = "sha256-.."`): in calls the bot does not know
        (`fetchGoModules`, `requireFile`, a repository's own fetchers) or data sets that feed one.
        Each goes to a group of its own attribute set: reported, never moved with a source."""
        for binding in facts.bindings:
            if binding.type != "binding":
                continue
            path = binding.child_by_field_name("attrpath")
            value = binding.child_by_field_name("expression")
            if path is None or value is None or not string_is_plain(unwrap(value)):
                continue
            start, end = content_span(unwrap(value))
            if (facts.rel, start, end) in self.drafts:
                continue
            names = attrpath_names(path)
            if not names:
                continue
            owner = binding.parent.parent if binding.parent is not None else None
            found = sweep_kind(names[-1], string_value(unwrap(value)))
            if found is None and _holder_name(owner) == "outputHashes":
                found = (PinKind.CARGO_HASH, None)  # cargoLock.outputHashes."dep-0.1.0"
            if found is None:
                continue
            kind, system = found
            system = system or _system_of_branch(owner)
            group = self._sweep_group(facts, owner)
            arg = Arg(names[-1], binding, value, None)
            for draft in self._site(facts, arg, kind, names[-1], group):
                draft.system = draft.system or system
                draft.unknown_call = _called_name(owner)

    def _sweep_group(self, facts: FileFacts, owner: Node | None) -> GroupInfo:
        if owner is None:
            return _file_fallback(facts)
        line = owner.start_point.row + 1
        args = (
            args_of(owner) if owner.type in ("attrset_expression", "rec_attrset_expression") else {}
        )
        owner_name = self._arg_text(facts, args.get("owner"))
        repo = self._arg_text(facts, args.get("repo"))
        url = self._arg_text(facts, args.get("url"))
        return GroupInfo(f"{facts.rel}:{line}", owner=owner_name, repo=repo, url=url)

    def _fetcher_sites(self, facts: FileFacts, call: FetcherCall) -> None:
        spec = call.spec
        group = self.group_of_fetcher(facts, call)
        if spec.dependency_kind is not None:
            for attr in fetchers.FETCHER_HASH_ATTRS & call.args.keys():
                self._site(facts, call.args[attr], spec.dependency_kind, attr, group, spec=spec)
            return
        floating = False
        for attr, kind in (("rev", PinKind.REV), ("tag", PinKind.TAG), ("ref", PinKind.REV)):
            if attr in call.args and not (attr == "ref" and "rev" in call.args):
                for draft in self._site(facts, call.args[attr], kind, attr, group, spec=spec):
                    floating |= draft.floating
                    if attr == "ref":
                        draft.floating = True
                        floating = True
        for attr in sorted(fetchers.FETCHER_HASH_ATTRS & call.args.keys()):
            self._site(facts, call.args[attr], PinKind.HASH, attr, group, spec=spec)
        url = group.url
        if spec.release_asset:
            for attr in ("url", "urls"):
                if attr in call.args:
                    for draft in self._site(
                        facts, call.args[attr], PinKind.URL, attr, group, spec=spec
                    ):
                        floating |= draft.floating
                        url = draft.resolved or draft.value
        elif spec.by_url and "rev" not in call.args and "tag" not in call.args:
            floating = True  # a git fetch without a rev follows a branch
        location = _node_location(facts, call.node)
        value = url or call.called
        self.drafts[_key(facts, call.node)] = _Draft(
            location=location,
            kind=PinKind.SRC,
            value=value,
            attr=call.called,
            literal=False,
            group=group,
            leaf=Leaf(facts, call.node),
            fetcher=spec.name,
            floating=floating,
        )

    def _derivation_sites(
        self,
        facts: FileFacts,
        args: dict[str, Arg],
        group: GroupInfo | None,
        src_passthrough: bool = False,
    ) -> None:
        for attr, kind in fetchers.DERIVATION_HASH_ATTRS.items():
            if attr in args:
                node = args[attr].value or args[attr].node
                self._site(
                    facts,
                    args[attr],
                    kind,
                    attr,
                    group or self.enclosing_group(facts, node) or _file_fallback(facts),
                )
        if "version" in args:
            node = args["version"].value or args["version"].node
            self._site(
                facts,
                args["version"],
                PinKind.VERSION,
                "version",
                group or self.enclosing_group(facts, node) or _file_fallback(facts),
            )
        del src_passthrough

    def _site(
        self,
        facts: FileFacts,
        arg: Arg,
        kind: PinKind,
        attr: str,
        group: GroupInfo,
        spec: FetcherSpec | None = None,
    ) -> list[_Draft]:
        drafts: list[_Draft] = []
        site_node = arg.value if arg.value is not None else arg.node
        for leaf in self.resolver.leaves_of_arg(facts, arg):
            node = unwrap(leaf.node)
            if node.type == "list_expression" and kind is PinKind.URL:
                for element in node.named_children:
                    sub = Leaf(leaf.facts, unwrap(element), leaf.system, leaf.uses, leaf.prefix)
                    drafts.extend(self._leaf(sub, kind, attr, group, spec, facts, site_node))
                continue
            drafts.extend(self._leaf(leaf, kind, attr, group, spec, facts, site_node))
        return drafts

    def _leaf(
        self,
        leaf: Leaf,
        kind: PinKind,
        attr: str,
        group: GroupInfo,
        spec: FetcherSpec | None,
        site_facts: FileFacts,
        site_node: Node,
    ) -> list[_Draft]:
        node = unwrap(leaf.node)
        if node.type in _UNRESOLVED_TYPES or node_text(node) == "null":
            return []
        facts = leaf.facts
        depends: list[Leaf] = []
        if node.type == "string_expression":
            start, end = content_span(node)
            literal = string_is_plain(node)
            raw = facts.parsed.source[start:end].decode("utf-8", "replace")
            if literal:
                value = leaf.prefix + string_value(node)
                resolved = None
            else:
                text, depends = self.resolver.interpolate(facts, node)
                value = leaf.prefix + raw
                resolved = leaf.prefix + text
        else:
            start, end = node.start_byte, node.end_byte
            literal = False
            value = node_text(node)
            resolved = None
        key = (facts.rel, start, end)
        site_location = _node_location(site_facts, site_node)
        draft = self.drafts.get(key)
        if draft is None:
            draft = _Draft(
                location=_location(facts, start, end),
                kind=kind,
                value=value,
                attr=attr,
                literal=literal,
                group=group,
                leaf=leaf,
                fetcher=spec.name if spec is not None and spec.dependency_kind is None else None,
                system=leaf.system,
                resolved=resolved,
                algo=_algo_of(attr),
            )
            draft.floating = _is_floating(kind, resolved or value)
            self.drafts[key] = draft
        elif draft.kind is PinKind.VERSION and kind is not PinKind.VERSION:
            pass  # a literal that is both: keep the first reading
        inside = site_facts is facts and site_node.start_byte <= start and end <= site_node.end_byte
        if not inside and site_location not in draft.users:
            draft.users.append(site_location)
            draft.use_nodes.append((site_facts, site_node))
        for dependency in depends:
            dep_kind = PinKind.VERSION if _names_version(dependency) else kind
            dep_drafts = self._leaf(
                dependency,
                dep_kind,
                _binding_name(dependency) or attr,
                group,
                spec,
                site_facts,
                site_node,
            )
            for dep in dep_drafts:
                if dep.location not in draft.depends_on:
                    draft.depends_on.append(dep.location)
        return [draft]

    # -- results --------------------------------------------------------------------------

    def pins(
        self,
        directives: dict[str, tuple[AttachedDirective, ...]],
        managed: tuple[ManagedSource, ...] = (),
    ) -> tuple[Pin, ...]:
        ordered = sorted(self.drafts.values(), key=lambda d: (d.location.file, d.location.start))
        pins = [self._managed(self._finish(d, directives), managed) for d in ordered]
        return _with_copies(pins)

    def _managed(self, pin: Pin, managed: tuple[ManagedSource, ...]) -> Pin:
        """A pin in nvfetcher's output: managed by it, feeding the packages of its entry."""
        facts = self.resolver.files.get(pin.file)
        if facts is None:
            return pin
        if pin.file.endswith("npins/default.nix"):
            directory = posixpath.dirname(pin.file)
            fed = {n for m in managed if m.tool == NPINS and posixpath.dirname(m.file) == directory
                   for n in m.packages}  # fmt: skip
            return replace(pin, managed_by=NPINS, packages=tuple(sorted(fed)))
        if not is_nvfetcher_file(facts):
            return pin
        packages: set[str] = set()  # the entry's, not the file's callers': it feeds only those
        for name, binding in nvfetcher_entries(facts).items():
            if binding.start_byte <= pin.start < binding.end_byte:
                for source in managed:
                    if source.file == pin.file and source.name == name:
                        packages |= set(source.packages)
        return replace(pin, managed_by=NVFETCHER, packages=tuple(sorted(packages)))

    def _finish(self, draft: _Draft, directives: dict[str, tuple[AttachedDirective, ...]]) -> Pin:
        fmt: HashFormat | None = None
        algo = draft.algo
        if draft.kind.is_hash:
            fmt, algo = _hash_format(draft)
        facts = draft.leaf.facts
        packages = set(self.attribution.packages_of(facts, draft.leaf.node))
        for use_facts, use_node in draft.use_nodes:
            packages |= self.attribution.packages_of(use_facts, use_node)
        spans = [(draft.location.start, draft.location.end)]
        found = list(applying(directives.get(draft.location.file, ()), spans))
        for use in draft.users:
            for item in applying(directives.get(use.file, ()), [(use.start, use.end)]):
                if item not in found:
                    found.append(item)
        for item in self._inherited_directives(draft.location.file, directives, set()):
            if item not in found:
                found.append(item)
        group = draft.group
        return Pin(
            location=draft.location,
            kind=draft.kind,
            value=draft.value,
            attr=draft.attr,
            literal=draft.literal,
            group=group.id,
            format=fmt,
            algo=algo,
            fetcher=draft.fetcher,
            forge=group.forge,
            domain=group.domain,
            owner=group.owner,
            repo=group.repo,
            url=group.url,
            system=draft.system,
            packages=tuple(sorted(packages)),
            aliases=tuple(sorted({a for name in packages for a in self._aliases.get(name, ())})),
            floating=draft.floating,
            resolved=draft.resolved,
            directives=tuple(found),
            users=tuple(draft.users),
            depends_on=tuple(draft.depends_on),
            raw=facts.parsed.source[draft.location.start : draft.location.end].decode(
                "utf-8", "replace"
            ),
            unknown_call=draft.unknown_call,
        )

    def _inherited_directives(
        self,
        rel: str,
        directives: dict[str, tuple[AttachedDirective, ...]],
        seen: set[str],
    ) -> list[Directive]:
        """Directives on the callPackage sites of a file apply to the whole file."""
        if rel in seen:
            return []
        seen.add(rel)
        found: list[Directive] = []
        for caller, site in self.resolver.callers.get(rel, []):
            span = [(site.node.start_byte, site.node.end_byte)]
            for item in applying(directives.get(caller.rel, ()), span):
                if item not in found:
                    found.append(item)
            for item in self._inherited_directives(caller.rel, directives, seen):
                if item not in found:
                    found.append(item)
        return found


_REV_NAMES = {"rev": PinKind.REV, "tag": PinKind.TAG}
_HASH_NAMES = {"hash": PinKind.HASH, "sha256": PinKind.HASH, "sha512": PinKind.HASH,
               "sha1": PinKind.HASH, "md5": PinKind.HASH, "outputHash": PinKind.OUTPUT_HASH}  # fmt: skip
_SYSTEM = re.compile(r"^[a-z0-9_]+-(linux|darwin|freebsd|netbsd|openbsd|windows|cygwin|none)$")
_HASHY = re.compile(r"^(?:(?:sha1|sha256|sha512|md5)[-:])?[A-Za-z0-9+/=_-]{26,}$")


def sweep_kind(name: str, value: str) -> tuple[PinKind, str | None] | None:
    """The kind (and system) of a literal found by its attribute name, None when it is none."""
    if name in _REV_NAMES:
        return (_REV_NAMES[name], None) if value and len(value) <= 200 else None
    if not (value == "" or _HASHY.match(value)):
        return None
    if name in _HASH_NAMES:
        return _HASH_NAMES[name], None
    if name in fetchers.DERIVATION_HASH_ATTRS:
        return fetchers.DERIVATION_HASH_ATTRS[name], None
    if name.endswith(("Hash", "Sha256", "hash")):
        return PinKind.OUTPUT_HASH, None
    if _SYSTEM.match(name) and value:
        return PinKind.HASH, name
    return None


def _holder_name(owner: Node | None) -> str | None:
    """The last name of the binding an attribute set is the value of (`outputHashes`)."""
    parent = owner.parent if owner is not None else None
    if parent is None or parent.type != "binding":
        return None
    path = parent.child_by_field_name("attrpath")
    names = attrpath_names(path) if path is not None else None
    return names[-1] if names else None


def _system_of_branch(owner: Node | None) -> str | None:
    """`if stdenv.system == "x86_64-linux" then { .. }`: the system of the branch `owner` is."""
    node = owner
    while node is not None and node.parent is not None:
        parent = node.parent
        if parent.type == "if_expression":
            if parent.child_by_field_name("consequence") == node:
                condition = parent.child_by_field_name("condition")
                return _system_of_condition(condition) if condition is not None else None
            return None
        if parent.type != "parenthesized_expression":
            return None
        node = parent
    return None


def _called_name(owner: Node | None) -> str:
    """The function an attribute set is given to (`fetchGoModules`), "" for plain data."""
    node = owner
    while (
        node is not None
        and node.parent is not None
        and node.parent.type
        in (
            "parenthesized_expression",
            "function_expression",
        )
    ):
        node = node.parent
    parent = node.parent if node is not None else None
    if parent is None or parent.type != "apply_expression":
        return ""
    head, _ = flatten_apply(parent)
    return dotted_name(head) or ""


def _key(facts: FileFacts, node: Node) -> tuple[str, int, int]:
    return (facts.rel, node.start_byte, node.end_byte)


def _file_fallback(facts: FileFacts) -> GroupInfo:
    return GroupInfo(f"file:{facts.rel}")


def _algo_of(attr: str) -> HashAlgo | None:
    name = fetchers.ALGO_OF_ATTR.get(attr)
    return HashAlgo(name) if name else None


def _hash_format(draft: _Draft) -> tuple[HashFormat, HashAlgo]:
    default = draft.algo or HashAlgo.SHA256
    if not draft.literal:
        if draft.leaf.is_fake_reference:
            name = node_text(unwrap(draft.leaf.node))
            algo = HashAlgo.SHA512 if name.endswith("fakeSha512") else default
            return HashFormat.FAKE, algo
        return HashFormat.MALFORMED, default
    if draft.value == "":
        return HashFormat.FAKE, default
    fmt = nixhash.classify(draft.value, default)
    if fmt is not HashFormat.MALFORMED:
        try:
            return fmt, nixhash.parse(draft.value, default).algo
        except UnsafeValueError:
            return fmt, default
    return fmt, default


def _is_floating(kind: PinKind, value: str) -> bool:
    if kind in (PinKind.REV, PinKind.TAG):
        return fetchers.is_floating_ref(value)
    if kind is PinKind.URL:
        return fetchers.is_floating_url(value)
    return False


def _names_version(leaf: Leaf) -> bool:
    return any(node_text(use.node).split(".")[-1] == "version" for use in leaf.uses[-1:]) or (
        _binding_name(leaf) == "version"
    )


def _binding_name(leaf: Leaf) -> str | None:
    parent = unwrap(leaf.node).parent
    while parent is not None and parent.type == "parenthesized_expression":
        parent = parent.parent
    if parent is not None and parent.type == "binding":
        path = parent.child_by_field_name("attrpath")
        return node_text(path) if path is not None else None
    return None


_COPY_EXCLUDED = frozenset({HashFormat.FAKE, HashFormat.MALFORMED})


def _with_copies(pins: list[Pin]) -> tuple[Pin, ...]:
    """Equal literals of one kind for one upstream source: they must move together."""
    sets: dict[tuple[str, PinKind, str | None, str], list[Pin]] = {}
    for pin in pins:
        if not pin.literal or pin.kind is PinKind.SRC or not pin.value or pin.floating:
            continue
        if pin.format in _COPY_EXCLUDED:
            continue
        sets.setdefault((pin.group, pin.kind, pin.system, pin.value), []).append(pin)
    copies: dict[Location, tuple[Location, ...]] = {}
    for members in sets.values():
        if len(members) < 2:
            continue
        for pin in members:
            copies[pin.location] = tuple(m.location for m in members if m is not pin)
    return tuple(
        replace(pin, copies=copies[pin.location]) if pin.location in copies else pin for pin in pins
    )
