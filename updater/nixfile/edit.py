"""The editor: replace pins by exact byte span, all files or none.

Each edit names the span of a pin (the content of a string literal, or a whole expression such
as `lib.fakeHash`), the text it expects there and the new value. Before anything is written:
every expected text is checked (EditConflictError), every new value is validated by kind
(UnsafeValueError), hashes are converted to the notation the old literal used, and each edited
file is re-parsed to prove the edit changed nothing but the pin. Then all files are written to
temporary files and renamed into place; if a rename fails, the files already replaced are put
back, so either every file changes or none does. Bytes outside the spans are never touched, so
formatting, comments and CRLF line endings stay as they were.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from updater import nixhash
from updater.errors import EditConflictError, NixFileError, UnsafeValueError
from updater.nixfile.model import HashAlgo, HashFormat, Pin, PinKind
from updater.nixfile.parse import Node, iter_error_nodes, new_parser, parse_tree
from updater.nixfile.syntax import content_span, string_is_plain, string_value, unwrap
from updater.nixfile.validate import validate_value

HashFormatPolicy = Literal["keep", "sri"]


@dataclass(frozen=True)
class Edit:
    """Replace bytes [start, end) of `file` (repo-relative), which must read `expected_old`."""

    file: str
    start: int
    end: int
    expected_old: str
    new_value: str
    kind: PinKind
    algo: HashAlgo | None = None  # for bare (non-SRI) hashes under `sha512` and the like


def edit_for(pin: Pin, new_value: str) -> Edit:
    """The edit that sets `pin` (a literal, or an expression such as `lib.fakeHash`)."""
    if pin.kind is PinKind.SRC:
        raise NixFileError(f"{pin.location}: a src pin is changed through its rev/hash pins")
    return Edit(pin.file, pin.start, pin.end, pin.raw, new_value, pin.kind, pin.algo)


def apply_edits(
    repo: Path, edits: Sequence[Edit], *, hash_format: HashFormatPolicy = "keep"
) -> None:
    """Apply every edit, or raise and leave every file as it was."""
    planned = plan_edits(repo, edits, hash_format=hash_format)
    _write_all(repo, planned)


@dataclass(frozen=True)
class PlannedFile:
    """One file's contents before and after the edits (checked, not yet written)."""

    rel: str
    old: bytes
    new: bytes


def plan_edits(
    repo: Path, edits: Sequence[Edit], *, hash_format: HashFormatPolicy = "keep"
) -> list[PlannedFile]:
    """The new contents of every edited file, checked; nothing is written."""
    by_file: dict[str, list[Edit]] = {}
    for edit in edits:
        by_file.setdefault(edit.file, []).append(edit)
    planned = []
    parser = new_parser()
    for rel, file_edits in by_file.items():
        path = _inside(repo, rel)
        try:
            old = path.read_bytes()
        except OSError as exc:
            raise NixFileError(f"{rel}: cannot read: {exc.strerror or exc}") from None
        new = _edit_bytes(rel, old, sorted(file_edits, key=lambda e: e.start), hash_format, parser)
        planned.append(PlannedFile(rel, old, new))
    return planned


def _inside(repo: Path, rel: str) -> Path:
    path = (repo / rel).resolve()
    if not path.is_relative_to(repo.resolve()) or not path.name.endswith(".nix"):
        raise NixFileError(f"{rel}: not a .nix file inside the repository")
    return path


def _line(source: bytes, offset: int) -> int:
    return source.count(b"\n", 0, offset) + 1


def _edit_bytes(
    rel: str,
    source: bytes,
    edits: list[Edit],
    hash_format: HashFormatPolicy,
    parser: object,
) -> bytes:
    import tree_sitter

    assert isinstance(parser, tree_sitter.Parser)
    tree, _ = parse_tree(source, parser)  # pipe operators read as `//`, offsets kept
    out: list[bytes] = []
    cursor = 0
    replacements: list[tuple[int, int, str, bool]] = []  # new start, end, value, literal
    for edit in edits:
        where = f"{rel}:{_line(source, edit.start)}"
        if not 0 <= edit.start <= edit.end <= len(source):
            raise EditConflictError(f"{where}: span {edit.start}-{edit.end} is outside the file")
        if edit.start < cursor:
            raise EditConflictError(f"{where}: edits overlap")
        actual = source[edit.start : edit.end].decode("utf-8", "replace")
        if actual != edit.expected_old:
            raise EditConflictError(
                f"{where}: expected {edit.expected_old[:80]!r} at the pin, found {actual[:80]!r}"
                " (the file changed since it was scanned)"
            )
        node, literal = _target(tree.root_node, edit.start, edit.end)
        if node is None:
            raise NixFileError(f"{where}: the span is not a string literal or an expression")
        value = _new_text(edit, node, literal, hash_format, where)
        out.append(source[cursor : edit.start])
        new_start = sum(len(b) for b in out)
        encoded = value.encode() if literal else b'"' + value.encode() + b'"'
        out.append(encoded)
        replacements.append((new_start, new_start + len(encoded), value, literal))
        cursor = edit.end
    out.append(source[cursor:])
    new = b"".join(out)
    _check_result(rel, source, new, replacements, parser)
    return new


def _target(root: Node, start: int, end: int) -> tuple[Node | None, bool]:
    """The string whose content is exactly [start, end), or the expression spanning it."""
    node: Node | None = root.descendant_for_byte_range(start, end)
    while node is not None and node.start_byte >= start - 1 and node.end_byte <= end + 1:
        if node.type == "string_expression" and content_span(node) == (start, end):
            return node, True
        if (
            (node.start_byte, node.end_byte) == (start, end)
            and node.type.endswith("_expression")
            and node.type not in ("string_expression", "indented_string_expression")
        ):
            return node, False
        node = node.parent
    return None, False


def _new_text(
    edit: Edit, node: Node, literal: bool, hash_format: HashFormatPolicy, where: str
) -> str:
    kind = PinKind(edit.kind)
    value = edit.new_value
    if kind.is_hash:
        algo = edit.algo
        validate_value(kind, value, where, None)
        new_hash = nixhash.parse(value, algo or HashAlgo.SHA256)
        fmt = _hash_target_format(edit, node, literal, hash_format)
        if fmt in (HashFormat.BASE32, HashFormat.BASE16, HashFormat.BASE64):
            old_algo = algo or _old_algo(edit.expected_old) or HashAlgo.SHA256
            if new_hash.algo is not old_algo:
                raise UnsafeValueError(
                    f"{where}: a {new_hash.algo} hash cannot replace a bare {old_algo} hash"
                )
        value = new_hash.format(fmt)
        return validate_value(kind, value, where, None)
    return validate_value(kind, value, where, edit.algo)


def _old_algo(old: str) -> HashAlgo | None:
    try:
        return nixhash.parse(old).algo
    except UnsafeValueError:
        return None


def _is_prefixed_piece(node: Node) -> bool:
    """`"sha256:" + "<this>"`: the piece must stay bare."""
    parent = node.parent
    while parent is not None and parent.type == "parenthesized_expression":
        parent = parent.parent
    if parent is None or parent.type != "binary_expression":
        return False
    left = parent.child_by_field_name("left")
    if left is None:
        return False
    left = unwrap(left)
    return string_is_plain(left) and string_value(left).endswith(":")


def _hash_target_format(
    edit: Edit, node: Node, literal: bool, hash_format: HashFormatPolicy
) -> HashFormat:
    old_fmt = nixhash.notation(edit.expected_old, edit.algo or HashAlgo.SHA256) if literal else None
    if literal and _is_prefixed_piece(node):
        return old_fmt if old_fmt in (HashFormat.BASE32, HashFormat.BASE16) else HashFormat.BASE32
    if hash_format == "sri" or old_fmt is None:
        return HashFormat.SRI
    return old_fmt


def _check_result(
    rel: str,
    old: bytes,
    new: bytes,
    replacements: list[tuple[int, int, str, bool]],
    parser: object,
) -> None:
    """Defence in depth: the edited file parses as before and each pin reads the new value."""
    import tree_sitter

    assert isinstance(parser, tree_sitter.Parser)
    before = sum(1 for _ in iter_error_nodes(parse_tree(old, parser)[0].root_node))
    tree, _ = parse_tree(new, parser)
    after = sum(1 for _ in iter_error_nodes(tree.root_node))
    if after > before:
        raise UnsafeValueError(f"{rel}: the edit would break the file's syntax; nothing written")
    for start, end, value, literal in replacements:
        if literal:
            node, is_literal = _target(tree.root_node, start, end)
        else:
            node, is_literal = _target(tree.root_node, start + 1, end - 1)
        if node is None or not is_literal or not string_is_plain(node):
            raise UnsafeValueError(
                f"{rel}:{_line(new, start)}: the new value does not stay one string literal"
            )
        if string_value(node) != value:
            raise UnsafeValueError(f"{rel}:{_line(new, start)}: the new value reads back changed")


def _write_all(repo: Path, planned: list[PlannedFile]) -> None:
    temps: list[tuple[PlannedFile, Path, Path]] = []
    try:
        for item in planned:
            path = _inside(repo, item.rel)
            if path.read_bytes() != item.old:
                raise EditConflictError(f"{item.rel}: changed while the edit was prepared")
            fd, tmp = tempfile.mkstemp(
                prefix=f".{path.name}.", suffix=".updater-tmp", dir=path.parent
            )
            with os.fdopen(fd, "wb") as handle:
                handle.write(item.new)
                handle.flush()
                os.fsync(handle.fileno())
            os.chmod(tmp, path.stat().st_mode & 0o7777)
            temps.append((item, path, Path(tmp)))
    except BaseException:
        for _, _, written in temps:
            written.unlink(missing_ok=True)
        raise
    done: list[tuple[PlannedFile, Path]] = []
    try:
        for item, path, tmp_path in temps:
            os.replace(tmp_path, path)
            done.append((item, path))
    except BaseException as exc:
        for _, _, leftover in temps:
            leftover.unlink(missing_ok=True)
        for item, path in reversed(done):
            _restore(path, item.old)
        if isinstance(exc, OSError):
            raise NixFileError(f"cannot write the edited files: {exc}; none was changed") from None
        raise


def _restore(path: Path, content: bytes) -> None:
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".updater-restore", dir=path.parent)
    with os.fdopen(fd, "wb") as handle:
        handle.write(content)
    os.replace(tmp, path)
