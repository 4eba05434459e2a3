"""NAR serialisation and hashing of file trees, in pure Python.

The world knows every upstream tree it creates, so it can say which hash Nix will report for a
fetcher or a dependency derivation without running Nix. Tests use these values as the oracle the
bot's Nix-proven hashes must equal; the Nix fixture tests check the oracle against Nix itself.
"""

from __future__ import annotations

import base64
import hashlib
import os
import stat
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path

from updater.nixhash import encode_base32


@dataclass(frozen=True)
class TreeFile:
    """A regular file (or, with `symlink`, a symlink whose target is `data`)."""

    data: bytes
    executable: bool = False
    symlink: bool = False


# path (with "/" separators, relative, no leading "./") -> file
Tree = Mapping[str, TreeFile]


def _str(data: bytes) -> bytes:
    pad = (8 - len(data) % 8) % 8
    return len(data).to_bytes(8, "little") + data + b"\0" * pad


def _file_node(f: TreeFile) -> Iterator[bytes]:
    yield _str(b"(")
    yield _str(b"type")
    if f.symlink:
        yield _str(b"symlink")
        yield _str(b"target")
        yield _str(f.data)
    else:
        yield _str(b"regular")
        if f.executable:
            yield _str(b"executable")
            yield _str(b"")
        yield _str(b"contents")
        yield _str(f.data)
    yield _str(b")")


def _nested(tree: Tree) -> dict[str, object]:
    root: dict[str, object] = {}
    for path, f in tree.items():
        parts = path.split("/")
        node = root
        for part in parts[:-1]:
            child = node.setdefault(part, {})
            if not isinstance(child, dict):
                raise ValueError(f"{path}: a parent of this path is a file")
            node = child
        node[parts[-1]] = f
    return root


def _dir_node(entries: Mapping[str, object]) -> Iterator[bytes]:
    yield _str(b"(")
    yield _str(b"type")
    yield _str(b"directory")
    for name in sorted(entries, key=lambda n: n.encode()):
        yield _str(b"entry")
        yield _str(b"(")
        yield _str(b"name")
        yield _str(name.encode())
        yield _str(b"node")
        child = entries[name]
        if isinstance(child, TreeFile):
            yield from _file_node(child)
        else:
            assert isinstance(child, dict)
            yield from _dir_node(child)
        yield _str(b")")
    yield _str(b")")


def nar_of_tree(tree: Tree) -> bytes:
    """The NAR of a directory holding `tree`."""
    return _str(b"nix-archive-1") + b"".join(_dir_node(_nested(tree)))


def nar_of_file(data: bytes, *, executable: bool = False) -> bytes:
    return _str(b"nix-archive-1") + b"".join(_file_node(TreeFile(data, executable)))


def tree_of_dir(path: Path) -> dict[str, TreeFile]:
    """Read a directory from disk as a Tree (for checking the oracle against real checkouts)."""
    out: dict[str, TreeFile] = {}
    for dirpath, dirnames, filenames in os.walk(path):
        dirnames.sort()
        for name in filenames + [d for d in dirnames if os.path.islink(os.path.join(dirpath, d))]:
            full = os.path.join(dirpath, name)
            rel = os.path.relpath(full, path).replace(os.sep, "/")
            st = os.lstat(full)
            if stat.S_ISLNK(st.st_mode):
                out[rel] = TreeFile(os.readlink(full).encode(), symlink=True)
            else:
                out[rel] = TreeFile(Path(full).read_bytes(), executable=bool(st.st_mode & 0o100))
    return out


def sri(digest: bytes) -> str:
    return "sha256-" + base64.b64encode(digest).decode()


def base32(digest: bytes) -> str:
    return encode_base32(digest)


def tree_hash(tree: Tree) -> str:
    """SRI sha256 of the tree's NAR: what Nix reports for a recursive fixed-output derivation."""
    return sri(hashlib.sha256(nar_of_tree(tree)).digest())


def flat_hash(data: bytes) -> str:
    """SRI sha256 of the bytes: what Nix reports for a flat fixed-output derivation (fetchurl)."""
    return sri(hashlib.sha256(data).digest())
