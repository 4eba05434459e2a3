"""Property tests: edit then re-scan, hostile values, and Nix's own parser on edited files."""

from __future__ import annotations

import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from updater import nixhash
from updater.errors import UnsafeValueError
from updater.nix.inspect import check_parse
from updater.nixfile.edit import apply_edits, edit_for
from updater.nixfile.model import HashFormat, Pin, PinKind
from updater.nixfile.repository import scan_repository
from updater.nixhash import HashAlgo, NixHash

revs = st.text("0123456789abcdef", min_size=40, max_size=40)
versions = st.from_regex(r"[A-Za-z0-9][A-Za-z0-9._+~-]{0,20}", fullmatch=True).filter(
    lambda v: ".." not in v
)
tags = st.from_regex(r"v?[0-9]{1,3}(\.[0-9]{1,3}){0,2}(-[a-z]{1,6}(\.[0-9])?)?", fullmatch=True)
digests = st.binary(min_size=32, max_size=32).filter(any).map(lambda d: NixHash(HashAlgo.SHA256, d))
notations = st.sampled_from(["sri", "base32", "base16", "prefixed-concat"])
comments = st.sampled_from(["", " # pinned", "  # updater: skip", ' # ${not} "code"'])
endings = st.sampled_from(["\n", "\r\n"])


def _hash_expr(h: NixHash, notation: str) -> str:
    if notation == "prefixed-concat":
        return f'"sha256:" + "{h.base32}"'
    return f'"{h.format(HashFormat(notation))}"'


@st.composite
def package_files(draw: st.DrawFn) -> str:
    nl = draw(endings)
    rev = draw(revs)
    lines = [
        "{ stdenv, fetchFromGitHub, fetchurl, buildGoModule }:",
        "let",
        f'  version = "{draw(versions)}";{draw(comments)}',
        "in",
        "buildGoModule {",
        '  pname = "p";',
        "  inherit version;",
        "  src = fetchFromGitHub {",
        '    owner = "o";',
        '    repo = "p";',
        f'    rev = "{rev}";{draw(comments)}',
        f"    hash = {_hash_expr(draw(digests), draw(notations))};{draw(comments)}",
        "  };",
        f'  asset = fetchurl {{ url = "https://github.com/o/p/releases/download/v${{version}}/p.tgz"; sha256 = {_hash_expr(draw(digests), draw(notations))}; }};',
        f'  other = fetchFromGitHub {{ owner = "o"; repo = "q"; tag = "{draw(tags)}"; hash = "{draw(digests).sri}"; }};',
        f"  vendorHash = {_hash_expr(draw(digests), draw(notations))};{draw(comments)}",
        "}",
        "",
    ]
    return nl.join(lines)


def _new_value(pin: Pin, data: st.DataObject) -> str:
    if pin.kind is PinKind.REV:
        return data.draw(revs)
    if pin.kind is PinKind.TAG:
        return data.draw(tags)
    if pin.kind is PinKind.VERSION:
        return data.draw(versions)
    return data.draw(digests).sri


def _editable(pins: tuple[Pin, ...]) -> list[Pin]:
    return [
        p for p in pins if p.literal and p.kind is not PinKind.SRC and p.kind is not PinKind.URL
    ]


@contextmanager
def _repo(text: str) -> Iterator[Path]:
    with tempfile.TemporaryDirectory(prefix="updater-prop-") as tmp:
        repo = Path(tmp)
        (repo / "pkgs/o").mkdir(parents=True)
        (repo / "pkgs/o/p.nix").write_bytes(text.encode())
        yield repo


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(text=package_files(), data=st.data())
def test_edit_then_rescan_reads_new_values_and_nothing_else_changes(
    text: str, data: st.DataObject
) -> None:
    with _repo(text) as repo:
        before = (repo / "pkgs/o/p.nix").read_bytes()
        pins = scan_repository(repo).pins
        editable = _editable(pins)
        assert len(editable) == 7
        chosen = data.draw(st.lists(st.sampled_from(editable), unique=True, min_size=1))
        chosen.sort(key=lambda p: p.start)
        values = {p.location: _new_value(p, data) for p in chosen}
        apply_edits(repo, [edit_for(p, values[p.location]) for p in chosen])
        after = (repo / "pkgs/o/p.nix").read_bytes()
        rescan = scan_repository(repo).pins
    assert len(rescan) == len(pins)
    new_at = {(p.line, p.kind, p.system): p for p in rescan}

    # every byte outside the edited spans is unchanged, and each span holds the new value
    pos = cursor = 0
    for pin in chosen:
        kept = before[cursor : pin.start]
        assert after[pos : pos + len(kept)] == kept
        pos += len(kept)
        new = new_at[(pin.line, pin.kind, pin.system)]
        assert new.start == pos
        pos, cursor = new.end, pin.end
        expected = values[pin.location]
        if pin.kind.is_hash:
            assert _digest(new.value) == _digest(expected)
            # the literal keeps its notation ("sha256:" + piece stays a prefixed piece)
            assert new.format is pin.format
        else:
            assert new.value == expected
    assert after[pos:] == before[cursor:]


def _digest(value: str) -> bytes:
    return nixhash.parse(value).digest


hostile = st.one_of(
    st.tuples(
        st.text(max_size=8),
        st.sampled_from(['"', "\\", "${", "\n", "\r", "\x00", "''"]),
        st.text(max_size=8),
    ).map("".join),
    st.sampled_from(['v1"; system = "x', '${builtins.exec [ "sh" ]}', "a\nb = 1;"]),
)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(text=package_files(), data=st.data(), value=hostile)
def test_hostile_values_are_refused_and_the_file_is_unchanged(
    text: str, data: st.DataObject, value: str
) -> None:
    with _repo(text) as repo:
        before = (repo / "pkgs/o/p.nix").read_bytes()
        pin = data.draw(st.sampled_from(_editable(scan_repository(repo).pins)))
        with pytest.raises(UnsafeValueError, match=r"pkgs/o/p\.nix:\d+"):
            apply_edits(repo, [edit_for(pin, value)])
        assert (repo / "pkgs/o/p.nix").read_bytes() == before


@pytest.mark.nix
@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(text=package_files(), data=st.data())
def test_every_edited_file_parses_with_nix(text: str, data: st.DataObject) -> None:
    with _repo(text) as repo:
        editable = _editable(scan_repository(repo).pins)
        apply_edits(repo, [edit_for(p, _new_value(p, data)) for p in editable])
        assert check_parse(repo / "pkgs/o/p.nix")
