"""The hidden metadata block: written into PR bodies, read back from untrusted ones."""

from __future__ import annotations

import json

from hypothesis import given
from hypothesis import strategies as st

from updater.forge.metadata import parse_metadata, render_metadata
from updater.forge.models import PinRecord, UpdateMetadata

META = UpdateMetadata(
    name="atproto-pds",
    old_version="0.4.1",
    new_version="0.5.0",
    packages=("atproto-pds", "atproto-pds-admin"),
    pins=(PinRecord("pkgs/atproto/pds.nix", "rev", "a" * 40, "b" * 40),),
)


def test_round_trip_through_a_body() -> None:
    body = "Some text\n\n" + render_metadata(META) + "\n"
    assert parse_metadata(body) == META


def test_values_cannot_close_the_comment() -> None:
    hostile = UpdateMetadata(name="x", old_version="1 --> <b>", new_version="2-->&", pins=())
    block = render_metadata(hostile)
    assert block.count("-->") == 1 and block.endswith("-->")
    assert "<b>" not in block
    assert parse_metadata(block) == hostile


def test_bodies_without_a_valid_block_give_none() -> None:
    for body in (
        None,
        "",
        "no block here",
        "<!-- updater-metadata not json -->",
        '<!-- updater-metadata {"schema": 2, "name": "x", "old": "1", "new": "2"} -->',
        '<!-- updater-metadata {"schema": 1, "name": 5, "old": "1", "new": "2"} -->',
        '<!-- updater-metadata {"schema": 1, "name": "x", "old": "1", "new": ""} -->',
        '<!-- updater-metadata {"schema": 1, "name": "x", "old": "1", "new": "2", "pins": [1]} -->',
        '<!-- updater-metadata {"schema": 1, "name": "x", "old": "1", "new": NaN} -->',
        "<!-- updater-metadata " + "[" * 100_000 + " -->",
        '<!-- updater-metadata {"schema": 1, "name": "x", "old": "1", "new": "2"}',
        '<!-- updater-metadata {"schema": 1, "name": "'
        + "x" * 5000
        + '", "old": "1", "new": "2"} -->',
    ):
        assert parse_metadata(body) is None, body and body[:80]


def test_the_last_valid_block_wins() -> None:
    older = UpdateMetadata(name="x", old_version="1", new_version="2")
    body = (
        render_metadata(older)
        + "\nedited by a person\n"
        + render_metadata(META)
        + "\n<!-- updater-metadata junk -->"
    )
    assert parse_metadata(body) == META


def test_many_unterminated_comments_parse_quickly() -> None:
    body = "<!-- updater-metadata {" * 20_000
    assert parse_metadata(body) is None


def test_a_block_written_by_hand_in_the_documented_shape_parses() -> None:
    data = {"schema": 1, "name": "foo", "old": "1.0", "new": "1.1", "packages": ["foo"], "pins": []}
    assert parse_metadata(f"<!--  updater-metadata\n{json.dumps(data)}\n-->") == UpdateMetadata(
        name="foo", old_version="1.0", new_version="1.1", packages=("foo",)
    )


@given(
    st.text(min_size=1, max_size=60),
    st.text(max_size=60),
    st.text(min_size=1, max_size=60),
    st.lists(
        st.tuples(
            st.text(max_size=30), st.text(max_size=30), st.text(max_size=30), st.text(max_size=30)
        ),
        max_size=5,
    ),
)
def test_any_strings_round_trip(
    name: str, old: str, new: str, pins: list[tuple[str, str, str, str]]
) -> None:
    meta = UpdateMetadata(
        name=name, old_version=old, new_version=new, pins=tuple(PinRecord(*p) for p in pins)
    )
    if "\x00" in name + old + new + "".join("".join(p) for p in pins):
        return
    assert parse_metadata("before " + render_metadata(meta) + " after") == meta
