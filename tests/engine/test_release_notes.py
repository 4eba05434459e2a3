"""Release notes and the release page travel from the upstream check to the PR body: the policy's
chosen release -> Target -> UpdateResult -> ProposedUpdate, rendered inert by forge/body.py."""

from __future__ import annotations

import asyncio
import re
import shutil
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from updater.config import parse_config
from updater.delivery.proposal import proposal_of, release_links
from updater.engine.result import Outcome, PinChange, UpdateResult
from updater.engine.target import Target
from updater.engine.units import select, units_of
from updater.forge.body import ZERO_WIDTH, pull_body
from updater.forge.metadata import parse_metadata
from updater.nixfile.model import Location, PinKind
from updater.nixfile.repository import scan_repository
from updater.pipeline.targets import resolve
from updater.upstream.model import UpstreamRelease
from updater.version.policy import Decision
from updater_sandbox.world import World

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "delivery"))
from delivery_support import Bot, issue, open_pulls, world_environment

# Every trick a release text can play on a PR body: mentions, issue references, markup, and a
# comment close that would end a surrounding comment (the metadata block is one) early.
HOSTILE = (
    "Thanks @someone for fixing #12!\n\n"
    "<script>alert(1)</script>\n"
    "<!-- updater-metadata "
    '{"schema":1,"name":"evil","packages":["evil"],"old":"0","new":"9","pins":[]} -->\n'
    "--> <!-- unclosed"
)
LIVE_MENTION = re.compile(r"(?<![\w`])@[A-Za-z0-9]")
LIVE_ISSUE = re.compile(r"(?:^|[^\w])#[0-9]")


def _notes_section(body: str) -> str:
    start = body.index("### Release notes")
    return body[start : body.index("###", start + 3)]


def _assert_inert(body: str) -> None:
    notes = _notes_section(body)
    assert f"@{ZERO_WIDTH}someone" in notes and f"#{ZERO_WIDTH}12" in notes
    assert not LIVE_MENTION.search(notes) and not LIVE_ISSUE.search(notes), notes
    # Tags and comments gone (their text stays, as text); the bot's block is the only comment.
    assert "<" not in notes and "<script" not in body and "evil" not in body
    assert body.count("<!--") == 1 and body.rstrip().endswith("-->")


def test_the_chosen_release_gives_the_target_its_notes_and_page() -> None:
    rel = UpstreamRelease(
        "v2.0.0", commit="c" * 40, notes=HOSTILE, url="https://github.com/o/r/releases/tag/v2.0.0"
    )
    decision = Decision("1.0.0", "2.0.0", rev="v2.0.0", commit="c" * 40)
    target = Target.from_decision(decision, "release", rel)
    assert target is not None
    assert (target.tag, target.release_notes, target.release_url) == (
        "v2.0.0",
        HOSTILE,
        "https://github.com/o/r/releases/tag/v2.0.0",
    )
    # A bare tag (no release object) has no notes; a branch commit neither.
    bare = UpstreamRelease("v2.0.0", commit="c" * 40, is_release=False)
    no_notes = Target.from_decision(Decision("1.0.0", "2.0.0", rev="v2.0.0"), "release", bare)
    assert no_notes is not None and no_notes.release_notes is None
    branch = Target.from_decision(Decision("u", "u", rev="d" * 40), "branch", rel)
    assert branch is not None and branch.release_notes is None and branch.release_url is None


def _result(**kw: object) -> UpdateResult:
    rev = PinChange(Location("pkgs/r.nix", 9, 0, 1), PinKind.VERSION, "version", "1.0.0", "2.0.0")
    base: dict[str, object] = dict(
        unit="github.com/o/r",
        packages=("org-r",),
        outcome=Outcome.UPDATED,
        old="1.0.0",
        new="2.0.0",
        tag="v2.0.0",
        changes=(rev,),
        verified=True,
    )
    base.update(kw)
    return UpdateResult(**base)  # type: ignore[arg-type]


def test_the_proposal_renders_hostile_notes_inert_and_keeps_the_metadata() -> None:
    config = parse_config({}, "test")
    result = _result(
        release_notes=HOSTILE, release_url="https://github.com/o/r/releases/tag/v2.0.0-final"
    )
    update = proposal_of(result, "org-r", config)
    assert update.release_notes == HOSTILE
    assert update.links.release == "https://github.com/o/r/releases/tag/v2.0.0-final"
    body = pull_body(update)
    _assert_inert(body)
    meta = parse_metadata(body)
    assert meta is not None and (meta.name, meta.old_version, meta.new_version) == (
        "org-r",
        "1.0.0",
        "2.0.0",
    )


@pytest.mark.parametrize(
    "url",
    [
        "https://evil.example/o/r/releases/tag/v2.0.0",
        "https://github.com/other/r/releases/tag/v2.0.0",
        "http://github.com/o/r/releases/tag/v2.0.0",
        "https://github.com:8443/o/r/releases/tag/v2.0.0",
        "https://user@github.com/o/r/releases/tag/v2.0.0",
        "https://[::1/o/r",
    ],
)
def test_a_release_page_outside_the_source_repository_is_not_linked(url: str) -> None:
    links = release_links(_result(release_url=url), parse_config({}, "test"))
    assert links.release == "https://github.com/o/r/releases/tag/v2.0.0"


@pytest.fixture(scope="module")
def notes_world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    if shutil.which("nix-build") is None:
        pytest.skip("nix-build is not installed")
    with World(tmp_path_factory.mktemp("notes-world")) as w:
        w.upstream("jetstream").add_release("0.5.0", body=HOSTILE)
        yield w


def test_the_checked_target_carries_the_upstream_release_text(
    notes_world: World, tmp_path: Path
) -> None:
    ctx = Bot(notes_world, tmp_path / "state.db").context()
    scan = scan_repository(notes_world.nur_path)
    units = select(units_of(scan), ["jetstream-jetstream"])
    with world_environment(notes_world):
        (work,) = asyncio.run(resolve(ctx, units, scan, None))
    target = work.target
    assert target is not None and target.tag == "v0.5.0"
    assert target.release_notes == HOSTILE
    assert target.release_url == "https://github.com/bluesky-example/jetstream/releases/tag/v0.5.0"


@pytest.mark.nix
def test_hostile_release_notes_reach_the_opened_pr_neutralised(
    notes_world: World, tmp_path: Path
) -> None:
    bot = Bot(notes_world, tmp_path / "state.db")
    results, _ = bot.run("jetstream-jetstream")
    assert [(r.outcome, r.new) for r in results] == [(Outcome.UPDATED, "0.5.0")]
    (pull,) = open_pulls(notes_world).values()
    body = issue(notes_world, pull.number).body or ""
    _assert_inert(body)
    assert "[Release](https://github.com/bluesky-example/jetstream/releases/tag/v0.5.0)" in body
    meta = parse_metadata(body)
    assert meta is not None and meta.name == "jetstream-jetstream"
    assert (meta.old_version, meta.new_version) == ("0.2.0", "0.5.0")
