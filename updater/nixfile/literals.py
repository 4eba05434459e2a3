"""Every string literal of a file that reads as a Nix hash, whatever attribute holds it; and
entries added to or removed from an attribute set of hashes (cargoLock.outputHashes).

The scan knows hashes by the attributes and fetchers that hold them. A fixed-output derivation
can take its hash from anywhere (`fetchGoModules { hash = ...; }`, an attribute set of
outputHashes, a hand-written helper's argument); the engine finds which literal a derivation's
`outputHash` comes from by evaluation, and needs every candidate literal as an editable pin.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from tree_sitter import Node

from updater import nixhash
from updater.errors import NixFileError, UnsafeValueError
from updater.nixfile.model import HashAlgo, Location, Pin, PinKind
from updater.nixfile.parse import iter_error_nodes, parse_source
from updater.nixfile.syntax import content_span, string_is_plain, string_value
from updater.nixfile.validate import validate_value

_ALGOS = (HashAlgo.SHA256, HashAlgo.SHA512)


def _algo_of(value: str) -> HashAlgo | None:
    for algo in _ALGOS:
        fmt = nixhash.notation(value, algo)
        if fmt is not None and fmt in nixhash.NOTATIONS | {nixhash.HashFormat.FAKE}:
            return nixhash.parse(value, algo).algo
    return None


def _attr_of(node: Node) -> str:
    """The name bound to the literal (`hash = "..."` -> hash), or "" when it is not bound."""
    parent = node.parent
    while parent is not None and parent.type in ("parenthesized_expression", "binary_expression"):
        parent = parent.parent
    if parent is not None and parent.type == "binding":
        path = parent.child_by_field_name("attrpath")
        if path is not None:
            return path.text.decode("utf-8", "replace") if path.text else ""
    return ""


def hash_literals(root: Path, rel: str) -> tuple[Pin, ...]:
    """The plain string literals of `root/rel` whose value is a hash (any notation)."""
    parsed = parse_source(rel, (root / rel).read_bytes())
    found: list[Pin] = []
    todo = [parsed.root]
    while todo:
        node = todo.pop()
        todo.extend(node.named_children)
        if node.type != "string_expression" or not string_is_plain(node):
            continue
        value = string_value(node)
        if len(value) < 32 or len(value) > 140:
            continue
        algo = _algo_of(value)
        if algo is None:
            continue
        start, end = content_span(node)
        raw = parsed.source[start:end].decode()
        if raw != value:  # escapes: not a literal the editor can round-trip
            continue
        found.append(
            Pin(
                location=Location(rel, parsed.line_of(start), start, end),
                kind=PinKind.OUTPUT_HASH,
                value=value,
                attr=_attr_of(node) or "hash",
                literal=True,
                group="",
                format=nixhash.classify(value, algo),
                algo=algo,
                raw=raw,
            )
        )
    return tuple(sorted(found, key=lambda p: p.start))


_KEY = re.compile(r"[A-Za-z0-9_][A-Za-z0-9_.+-]{0,120}")


@dataclass(frozen=True)
class BindingEdit:
    """One entry added to or removed from an attribute set, as written (file coordinates of
    the file before this edit)."""

    file: str
    start: int
    removed: str
    inserted: str
    # the inserted hash literal's content span in the new file (insertions only)
    literal: tuple[int, int] | None = None
    line: int = 0  # the literal's line in the new file

    @property
    def delta(self) -> int:
        return len(self.inserted) - len(self.removed)

    @property
    def lines(self) -> int:
        return self.inserted.count("\n") - self.removed.count("\n")


def _binding_name(node: Node) -> str | None:
    path = node.child_by_field_name("attrpath")
    if path is None or path.text is None:
        return None
    text = path.text.decode("utf-8", "replace")
    return text[1:-1] if len(text) >= 2 and text[0] == text[-1] == '"' else text


def _attrset_named(root: Node, name: str) -> Node:
    found = []
    todo = [root]
    while todo:
        node = todo.pop()
        todo.extend(node.named_children)
        if node.type != "binding":
            continue
        bound = _binding_name(node) or ""
        value = node.child_by_field_name("expression")
        if (bound == name or bound.endswith("." + name)) and value is not None:
            if value.type == "attrset_expression":
                found.append(value)
    if len(found) != 1:
        raise NixFileError(f"{len(found)} attribute sets named {name} here, not one")
    return found[0]


def _indent(source: bytes, offset: int) -> str:
    line_start = source.rfind(b"\n", 0, offset) + 1
    text = source[line_start:offset].decode()
    return text[: len(text) - len(text.lstrip())]


def change_binding(root: Path, rel: str, set_name: str, key: str, value: str | None) -> BindingEdit:
    """Add `"key" = "value";` to the attribute set bound to `set_name` in `root/rel`, or remove
    the entry `key` (value None). Written only when the file still parses as well as before."""
    if not _KEY.fullmatch(key):
        raise UnsafeValueError(f"{rel}: {key[:80]!r} is not an attribute name to write")
    if value is not None:
        value = validate_value(PinKind.OUTPUT_HASH, value, rel)
    path = root / rel
    parsed = parse_source(rel, path.read_bytes())
    src = parsed.source
    attrset = _attrset_named(parsed.root, set_name)
    entries = [n for n in attrset.named_children if n.type == "binding_set"]
    bindings = [b for s in entries for b in s.named_children if b.type == "binding"]
    if value is None:
        hit = [b for b in bindings if _binding_name(b) == key]
        if len(hit) != 1:
            raise NixFileError(f"{rel}: no entry {key} in {set_name} to remove")
        start, end = hit[0].start_byte, hit[0].end_byte
        line_start = src.rfind(b"\n", 0, start) + 1
        line_end = src.find(b"\n", end)
        if not src[line_start:start].strip() and (line_end == -1 or not src[end:line_end].strip()):
            start, end = line_start, (len(src) if line_end == -1 else line_end + 1)
        edit = BindingEdit(rel, start, src[start:end].decode(), "")
    else:
        entry = f'"{key}" = "{value}";'
        if bindings:
            last = bindings[-1]
            at = last.end_byte
            text = "\n" + _indent(src, last.start_byte) + entry
            offset = at + len(text) - len(entry) + len(f'"{key}" = "')
            edit = BindingEdit(rel, at, "", text)
        else:
            outer = _indent(src, attrset.start_byte)  # the indentation of `name = { };`
            text = "{\n" + outer + "  " + entry + "\n" + outer + "}"
            at = attrset.start_byte
            offset = at + text.index(entry) + len(f'"{key}" = "')
            edit = BindingEdit(rel, at, src[at : attrset.end_byte].decode(), text)
        new_line = parsed.line_of(edit.start) + text[: text.index(entry)].count("\n")
        edit = BindingEdit(
            rel, edit.start, edit.removed, edit.inserted, (offset, offset + len(value)), new_line
        )
    new = src[: edit.start] + edit.inserted.encode() + src[edit.start + len(edit.removed) :]
    before = sum(1 for _ in iter_error_nodes(parsed.root))
    after = sum(1 for _ in iter_error_nodes(parse_source(rel, new).root))
    if after > before:
        raise UnsafeValueError(f"{rel}: changing {set_name} would break the file's syntax")
    path.write_bytes(new)
    return edit


def _extra_args(arg: Node) -> tuple[str, ...] | None:
    """`{ extraArgs = [ "..." ]; }` -> the strings; () without extraArgs; None when not plain."""
    if arg.type != "attrset_expression":
        return None
    bindings = [
        b
        for s in arg.named_children
        if s.type == "binding_set"
        for b in s.named_children
        if b.type == "binding" and _binding_name(b) == "extraArgs"
    ]
    if not bindings:
        return ()
    value = bindings[0].child_by_field_name("expression")
    if value is None or value.type != "list_expression":
        return None
    items = value.named_children
    if not all(i.type == "string_expression" and string_is_plain(i) for i in items):
        return None
    return tuple(string_value(i) for i in items)


def _nodes_of(root: Path, rel: str, needle: bytes) -> Iterator[Node]:
    """Every node of the file, when it mentions `needle` at all (none when it does not, or
    cannot be read): the cheap test first, then the parse."""
    try:
        source = (root / rel).read_bytes()
    except OSError:
        return
    if needle not in source:
        return
    todo = [parse_source(rel, source).root]
    while todo:
        node = todo.pop()
        todo.extend(node.named_children)
        yield node


def nix_update_args(root: Path, rel: str) -> tuple[str, ...] | None:
    """The extraArgs of the file's `nix-update-script { ... }` call, when it has one and they
    are all plain strings; () for `nix-update-script { }`; None for no such call."""
    for node in _nodes_of(root, rel, b"nix-update-script"):
        fn, arg = node.child_by_field_name("function"), node.child_by_field_name("argument")
        if node.type != "apply_expression" or fn is None or arg is None or not fn.text:
            continue
        if fn.text.decode().rsplit(".", 1)[-1] == "nix-update-script":
            return _extra_args(arg)
    return None


def _is_nix_update_script(value: Node) -> bool:
    """`nix-update-script { ... }` (or `pkgs.nix-update-script`, `(nix-update-script { })`)."""
    while value.type == "parenthesized_expression" and value.named_children:
        value = value.named_children[0]
    fn = value.child_by_field_name("function") if value.type == "apply_expression" else value
    text = fn.text.decode("utf-8", "replace") if fn is not None and fn.text else ""
    return text.rsplit(".", 1)[-1] == "nix-update-script"


def has_own_update_script(root: Path, rel: str) -> bool:
    """Whether the file binds an `updateScript` (`passthru.updateScript = ...`, or inside
    `passthru = { ... }`) other than nix-update-script, whose arguments the bot reads as policy
    (nix_update_args). Static, so cheap for every file of a scan; evaluation is the proof."""
    for node in _nodes_of(root, rel, b"updateScript"):
        if node.type != "binding":
            continue
        name = _binding_name(node) or ""
        value = node.child_by_field_name("expression")
        if name.rsplit(".", 1)[-1] == "updateScript" and value is not None:
            if not _is_nix_update_script(value):
                return True
    return False


# Lock files a package may keep a copy of beside its .nix file (the upstream's, or one made for
# an upstream that has none); the bot refreshes the copy from the new source.
LOCK_NAMES = frozenset(
    {
        "Cargo.lock",
        "package-lock.json",
        "npm-shrinkwrap.json",
        "yarn.lock",
        "pnpm-lock.yaml",
        "bun.lock",
        "deno.lock",
        "go.sum",
        "Gemfile.lock",
        "poetry.lock",
        "uv.lock",
        "composer.lock",
        "pubspec.lock",
        "mix.lock",
    }
)


def is_lock_name(name: str) -> bool:
    """A lock file's name: a known one, or one built like them (`Cargo-made.lock`,
    `foo-lock.json`); never flake.lock, which is the repository's own."""
    if name == "flake.lock":
        return False
    return name in LOCK_NAMES or name.endswith((".lock", "-lock.json", "-lock.yaml"))


def lock_copies(root: Path, rel: str) -> tuple[str, ...]:
    """Repository paths of the lock files the file names by a path literal (`./Cargo.lock`,
    `"${./package-lock.json}"`), that exist inside the repository."""
    base = (root / rel).parent
    top = root.resolve()
    found: dict[str, None] = {}
    for node in _nodes_of(root, rel, b"./"):
        if node.type != "path_expression" or not node.text:
            continue
        text = node.text.decode("utf-8", "replace")
        if "${" in text or not text.startswith(("./", "../")):
            continue
        target = (base / text).resolve()
        if not is_lock_name(target.name) or not target.is_file():
            continue
        try:
            found.setdefault(target.relative_to(top).as_posix(), None)
        except ValueError:
            continue  # outside the repository
    return tuple(found)
