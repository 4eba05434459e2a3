"""The editor: exact spans, conflicts, validation, hash notation, all-or-nothing writes."""

from __future__ import annotations

import os
import shutil
import subprocess
from collections.abc import Callable
from pathlib import Path

import pytest
from conftest import RepoWriter
from nixfile_helpers import b16, b32, digest, sri

from updater.errors import EditConflictError, NixFileError, UnsafeValueError
from updater.nix.inspect import check_parse
from updater.nixfile.edit import Edit, apply_edits, edit_for
from updater.nixfile.model import HashAlgo, PinKind
from updater.nixfile.repository import scan_repository

REV = "0123456789abcdef0123456789abcdef01234567"
NEW_REV = "aaaaaaaaaabbbbbbbbbbccccccccccdddddddddd"

PKG = f"""{{ stdenv, fetchFromGitHub, lib }}:
stdenv.mkDerivation rec {{
  pname = "p";
  version = "1.0"; # keep in step with the tag
  src = fetchFromGitHub {{
    owner = "o";
    repo = "p";
    rev = "{REV}"; # main, 2025-01-23
    sha256 = "{b32(1)}";
  }};
  extra = fetchFromGitHub {{ owner = "o"; repo = "x"; rev = "{REV}"; sha256 = "sha256:" + "{b32(2)}"; }};
  other = fetchFromGitHub {{ owner = "o"; repo = "y"; rev = "{REV}"; hash = "{sri(3)}"; }};
  hex = fetchFromGitHub {{ owner = "o"; repo = "z"; rev = "{REV}"; sha256 = "{b16(4)}"; }};
  vendorHash = lib.fakeHash;
}}
"""


def pins_by(repo: Path, file: str) -> dict[tuple[int, PinKind], object]:
    return {(p.line, p.kind): p for p in scan_repository(repo).pins if p.file == file}


def test_edits_keep_every_other_byte_comments_and_hash_notation(write_repo: RepoWriter) -> None:
    repo = write_repo({"pkgs/o/p.nix": PKG})
    pins = scan_repository(repo).pins
    edits = []
    for pin in pins:
        if pin.kind is PinKind.REV:
            edits.append(edit_for(pin, NEW_REV))
        elif pin.kind.is_hash:
            edits.append(edit_for(pin, digest(100 + pin.line).sri))
        elif pin.kind is PinKind.VERSION:
            edits.append(edit_for(pin, "1.1"))
    apply_edits(repo, edits)
    text = (repo / "pkgs/o/p.nix").read_text()
    assert text == (
        PKG.replace(REV, NEW_REV)
        .replace('"1.0"', '"1.1"')
        .replace(b32(1), digest(109).base32)
        .replace(b32(2), digest(111).base32)
        .replace(sri(3), digest(112).sri)
        .replace(b16(4), digest(113).base16)
        .replace("lib.fakeHash", f'"{digest(114).sri}"')
    )
    assert "# main, 2025-01-23" in text and "# keep in step with the tag" in text
    rescanned = {(p.line, p.kind): p for p in scan_repository(repo).pins}
    assert rescanned[(9, PinKind.HASH)].attr == "sha256"
    assert rescanned[(11, PinKind.HASH)].value == "sha256:" + digest(111).base32


def test_sri_policy_converts_except_prefixed_pieces(write_repo: RepoWriter) -> None:
    repo = write_repo({"pkgs/o/p.nix": PKG})
    edits = [
        edit_for(p, digest(7).sri) for p in scan_repository(repo).pins if p.kind is PinKind.HASH
    ]
    apply_edits(repo, edits, hash_format="sri")
    text = (repo / "pkgs/o/p.nix").read_text()
    assert f'sha256 = "{digest(7).sri}";' in text  # SRI under `sha256`: the name is kept
    assert f'"sha256:" + "{digest(7).base32}"' in text


def test_crlf_files_keep_their_line_endings(write_repo: RepoWriter) -> None:
    repo = write_repo({"pkgs/o/p.nix": PKG.replace("\n", "\r\n")})
    before = (repo / "pkgs/o/p.nix").read_bytes()
    rev = next(p for p in scan_repository(repo).pins if p.kind is PinKind.REV and p.line == 8)
    apply_edits(repo, [edit_for(rev, NEW_REV)])
    after = (repo / "pkgs/o/p.nix").read_bytes()
    assert after == before[: rev.start] + NEW_REV.encode() + before[rev.end :]
    assert after.count(b"\r\n") == before.count(b"\r\n")


@pytest.mark.parametrize(
    ("kind", "value"),
    [
        (PinKind.TAG, 'v1"; system = "x'),
        (PinKind.REV, "${builtins.exec [ ]}"),
        (PinKind.VERSION, "1.0\nfoo = 1;"),
        (PinKind.VERSION, "1.0\\"),
        (PinKind.VERSION, "1.0''"),
        (PinKind.REV, "--upload-pack=evil"),
        (PinKind.HASH, "sha256-short"),
        (PinKind.HASH, sri(1) + '"; x = "'),
        (PinKind.URL, "https://e.org/${x}"),
        (PinKind.URL, "file:///etc/passwd"),
        (PinKind.VERSION, "1.0\x07"),
    ],
)
def test_hostile_values_are_refused_and_nothing_is_written(
    write_repo: RepoWriter, kind: PinKind, value: str
) -> None:
    repo = write_repo({"pkgs/o/p.nix": PKG})
    before = (repo / "pkgs/o/p.nix").read_bytes()
    pin = next(p for p in scan_repository(repo).pins if p.kind is PinKind.REV and p.line == 8)
    good = edit_for(pin, NEW_REV)
    hostile = Edit(pin.file, pin.start, pin.end, pin.raw, value, kind)
    other = next(p for p in scan_repository(repo).pins if p.kind is PinKind.VERSION)
    with pytest.raises(UnsafeValueError, match=r"pkgs/o/p\.nix:8"):
        apply_edits(repo, [edit_for(other, "2.0"), hostile])
    assert (repo / "pkgs/o/p.nix").read_bytes() == before
    apply_edits(repo, [good])  # the same span with a safe value goes through


def test_conflict_when_the_file_changed_and_nothing_written_anywhere(
    write_repo: RepoWriter,
) -> None:
    repo = write_repo({"pkgs/o/p.nix": PKG, "pkgs/o/q.nix": PKG})
    pins = scan_repository(repo).pins
    p_rev = next(p for p in pins if p.file == "pkgs/o/p.nix" and p.kind is PinKind.REV)
    q_rev = next(p for p in pins if p.file == "pkgs/o/q.nix" and p.kind is PinKind.REV)
    (repo / "pkgs/o/q.nix").write_text(PKG.replace(REV, "f" * 40, 1))
    q_before = (repo / "pkgs/o/q.nix").read_bytes()
    with pytest.raises(EditConflictError, match=r"pkgs/o/q\.nix:8"):
        apply_edits(repo, [edit_for(p_rev, NEW_REV), edit_for(q_rev, NEW_REV)])
    assert (repo / "pkgs/o/p.nix").read_text() == PKG
    assert (repo / "pkgs/o/q.nix").read_bytes() == q_before


def _make_unreplaceable(path: Path) -> Callable[[], None]:
    """Make renames onto `path` fail for real; returns the undo."""
    chattr = shutil.which("chattr")
    if (
        chattr
        and subprocess.run([chattr, "+i", str(path)], capture_output=True, timeout=10).returncode
        == 0
    ):
        return lambda: subprocess.run([chattr, "-i", str(path)], check=True, timeout=10) and None
    if os.geteuid() != 0:
        path.parent.chmod(0o500)
        return lambda: path.parent.chmod(0o755)
    pytest.skip("cannot make a rename fail here (root without chattr)")


def test_a_failed_rename_restores_the_files_already_replaced(write_repo: RepoWriter) -> None:
    repo = write_repo({"pkgs/a/p.nix": PKG, "pkgs/b/p.nix": PKG})
    pins = scan_repository(repo).pins
    edits = [edit_for(p, NEW_REV) for p in pins if p.kind is PinKind.REV and p.line == 8]
    assert [e.file for e in edits] == ["pkgs/a/p.nix", "pkgs/b/p.nix"]
    undo = _make_unreplaceable(repo / "pkgs/b/p.nix")
    try:
        with pytest.raises(NixFileError, match="none was changed"):
            apply_edits(repo, edits)
    finally:
        undo()
    assert (repo / "pkgs/a/p.nix").read_text() == PKG
    assert (repo / "pkgs/b/p.nix").read_text() == PKG
    assert not [p for p in repo.rglob("*.updater-*")]


def test_spans_that_are_not_a_pin_are_refused(write_repo: RepoWriter) -> None:
    repo = write_repo({"pkgs/o/p.nix": PKG})
    source = (repo / "pkgs/o/p.nix").read_bytes()
    start = source.index(b"pname")
    with pytest.raises(NixFileError, match="not a string literal"):
        apply_edits(repo, [Edit("pkgs/o/p.nix", start, start + 5, "pname", "1.0", PinKind.VERSION)])
    with pytest.raises(NixFileError, match="inside the repository"):
        apply_edits(repo, [Edit("../etc/x.nix", 0, 0, "", "1.0", PinKind.VERSION)])


def test_bare_hash_algorithm_must_match(write_repo: RepoWriter) -> None:
    repo = write_repo({"pkgs/o/p.nix": PKG})
    pin = next(p for p in scan_repository(repo).pins if p.kind is PinKind.HASH and p.line == 9)
    with pytest.raises(UnsafeValueError, match="sha512"):
        apply_edits(repo, [edit_for(pin, digest(1, HashAlgo.SHA512).sri)])


@pytest.mark.nix
def test_edited_file_still_parses_with_nix(write_repo: RepoWriter) -> None:
    repo = write_repo({"pkgs/o/p.nix": PKG})
    edits = [
        edit_for(
            p, digest(5).sri if p.kind.is_hash else NEW_REV if p.kind is PinKind.REV else "2.0"
        )
        for p in scan_repository(repo).pins
        if p.kind is not PinKind.SRC
    ]
    apply_edits(repo, edits)
    assert check_parse(repo / "pkgs/o/p.nix")
