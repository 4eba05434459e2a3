"""PR title and body: informative for reviewers, inert for hostile release notes."""

from __future__ import annotations

import re

from updater.forge.body import (
    MAX_BODY,
    ZERO_WIDTH,
    code,
    pull_body,
    pull_title,
    safe_url,
    sanitize_notes,
)
from updater.forge.metadata import parse_metadata
from updater.forge.models import (
    PinChange,
    ProposedUpdate,
    ReleaseLinks,
    UnrefreshedHash,
    VerificationStep,
)

# What GitHub would turn into a notification or a cross-reference.
LIVE_MENTION = re.compile(r"(?<![\w`])@[A-Za-z0-9]")
LIVE_ISSUE = re.compile(
    r"(?:^|[^\w])#[0-9]|[A-Za-z0-9_.\-]+/[A-Za-z0-9_.\-]+#[0-9]|\bGH-[0-9]", re.I
)


def update(**kw: object) -> ProposedUpdate:
    base: dict[str, object] = dict(
        name="atproto-pds",
        old_version="0.4.1",
        new_version="0.5.0",
        packages=("atproto-pds",),
        pins=(
            PinChange("pkgs/atproto/pds.nix", 12, "rev", "a" * 40, "b" * 40),
            PinChange("pkgs/atproto/pds.nix", 13, "hash", "sha256-old=", "sha256-new="),
        ),
        links=ReleaseLinks(
            release="https://github.com/bluesky/pds/releases/tag/v0.5.0",
            compare="https://github.com/bluesky/pds/compare/v0.4.1...v0.5.0",
            changelog="https://github.com/bluesky/pds/blob/v0.5.0/CHANGELOG.md",
        ),
        release_notes="## Changes\n- faster",
        verification=(VerificationStep("nix-build -A atproto-pds", True),),
    )
    base.update(kw)
    return ProposedUpdate(**base)  # type: ignore[arg-type]


def test_mentions_and_references_are_neutralised() -> None:
    notes = (
        "Thanks @alice and @org/team! Fixes #123, bluesky/pds#45 and GH-7.\n"
        "(@bob) [@carol](https://example.org) mail me: dev@example.org"
    )
    out = sanitize_notes(notes)
    assert not LIVE_MENTION.search(out), out
    assert not LIVE_ISSUE.search(out), out
    # The words stay readable: only an invisible character was added.
    assert out.replace(ZERO_WIDTH, "").startswith(
        "Thanks @alice and @org/team! Fixes #123, bluesky/pds#45 and GH-7."
    )


def test_entities_cannot_rebuild_mentions_or_tags() -> None:
    out = sanitize_notes("&#64;alice &#35;12 &lt;script&gt;alert(1)&lt;/script&gt; &amp;#64;bob")
    assert not LIVE_MENTION.search(out) and not LIVE_ISSUE.search(out)
    assert "<script" not in out.lower()
    # Whatever '&' remains is escaped, so GitHub shows it and never decodes it.
    assert re.search(r"&(?!amp;|lt;)", out) is None


def test_html_is_stripped() -> None:
    notes = '<img src=x onerror="alert(1)">Hello <b>bold</b> <details><summary>x</summary>y</details><!-- hidden @eve -->'
    out = sanitize_notes(notes)
    assert "<" not in out and "onerror" not in out and "eve" not in out
    assert "Hello bold" in out


def test_javascript_links_and_images_are_removed() -> None:
    notes = (
        "[click](javascript:alert(1)) ![pixel](https://tracker.example/p.gif) "
        "[docs](https://example.org/docs) [x](data:text/html;base64,AAAA)\n"
        "[ref]: javascript:alert(2)\n[good]: https://example.org/ok\n"
    )
    out = sanitize_notes(notes)
    assert "javascript:" not in out and "data:" not in out
    assert "tracker.example" not in out
    assert "[docs](https://example.org/docs)" in out
    assert "[good]: https://example.org/ok" in out
    assert "click" in out and "pixel" in out


def test_urls_keep_their_at_signs_and_github_links_do_not_backlink() -> None:
    out = sanitize_notes(
        "see https://tangled.org/@alice.dev/repo and https://github.com/a/b/issues/9"
    )
    assert "https://tangled.org/@alice.dev/repo" in out
    assert "https://redirect.github.com/a/b/issues/9" in out
    assert "https://github.com/a/b/issues/9" not in out


def test_notes_are_capped() -> None:
    out = sanitize_notes("line of notes\n" * 5000, limit=500)
    assert len(out) < 600
    assert out.endswith("(truncated)")


def test_safe_url_accepts_only_plain_http_urls() -> None:
    assert safe_url("https://example.org/a?b=1#c") == "https://example.org/a?b=1#c"
    assert safe_url("http://127.0.0.1:8080/github.com/o/r/releases") is not None
    for bad in (
        "javascript:alert(1)",
        "https://x/a)b",
        "https://x/ a",
        "ftp://x/y",
        "https://",
        "",
        None,
        "https://x/<b>",
    ):
        assert safe_url(bad) is None, bad


def test_code_spans_survive_backticks_and_pipes() -> None:
    assert code("a|b") == "`a\\|b`"
    assert code("x`y") == "``x`y``"
    assert code("`") == "`` ` ``"


def test_title() -> None:
    assert pull_title(update()) == "atproto-pds: 0.4.1 -> 0.5.0"
    # Two packages sharing a source (a unit named after the source group): both are named.
    shared = update(name="harbor", packages=("harbor-ingest", "harbor-fanout"))
    assert pull_title(shared) == "harbor-ingest, harbor-fanout: 0.4.1 -> 0.5.0"
    many = update(name="kit", packages=("a", "b", "c", "d", "e"))
    assert pull_title(many) == "a, b, c and 2 more: 0.4.1 -> 0.5.0"
    packageless = update(name="relay", packages=(), upstream="harbor-labs/relay")
    assert pull_title(packageless) == "harbor-labs/relay: 0.4.1 -> 0.5.0"
    hostile = pull_title(update(new_version="1.0 @admin #1\nnext line" + "x" * 500))
    assert "\n" not in hostile and len(hostile) <= 200
    assert not LIVE_MENTION.search(hostile) and not LIVE_ISSUE.search(hostile)


def test_body_has_every_section_and_the_metadata() -> None:
    u = update(
        packages=("atproto-pds", "atproto-pds-admin"),
        unrefreshed=(
            UnrefreshedHash("pkgs/atproto/pds.nix", 30, "aarch64-darwin", "no builder for @darwin"),
        ),
        verification=(
            VerificationStep("nix-build -A atproto-pds", True),
            VerificationStep("nix-build -A atproto-pds-admin", None, "skipped: shares the source"),
        ),
        release_notes="Fixes #99 thanks to @alice",
    )
    body = pull_body(u)
    assert "`0.4.1`" in body and "`0.5.0`" in body
    assert "[Release](https://github.com/bluesky/pds/releases/tag/v0.5.0)" in body
    assert "[Compare](https://github.com/bluesky/pds/compare/v0.4.1...v0.5.0)" in body
    assert "[Changelog](" in body
    assert "| `pkgs/atproto/pds.nix:12` | `rev` | `" + "a" * 40 + "` | `" + "b" * 40 + "` |" in body
    assert "| `pkgs/atproto/pds.nix:13` | `hash` | `sha256-old=` | `sha256-new=` |" in body
    assert "✅ passed" in body and "⏭️ not run" in body
    assert "`aarch64-darwin`" in body
    assert "`atproto-pds-admin`" in body
    assert not LIVE_MENTION.search(body.split("<!-- updater-metadata")[0])
    meta = parse_metadata(body)
    assert meta is not None
    assert (meta.name, meta.old_version, meta.new_version) == ("atproto-pds", "0.4.1", "0.5.0")
    assert meta.packages == ("atproto-pds", "atproto-pds-admin")
    assert [p.attribute for p in meta.pins] == ["rev", "hash"]


def test_an_unverified_update_says_so() -> None:
    assert "Nothing was built" in pull_body(update(verification=()))


def test_hostile_links_are_left_out() -> None:
    body = pull_body(
        update(links=ReleaseLinks(release="javascript:alert(1)", compare="https://x/a)[b]"))
    )
    assert "javascript" not in body and "[Compare]" not in body


def test_an_unclosed_code_fence_in_the_notes_stays_inside_the_quote() -> None:
    body = pull_body(update(release_notes="```\nunclosed fence"))
    notes_part = body.split("### Release notes")[1].split("### Changed pins")[0]
    assert all(line.startswith(">") for line in notes_part.strip().splitlines())


def test_huge_updates_fit_githubs_body_limit_and_keep_metadata() -> None:
    pins = tuple(
        PinChange(f"pkgs/org/p{i}.nix", i, "hash", "sha256-" + "o" * 44, "sha256-" + "n" * 44)
        for i in range(3000)
    )
    body = pull_body(update(pins=pins, release_notes="notes " * 50_000))
    assert len(body) <= MAX_BODY
    assert "more changed pins" in body
    meta = parse_metadata(body)
    assert meta is not None and meta.new_version == "0.5.0"


def test_hostile_shapes_are_sanitised_in_linear_time() -> None:
    import time

    samples = [
        "[a](" + " " * 50_000,
        "[" * 50_000,
        "[a](" + "(" * 50_000,
        "<" * 50_000,
        "<!--" * 25_000,
        "![" + "a" * 50_000 + "](",
        "@" * 50_000,
        "&#64;" * 20_000,
        "[x](" + "x" * 50_000 + ' "' + "t" * 40_000,
        "https://" + "a" * 90_000,
    ]
    for sample in samples:
        start = time.monotonic()
        sanitize_notes(sample)
        assert time.monotonic() - start < 2.0, sample[:20]


def test_files_a_script_changed_and_lock_copies_are_listed_inert() -> None:
    body = pull_body(
        update(
            pins=(),
            script_files=("pkgs/tool/version.json", "pkgs/tool/`@evil` #1.json"),
            copied=(("pkgs/crate/Cargo.lock", "Cargo.lock"),),
        )
    )
    assert "### Updated by its updateScript" in body
    assert "- `pkgs/tool/version.json`" in body
    assert "### Lock files refreshed" in body
    assert "- `pkgs/crate/Cargo.lock`, from the source's `Cargo.lock`" in body
    # A file name is shown as code, never as a mention or a reference.
    assert "``pkgs/tool/`@evil` #1.json``" in body
    assert not LIVE_MENTION.search(body.replace("``pkgs/tool/`@evil` #1.json``", ""))
