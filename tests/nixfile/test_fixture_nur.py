"""The fixture NUR (sandbox/updater_sandbox/nur): every pin with its kind, value, line, group, packages.

The expected table was checked by hand against the fixture's files and its PATTERNS.md; when
the fixture changes, this test names each pin that moved or changed.
"""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest

import updater_sandbox
from updater.nix.inspect import check_parse
from updater.nixfile.edit import apply_edits, edit_for
from updater.nixfile.model import HashFormat, Pin, PinKind, ScanResult
from updater.nixfile.repository import scan_repository
from updater.nixhash import HashAlgo, NixHash

NUR = Path(updater_sandbox.__file__).parent / "nur"

ATPROTO_11 = tuple(
    f"atproto-{k}"
    for k in (
        "api",
        "bsync",
        "crypto",
        "identity",
        "lex",
        "ozone",
        "pds",
        "repo",
        "sync",
        "syntax",
        "xrpc",
    )
)
KNOT_SERVICES = (
    "appview", "avatar", "camo", "guard", "jetstream", "keyfetch", "knotserver",
    "labeler", "notify", "repoguard", "spindle", "tap",
)  # fmt: skip
KNOT_12 = tuple(f"knot-{k}" for k in KNOT_SERVICES)  # the vendorHash: not the lexicons
KNOT_13 = tuple(sorted((*KNOT_12, "knot-lexicons")))

# (file under pkgs/, line, kind, value when not a hash/commit, format, group, system, packages)
# fmt: off
EXPECTED: list[tuple[str, int, str, str | None, str | None, str, str | None, tuple[str, ...]]] = [
    ('atproto/default.nix', 6, 'version', '0.1.0', None, 'github.com/bluesky-example/atproto', None, ATPROTO_11),
    ('atproto/default.nix', 7, 'src', None, None, 'github.com/bluesky-example/atproto', None, ATPROTO_11),
    ('atproto/default.nix', 10, 'rev', None, None, 'github.com/bluesky-example/atproto', None, ATPROTO_11),
    ('atproto/default.nix', 11, 'hash', None, 'sri', 'github.com/bluesky-example/atproto', None, ATPROTO_11),
    ('deno/deno-bot.nix', 3, 'src', None, None, 'tangled.org/@deno.example/deno-bot', None, ('deno-deno-bot',)),
    ('deno/deno-bot.nix', 7, 'tag', 'v1.11.0-alpha', None, 'tangled.org/@deno.example/deno-bot', None, ('deno-deno-bot',)),
    ('deno/deno-bot.nix', 8, 'hash', None, 'sri', 'tangled.org/@deno.example/deno-bot', None, ('deno-deno-bot',)),
    ('deno/deno-bot.nix', 23, 'outputHash', None, 'sri', 'tangled.org/@deno.example/deno-bot', None, ('deno-deno-bot',)),
    ('deno/deno-bot.nix', 28, 'version', '1.11.0-alpha', None, 'tangled.org/@deno.example/deno-bot', None, ('deno-deno-bot',)),
    ('feeds/blobstore.nix', 4, 'version', '0.9.0', None, 'codeberg.org/blob-example/blobstore', None, ('feeds-blobstore',)),
    ('feeds/blobstore.nix', 6, 'src', None, None, 'codeberg.org/blob-example/blobstore', None, ('feeds-blobstore',)),
    ('feeds/blobstore.nix', 10, 'rev', 'v${version}', None, 'codeberg.org/blob-example/blobstore', None, ('feeds-blobstore',)),
    ('feeds/blobstore.nix', 11, 'hash', None, 'malformed', 'codeberg.org/blob-example/blobstore', None, ('feeds-blobstore',)),
    ('feeds/feedgen.nix', 4, 'version', '1.0.0-rc.5', None, 'codeberg.org/feeduser/feedgen', None, ('feeds-feedgen',)),
    ('feeds/feedgen.nix', 6, 'src', None, None, 'codeberg.org/feeduser/feedgen', None, ('feeds-feedgen',)),
    ('feeds/feedgen.nix', 10, 'rev', None, None, 'codeberg.org/feeduser/feedgen', None, ('feeds-feedgen',)),
    ('feeds/feedgen.nix', 11, 'hash', None, 'sri', 'codeberg.org/feeduser/feedgen', None, ('feeds-feedgen',)),
    ('feeds/feedgen.nix', 16, 'pnpmDepsHash', None, 'sri', 'codeberg.org/feeduser/feedgen', None, ('feeds-feedgen',)),
    ('firehose/explorer.nix', 4, 'src', None, None, 'unpkg.com/htmx.org@3.x.x/dist', None, ('firehose-explorer',)),
    ('firehose/explorer.nix', 5, 'url', None, None, 'unpkg.com/htmx.org@3.x.x/dist', None, ('firehose-explorer',)),
    ('firehose/explorer.nix', 6, 'hash', None, 'sri', 'unpkg.com/htmx.org@3.x.x/dist', None, ('firehose-explorer',)),
    ('firehose/explorer.nix', 11, 'version', '0.3.1', None, 'github.com/firehose-example/firehose-tools', None, ('firehose-explorer',)),
    ('firehose/explorer.nix', 12, 'src', None, None, 'github.com/firehose-example/firehose-tools', None, ('firehose-explorer',)),
    ('firehose/explorer.nix', 15, 'tag', 'v0.3.1', None, 'github.com/firehose-example/firehose-tools', None, ('firehose-explorer',)),
    ('firehose/explorer.nix', 16, 'hash', None, 'sri', 'github.com/firehose-example/firehose-tools', None, ('firehose-explorer',)),
    ('firehose/firehose-tools.nix', 8, 'version', '0.3.0', None, 'github.com/firehose-example/firehose-tools', None, ('firehose-firehose-tools',)),
    ('firehose/firehose-tools.nix', 10, 'src', None, None, 'github.com/firehose-example/firehose-tools', None, ('firehose-firehose-tools',)),
    ('firehose/firehose-tools.nix', 13, 'rev', None, None, 'github.com/firehose-example/firehose-tools', None, ('firehose-firehose-tools',)),
    ('firehose/firehose-tools.nix', 14, 'hash', None, 'prefixed', 'github.com/firehose-example/firehose-tools', None, ('firehose-firehose-tools',)),
    ('indigo/bigsky.nix', 4, 'version', 'unstable', None, 'github.com/indigo-example/indigo', None, ('indigo-relay',)),
    ('indigo/bigsky.nix', 6, 'src', None, None, 'github.com/indigo-example/indigo', None, ('indigo-relay',)),
    ('indigo/bigsky.nix', 9, 'rev', None, None, 'github.com/indigo-example/indigo', None, ('indigo-relay',)),
    ('indigo/bigsky.nix', 10, 'hash', None, 'sri', 'github.com/indigo-example/indigo', None, ('indigo-relay',)),
    ('indigo/bigsky.nix', 13, 'vendorHash', None, 'sri', 'github.com/indigo-example/indigo', None, ('indigo-relay',)),
    ('indigo/goat.nix', 4, 'version', 'unstable', None, 'github.com/indigo-example/indigo', None, ('indigo-goat',)),
    ('indigo/goat.nix', 6, 'src', None, None, 'github.com/indigo-example/indigo', None, ('indigo-goat',)),
    ('indigo/goat.nix', 9, 'rev', None, None, 'github.com/indigo-example/indigo', None, ('indigo-goat',)),
    ('indigo/goat.nix', 10, 'hash', None, 'sri', 'github.com/indigo-example/indigo', None, ('indigo-goat',)),
    ('indigo/goat.nix', 13, 'vendorHash', None, 'sri', 'github.com/indigo-example/indigo', None, ('indigo-goat',)),
    ('indigo/hepa.nix', 4, 'version', 'unstable', None, 'github.com/indigo-example/indigo', None, ('indigo-hepa',)),
    ('indigo/hepa.nix', 6, 'src', None, None, 'github.com/indigo-example/indigo', None, ('indigo-hepa',)),
    ('indigo/hepa.nix', 9, 'rev', None, None, 'github.com/indigo-example/indigo', None, ('indigo-hepa',)),
    ('indigo/hepa.nix', 10, 'hash', None, 'sri', 'github.com/indigo-example/indigo', None, ('indigo-hepa',)),
    ('indigo/palomar.nix', 4, 'version', 'unstable', None, 'github.com/indigo-example/indigo', None, ('indigo-palomar',)),
    ('indigo/palomar.nix', 6, 'src', None, None, 'github.com/indigo-example/indigo', None, ('indigo-palomar',)),
    ('indigo/palomar.nix', 9, 'rev', None, None, 'github.com/indigo-example/indigo', None, ('indigo-palomar',)),
    ('indigo/palomar.nix', 10, 'hash', None, 'sri', 'github.com/indigo-example/indigo', None, ('indigo-palomar',)),
    ('indigo/rainbow.nix', 4, 'version', 'unstable', None, 'github.com/indigo-example/indigo', None, ('indigo-rainbow',)),
    ('indigo/rainbow.nix', 6, 'src', None, None, 'github.com/indigo-example/indigo', None, ('indigo-rainbow',)),
    ('indigo/rainbow.nix', 9, 'rev', None, None, 'github.com/indigo-example/indigo', None, ('indigo-rainbow',)),
    ('indigo/rainbow.nix', 10, 'hash', None, 'sri', 'github.com/indigo-example/indigo', None, ('indigo-rainbow',)),
    ('indigo/sonar.nix', 4, 'version', 'unstable', None, 'github.com/indigo-example/indigo', None, ('indigo-sonar',)),
    ('indigo/sonar.nix', 6, 'src', None, None, 'github.com/indigo-example/indigo', None, ('indigo-sonar',)),
    ('indigo/sonar.nix', 9, 'rev', None, None, 'github.com/indigo-example/indigo', None, ('indigo-sonar',)),
    ('indigo/sonar.nix', 10, 'hash', None, 'sri', 'github.com/indigo-example/indigo', None, ('indigo-sonar',)),
    ('jetstream/jetstream.nix', 4, 'version', '0.2.0', None, 'github.com/bluesky-example/jetstream', None, ('jetstream-jetstream',)),
    ('jetstream/jetstream.nix', 6, 'src', None, None, 'github.com/bluesky-example/jetstream', None, ('jetstream-jetstream',)),
    ('jetstream/jetstream.nix', 9, 'rev', 'v${version}', None, 'github.com/bluesky-example/jetstream', None, ('jetstream-jetstream',)),
    ('jetstream/jetstream.nix', 10, 'hash', None, 'sri', 'github.com/bluesky-example/jetstream', None, ('jetstream-jetstream',)),
    ('jetstream/jetstream.nix', 13, 'vendorHash', None, 'sri', 'github.com/bluesky-example/jetstream', None, ('jetstream-jetstream',)),
    ('knot/services.nix', 4, 'version', 'unstable-2025-01-23', None, 'tangled.org/@knot.example.org/core', None, KNOT_13),
    ('knot/services.nix', 6, 'src', None, None, 'tangled.org/@knot.example.org/core', None, KNOT_13),
    ('knot/services.nix', 9, 'rev', None, None, 'tangled.org/@knot.example.org/core', None, KNOT_13),
    ('knot/services.nix', 10, 'hash', None, 'sri', 'tangled.org/@knot.example.org/core', None, KNOT_13),
    ('knot/services.nix', 14, 'vendorHash', None, 'sri', 'tangled.org/@knot.example.org/core', None, KNOT_12),
    ('labeler/ozone-labeler.nix', 4, 'version', 'v0.5.0-alpha.4', None, 'gitlab.com/labelgroup/ozone-labeler', None, ('labeler-ozone-labeler',)),
    ('labeler/ozone-labeler.nix', 6, 'src', None, None, 'gitlab.com/labelgroup/ozone-labeler', None, ('labeler-ozone-labeler',)),
    ('labeler/ozone-labeler.nix', 8, 'rev', None, None, 'gitlab.com/labelgroup/ozone-labeler', None, ('labeler-ozone-labeler',)),
    ('labeler/ozone-labeler.nix', 9, 'hash', None, 'sri', 'gitlab.com/labelgroup/ozone-labeler', None, ('labeler-ozone-labeler',)),
    ('labeler/ozone-labeler.nix', 12, 'npmDepsHash', None, 'sri', 'gitlab.com/labelgroup/ozone-labeler', None, ('labeler-ozone-labeler',)),
    ('legacy/feed-proxy.nix', 4, 'version', '0.1.0', None, 'tangled.sh/@legacy.example.net/feed-proxy', None, ('legacy-feed-proxy',)),
    ('legacy/feed-proxy.nix', 6, 'src', None, None, 'tangled.sh/@legacy.example.net/feed-proxy', None, ('legacy-feed-proxy',)),
    ('legacy/feed-proxy.nix', 10, 'rev', None, None, 'tangled.sh/@legacy.example.net/feed-proxy', None, ('legacy-feed-proxy',)),
    ('legacy/feed-proxy.nix', 11, 'hash', None, 'base32', 'tangled.sh/@legacy.example.net/feed-proxy', None, ('legacy-feed-proxy',)),
    ('microcosm/constellation.nix', 3, 'src', None, None, 'tangled.org/@microcosm.example/microcosm-rs', None, ('microcosm-constellation',)),
    ('microcosm/constellation.nix', 5, 'rev', None, None, 'tangled.org/@microcosm.example/microcosm-rs', None, ('microcosm-constellation',)),
    ('microcosm/constellation.nix', 6, 'hash', None, 'sri', 'tangled.org/@microcosm.example/microcosm-rs', None, ('microcosm-constellation',)),
    ('microcosm/constellation.nix', 11, 'version', 'unstable', None, 'tangled.org/@microcosm.example/microcosm-rs', None, ('microcosm-constellation',)),
    ('microcosm/spacedust.nix', 4, 'version', 'unstable', None, 'tangled.org/@microcosm.example/microcosm-rs', None, ('microcosm-spacedust',)),
    ('microcosm/spacedust.nix', 5, 'src', None, None, 'tangled.org/@microcosm.example/microcosm-rs', None, ('microcosm-spacedust',)),
    ('microcosm/spacedust.nix', 7, 'rev', None, None, 'tangled.org/@microcosm.example/microcosm-rs', None, ('microcosm-spacedust',)),
    ('microcosm/spacedust.nix', 8, 'hash', None, 'sri', 'tangled.org/@microcosm.example/microcosm-rs', None, ('microcosm-spacedust',)),
    ('pdsadmin/pds-gatekeeper.nix', 4, 'version', '0.1.0', None, 'tangled.org/@gatekeeper.example.com/pds-gatekeeper', None, ('pdsadmin-gatekeeper',)),
    ('pdsadmin/pds-gatekeeper.nix', 6, 'src', None, None, 'tangled.org/@gatekeeper.example.com/pds-gatekeeper', None, ('pdsadmin-gatekeeper',)),
    ('pdsadmin/pds-gatekeeper.nix', 10, 'rev', None, None, 'tangled.org/@gatekeeper.example.com/pds-gatekeeper', None, ('pdsadmin-gatekeeper',)),
    ('pdsadmin/pds-gatekeeper.nix', 11, 'hash', None, 'sri', 'tangled.org/@gatekeeper.example.com/pds-gatekeeper', None, ('pdsadmin-gatekeeper',)),
    ('pdsadmin/pds-gatekeeper.nix', 14, 'cargoHash', None, 'sri', 'tangled.org/@gatekeeper.example.com/pds-gatekeeper', None, ('pdsadmin-gatekeeper',)),
    ('plc/plc-mirror.nix', 4, 'version', '0.6.0', None, 'github.com/plc-example/plc-mirror', None, ('plc-plc-mirror',)),
    ('plc/plc-mirror.nix', 6, 'src', None, None, 'github.com/plc-example/plc-mirror', None, ('plc-plc-mirror',)),
    ('plc/plc-mirror.nix', 9, 'rev', 'v${version}', None, 'github.com/plc-example/plc-mirror', None, ('plc-plc-mirror',)),
    ('plc/plc-mirror.nix', 10, 'hash', None, 'sri', 'github.com/plc-example/plc-mirror', None, ('plc-plc-mirror',)),
    ('plc/plc-mirror.nix', 13, 'cargoHash', None, 'fake', 'github.com/plc-example/plc-mirror', None, ('plc-plc-mirror',)),
    ('resolver/did-resolver.nix', 4, 'version', '0.1.0', None, 'git.example.org/tools/handle-resolver', None, ('resolver-did-resolver',)),
    ('resolver/did-resolver.nix', 6, 'src', None, None, 'git.example.org/tools/handle-resolver', None, ('resolver-did-resolver',)),
    ('resolver/did-resolver.nix', 8, 'rev', None, None, 'git.example.org/tools/handle-resolver', None, ('resolver-did-resolver',)),
    ('resolver/did-resolver.nix', 9, 'hash', None, 'malformed', 'git.example.org/tools/handle-resolver', None, ('resolver-did-resolver',)),
    ('resolver/handle-resolver.nix', 4, 'version', 'unstable', None, 'git.example.org/tools/handle-resolver', None, ('resolver-handle-resolver',)),
    ('resolver/handle-resolver.nix', 6, 'src', None, None, 'git.example.org/tools/handle-resolver', None, ('resolver-handle-resolver',)),
    ('resolver/handle-resolver.nix', 8, 'rev', None, None, 'git.example.org/tools/handle-resolver', None, ('resolver-handle-resolver',)),
    ('resolver/handle-resolver.nix', 9, 'hash', None, 'sri', 'git.example.org/tools/handle-resolver', None, ('resolver-handle-resolver',)),
    ('tools/atctl-nightly.nix', 4, 'version', 'latest', None, 'github.com/atctl-example/atctl', None, ('tools-atctl-nightly',)),
    ('tools/atctl-nightly.nix', 7, 'src', None, None, 'github.com/atctl-example/atctl', None, ('tools-atctl-nightly',)),
    ('tools/atctl-nightly.nix', 8, 'url', None, None, 'github.com/atctl-example/atctl', None, ('tools-atctl-nightly',)),
    ('tools/atctl-nightly.nix', 9, 'hash', None, 'sri', 'github.com/atctl-example/atctl', None, ('tools-atctl-nightly',)),
    ('tools/atctl-static.nix', 4, 'version', '0.4.1', None, 'github.com/atctl-example/atctl', None, ('tools-atctl-static',)),
    ('tools/atctl-static.nix', 6, 'src', None, None, 'github.com/atctl-example/atctl', None, ('tools-atctl-static',)),
    ('tools/atctl-static.nix', 7, 'url', None, None, 'github.com/atctl-example/atctl', None, ('tools-atctl-static',)),
    ('tools/atctl-static.nix', 12, 'hash', None, 'base32', 'github.com/atctl-example/atctl', 'x86_64-linux', ('tools-atctl-static',)),
    ('tools/atctl-static.nix', 14, 'hash', None, 'base32', 'github.com/atctl-example/atctl', 'aarch64-darwin', ('tools-atctl-static',)),
    ('tools/atctl.nix', 12, 'hash', None, 'sri', 'github.com/atctl-example/atctl', 'x86_64-linux', ('tools-atctl',)),
    ('tools/atctl.nix', 13, 'hash', None, 'sri', 'github.com/atctl-example/atctl', 'x86_64-darwin', ('tools-atctl',)),
    ('tools/atctl.nix', 14, 'hash', None, 'sri', 'github.com/atctl-example/atctl', 'aarch64-darwin', ('tools-atctl',)),
    ('tools/atctl.nix', 19, 'version', '0.4.0', None, 'github.com/atctl-example/atctl', None, ('tools-atctl',)),
    ('tools/atctl.nix', 21, 'src', None, None, 'github.com/atctl-example/atctl', None, ('tools-atctl',)),
    ('tools/atctl.nix', 22, 'url', None, None, 'github.com/atctl-example/atctl', None, ('tools-atctl',)),
    ('webapp/skyview.nix', 3, 'version', '2.0.0', None, 'github.com/webapp-example/skyview', None, ('webapp-skyview',)),
    ('webapp/skyview.nix', 5, 'src', None, None, 'github.com/webapp-example/skyview', None, ('webapp-skyview',)),
    ('webapp/skyview.nix', 8, 'rev', 'v${version}', None, 'github.com/webapp-example/skyview', None, ('webapp-skyview',)),
    ('webapp/skyview.nix', 9, 'hash', None, 'sri', 'github.com/webapp-example/skyview', None, ('webapp-skyview',)),
    ('webapp/skyview.nix', 26, 'outputHash', None, 'sri', 'github.com/webapp-example/skyview', None, ('webapp-skyview',)),
]
# fmt: on


@pytest.fixture(scope="module")
def result() -> ScanResult:
    return scan_repository(NUR)


def _literal_on_line(file: str, line: int, attr_hint: str) -> str | None:
    text = (NUR / "pkgs" / file).read_text().splitlines()[line - 1]
    found = re.findall(r'"([^"]*)"', text)
    return found[-1] if found else None


def test_every_pin_of_the_fixture(result: ScanResult) -> None:
    got = {(p.file, p.line, str(p.kind), p.system): p for p in result.pins}
    expected_keys = {(f"pkgs/{e[0]}", e[1], e[2], e[6]) for e in EXPECTED}
    assert sorted(set(got) - expected_keys) == [], "pins found that the table does not expect"
    assert sorted(expected_keys - set(got)) == [], "expected pins not found"
    problems = []
    for file, line, kind, value, fmt, group, system, packages in EXPECTED:
        pin = got[(f"pkgs/{file}", line, kind, system)]
        actual = (
            pin.value if value is not None else None,
            str(pin.format) if pin.format else None,
            pin.group,
            pin.packages,
        )
        if actual != (value, fmt, group, tuple(sorted(packages))):
            problems.append(f"{file}:{line} {kind}: {actual}")
    assert problems == []


def test_literal_values_and_spans_match_the_file_text(result: ScanResult) -> None:
    for pin in result.pins:
        source = (NUR / pin.file).read_bytes()
        assert source[pin.start : pin.end].decode() == pin.raw
        if pin.literal and pin.kind is not PinKind.SRC:
            on_line = _literal_on_line(pin.file[5:], pin.line, pin.attr)
            assert on_line is not None and pin.raw == on_line, (pin.file, pin.line)
            if pin.format is not HashFormat.PREFIXED:
                assert pin.value == pin.raw


def _pin(result: ScanResult, file: str, line: int, kind: PinKind) -> Pin:
    found = result.pin_at(f"pkgs/{file}", line, kind)
    assert found is not None, (file, line, kind)
    return found


def test_sharing_copies_and_derived_values(result: ScanResult) -> None:
    # the indigo rev and hash are copied into six files; the vendorHash into two
    rev = _pin(result, "indigo/bigsky.nix", 9, PinKind.REV)
    assert sorted(c.file for c in rev.copies) == [
        f"pkgs/indigo/{n}.nix" for n in ("goat", "hepa", "palomar", "rainbow", "sonar")
    ]
    assert len(_pin(result, "indigo/bigsky.nix", 10, PinKind.HASH).copies) == 5
    vendor = _pin(result, "indigo/bigsky.nix", 13, PinKind.VENDOR_HASH)
    assert [c.file for c in vendor.copies] == ["pkgs/indigo/goat.nix"]
    # atproto: one src in default.nix for 11 package files that have no fetcher
    atproto_rev = _pin(result, "atproto/default.nix", 10, PinKind.REV)
    assert not atproto_rev.copies and atproto_rev.aliases == ("atproto-all",)
    version = _pin(result, "atproto/default.nix", 6, PinKind.VERSION)
    assert {u.file for u in version.users} >= {
        f"pkgs/atproto/{n}.nix" for n in ("api", "pds", "lex-cli")
    }
    # knot: one let-bound vendorHash for twelve services
    knot_vendor = _pin(result, "knot/services.nix", 14, PinKind.VENDOR_HASH)
    assert (
        len(
            [
                p
                for p in result.pins
                if p.kind is PinKind.VENDOR_HASH and p.file == "pkgs/knot/services.nix"
            ]
        )
        == 1
    )
    assert "knot-spindle-server" in knot_vendor.aliases and "knot-all" in knot_vendor.aliases
    # rev = "v${version}" follows the version literal
    for file, rev_line, version_line in (
        ("jetstream/jetstream.nix", 9, 4),
        ("webapp/skyview.nix", 8, 3),
        ("plc/plc-mirror.nix", 9, 4),
        ("feeds/blobstore.nix", 10, 4),
    ):
        derived = _pin(result, file, rev_line, PinKind.REV)
        assert not derived.literal
        assert derived.depends_on == (_pin(result, file, version_line, PinKind.VERSION).location,)
    # alias of a renamed export
    assert _pin(result, "indigo/bigsky.nix", 9, PinKind.REV).aliases == ("bigsky",)


def test_floating_references(result: ScanResult) -> None:
    floating = {(p.file, p.line, str(p.kind)) for p in result.pins if p.floating}
    assert floating == {
        ("pkgs/resolver/handle-resolver.nix", 6, "src"),
        ("pkgs/resolver/handle-resolver.nix", 8, "rev"),
        ("pkgs/tools/atctl-nightly.nix", 7, "src"),
        ("pkgs/tools/atctl-nightly.nix", 8, "url"),
        ("pkgs/firehose/explorer.nix", 4, "src"),
        ("pkgs/firehose/explorer.nix", 5, "url"),
    }


def test_valid_nix_is_never_warned_about(result: ScanResult) -> None:
    # firehose-tools.nix has nixfmt's trailing comma in its formals: valid Nix, no warning
    assert result.warnings == () and result.errors == ()


def test_patterns_table_locations_hold_pins(result: ScanResult) -> None:
    """Every PATTERNS.md row that names a pin line is found at that line."""
    table = (NUR / "PATTERNS.md").read_text()
    rows = re.findall(r"\| `(pkgs/[^`:]+):(\d+)` \|", table)
    assert len(rows) > 40
    lines_with_pins = {(p.file, p.line) for p in result.pins} | {
        (u.file, u.line) for p in result.pins for u in p.users
    }
    fetcher_spans = [
        (p.file, p.line, (NUR / p.file).read_bytes().count(b"\n", 0, p.end) + 1)
        for p in result.pins
        if p.kind is PinKind.SRC
    ]
    no_pin_expected = {
        "pkgs/microcosm/constellation.nix:9",  # crane: no hash
        "pkgs/atproto/api.nix:1",  # formals of a file without fetcher
        "pkgs/atproto/api.nix:5",  # sourceRoot
        "pkgs/atproto/pds.nix:5",  # "${src}/subdir"
        "pkgs/indigo/palomar.nix:12",  # sourceRoot
        "pkgs/firehose/firehose-tools.nix:4",  # formals with a trailing comma
        "pkgs/indigo/default.nix:6",  # export keys
        "pkgs/atproto/default.nix:19",
        "pkgs/default.nix:42",  # aliases and joins
        "pkgs/default.nix:47",
    }
    # rows naming the line that opens the construct whose pin follows
    pin_below = {
        "pkgs/feeds/feedgen.nix:14": 16,  # `pnpm_9.fetchDeps {`: its hash
        "pkgs/tools/atctl.nix:11": 12,  # `hash = {` per-platform set: its first entry
    }
    missing = []
    for file, line_text in rows:
        line = int(line_text)
        if f"{file}:{line}" in no_pin_expected:
            continue
        line = pin_below.get(f"{file}:{line}", line)
        in_fetcher = any(f == file and start <= line <= end for f, start, end in fetcher_spans)
        if (file, line) not in lines_with_pins and not in_fetcher:
            missing.append(f"{file}:{line}")
    assert missing == []


def test_packages_and_their_files(result: ScanResult) -> None:
    refs = {r.name: r for r in result.packages}
    assert refs["indigo-relay"].file == "pkgs/indigo/bigsky.nix"
    assert refs["indigo-relay"].aliases == ("bigsky",)
    assert refs["atproto-lex"].file == "pkgs/atproto/lex-cli.nix"
    assert refs["knot-spindle"].file == "pkgs/knot/services.nix"
    assert "bigsky" not in refs and "knot-all" not in refs


@pytest.mark.nix
def test_every_edited_fixture_file_still_parses_with_nix(tmp_path: Path) -> None:
    repo = tmp_path / "nur"
    shutil.copytree(NUR, repo)
    pins = scan_repository(repo).pins
    edits = []
    for n, pin in enumerate(p for p in pins if p.literal and p.kind is not PinKind.URL):
        if pin.kind is PinKind.SRC:
            continue
        if pin.kind.is_hash:
            if pin.format is HashFormat.MALFORMED:
                continue
            new = NixHash(
                pin.algo or HashAlgo.SHA256,
                bytes([n % 250 + 1]) * (pin.algo or HashAlgo.SHA256).digest_size,
            ).sri
        elif pin.kind is PinKind.REV:
            new = f"{n:040x}"
        else:
            new = f"9.{n}.0"
        edits.append(edit_for(pin, new))
    apply_edits(repo, edits)
    edited = sorted({e.file for e in edits})
    assert len(edited) > 20
    for file in edited:
        assert check_parse(repo / file), file
    assert len(scan_repository(repo).pins) == len(pins)
