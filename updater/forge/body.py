"""The pull request's title and body.

Everything that comes from upstream (versions, release notes, URLs) is hostile: release notes
are reduced to inert Markdown (no HTML, no entities, no javascript: links, no images), and
@mentions and issue references are broken with an invisible character so that GitHub neither
notifies people nor cross-links other repositories' issues. Versions and pins go into code
spans, where GitHub renders nothing.
"""

from __future__ import annotations

import html
import re
from urllib.parse import urlsplit

from updater.forge.metadata import metadata_for, render_metadata
from updater.forge.models import (
    CommitRange,
    PinChange,
    ProposedUpdate,
    ReleaseLinks,
    SystemRefresh,
    UnrefreshedHash,
    UpdateMetadata,
    VerificationStep,
)

# GitHub refuses bodies over 65536 characters; stay well under it.
MAX_BODY = 60_000
MAX_TITLE = 200
NOTES_LIMIT = 3_000
# Work on at most this much of a release text: bounds the cost of hostile input.
_NOTES_INPUT_LIMIT = 100_000
_MAX_URL = 2_000

# Invisible, and not a username or number character: "@\u200buser" mentions nobody.
ZERO_WIDTH = "\u200b"

_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\u202a-\u202e\u2066-\u2069]")
_TAG = re.compile(r"<[^<>]*>")
# Link destinations may hold one level of balanced parentheses, as CommonMark allows.
_DESTINATION = r"((?:[^()\s]|\([^()\s]*\))*)"
_TITLE = r"(?:[ \t]{1,8}(?:\"[^\"\n]*\"|'[^'\n]*'|\([^()\n]*\)))?"
_IMAGE = re.compile(r"!\[([^\[\]\n]*)\]\([ \t]{0,8}" + _DESTINATION + _TITLE + r"[ \t]{0,8}\)")
_LINK = re.compile(r"\[([^\[\]\n]*)\]\([ \t]{0,8}" + _DESTINATION + _TITLE + r"[ \t]{0,8}\)")
# Scripting schemes left as plain text anywhere are broken too, in case a renderer links them.
_SCRIPT_SCHEME = re.compile(r"\b(javascript|vbscript|data)(\s*):", re.IGNORECASE)
_REFERENCE_DEF = re.compile(r"^[ ]{0,3}\[[^\]\n]+\]:[ \t]*<?(\S*?)>?(?:[ \t].*)?$", re.MULTILINE)
_URL = re.compile(r"https?://[^\s<>()\[\]\"'`]+", re.IGNORECASE)
_MENTION = re.compile(r"@(?=[A-Za-z0-9_])")
_ISSUE_REF = re.compile(r"#(?=[0-9])")
_GH_REF = re.compile(r"\b(GH)-(?=[0-9])", re.IGNORECASE)
_GITHUB_HOST = re.compile(r"^(https?://)(?:www\.)?github\.com(?=/)", re.IGNORECASE)
_SAFE_URL_CHARS = re.compile(r"^[A-Za-z0-9\-._~:/?#\[\]@!$&'*+,;=%]+$")


def safe_url(url: str | None) -> str | None:
    """`url` if it is a plain http(s) URL that cannot break out of a Markdown link, else None."""
    if not url or len(url) > _MAX_URL or not _SAFE_URL_CHARS.match(url):
        return None
    try:
        parts = urlsplit(url)
    except ValueError:
        return None
    if parts.scheme.lower() not in ("http", "https") or not parts.hostname:
        return None
    return url


def _no_backlink(url: str) -> str:
    """Links to github.com issues from a PR body make GitHub post a cross-reference there."""
    return _GITHUB_HOST.sub(r"\1redirect.github.com", url)


def _neutralise_refs(text: str) -> str:
    text = _MENTION.sub("@" + ZERO_WIDTH, text)
    text = _ISSUE_REF.sub("#" + ZERO_WIDTH, text)
    return _GH_REF.sub(r"\1" + ZERO_WIDTH + "-", text)


def _neutralise_outside_urls(text: str) -> str:
    """Mentions and references broken everywhere except inside URLs (tangled.org/@owner/...)."""
    out: list[str] = []
    pos = 0
    for match in _URL.finditer(text):
        out.append(_neutralise_refs(text[pos : match.start()]))
        out.append(_no_backlink(match.group(0)))
        pos = match.end()
    out.append(_neutralise_refs(text[pos:]))
    return "".join(out)


def _strip_comments(text: str) -> str:
    out: list[str] = []
    pos = 0
    while True:
        start = text.find("<!--", pos)
        if start < 0:
            out.append(text[pos:])
            return "".join(out)
        out.append(text[pos:start])
        end = text.find("-->", start + 4)
        if end < 0:
            return "".join(out)
        pos = end + 3


def _strip_html(text: str) -> str:
    """Comments and tags removed, entities decoded; repeated because decoding can make new tags."""
    for _ in range(5):
        before = text
        text = _TAG.sub("", _strip_comments(text))
        text = html.unescape(text)
        if text == before:
            break
    return text


def _links(text: str) -> str:
    def image(match: re.Match[str]) -> str:
        return match.group(1)

    def link(match: re.Match[str]) -> str:
        url = safe_url(match.group(2))
        label = match.group(1)
        return f"[{label}]({url})" if url else label

    def reference(match: re.Match[str]) -> str:
        return match.group(0) if safe_url(match.group(1)) else ""

    text = _IMAGE.sub(image, text)
    text = _LINK.sub(link, text)
    text = _REFERENCE_DEF.sub(reference, text)
    return _SCRIPT_SCHEME.sub(r"\1\2" + ZERO_WIDTH + ":", text)


def _escape_html(text: str) -> str:
    """Whatever `<` and `&` remain are shown as text, never parsed as tags or entities."""
    return text.replace("&", "&amp;").replace("<", "&lt;")


def _cap(text: str, limit: int) -> str:
    if len(text) <= limit:
        return text
    cut = text.rfind("\n", 0, limit)
    if cut < limit // 2:
        cut = limit
    return text[:cut].rstrip() + "\n\n… (truncated)"


def sanitize_notes(notes: str, limit: int = NOTES_LIMIT) -> str:
    """Release notes as inert Markdown, at most about `limit` characters."""
    text = notes[:_NOTES_INPUT_LIMIT].replace("\r\n", "\n").replace("\r", "\n")
    text = _CONTROL.sub("", text)
    text = _strip_html(text)
    text = _CONTROL.sub("", text)
    text = _links(text)
    text = _neutralise_outside_urls(text)
    text = _escape_html(text)
    text = re.sub(r"\n{3,}", "\n\n", text).strip()
    return _cap(text, limit)


def inline_text(text: str, limit: int = 300) -> str:
    """One line of untrusted text for prose: no markup, no mentions, bounded."""
    text = _CONTROL.sub("", " ".join(_strip_html(text[: limit * 4]).split()))
    text = _escape_html(_neutralise_outside_urls(text))
    return text if len(text) <= limit else text[: limit - 1] + "…"


def code(text: str, limit: int = 200) -> str:
    """`text` as a code span, safe inside a table cell."""
    text = _CONTROL.sub("", " ".join(text.split()))
    if len(text) > limit:
        text = text[: limit - 1] + "…"
    text = text.replace("|", "\\|")
    longest = max((len(run) for run in re.findall(r"`+", text)), default=0)
    fence = "`" * (longest + 1)
    pad = " " if text.startswith("`") or text.endswith("`") or not text else ""
    return f"{fence}{pad}{text}{pad}{fence}"


# Packages named in a title before the rest is counted.
TITLE_PACKAGES = 3


def title_subject(update: ProposedUpdate) -> str:
    """What a maintainer recognises: the packages (`a, b, c and 2 more`), else the upstream,
    else the unit's name."""
    packages = list(dict.fromkeys(update.packages))
    if packages:
        shown = ", ".join(packages[:TITLE_PACKAGES])
        rest = len(packages) - TITLE_PACKAGES
        return f"{shown} and {rest} more" if rest > 0 else shown
    return update.upstream or update.name


def pull_title(update: ProposedUpdate) -> str:
    """`a, b: old -> new`, one line of plain text with references broken."""
    raw = f"{title_subject(update)}: {update.old_version} -> {update.new_version}"
    text = _CONTROL.sub("", " ".join(raw.split()))
    text = _neutralise_refs(text)
    return text if len(text) <= MAX_TITLE else text[: MAX_TITLE - 1] + "…"


def _links_line(links: ReleaseLinks) -> str:
    parts = []
    for label, url in (
        ("Release", links.release),
        ("Compare", links.compare),
        ("Changelog", links.changelog),
    ):
        checked = safe_url(url)
        if checked:
            parts.append(f"[{label}]({checked})")
    return " · ".join(parts)


def _quote(text: str) -> str:
    # Inside a blockquote, an unclosed code fence in the notes ends with the quote.
    return "\n".join(f"> {line}" if line else ">" for line in text.split("\n"))


def _pin_table(pins: tuple[PinChange, ...], max_rows: int) -> str:
    rows = ["| Where | Pin | Old | New |", "| --- | --- | --- | --- |"]
    for pin in pins[:max_rows]:
        where = code(f"{pin.file}:{pin.line}")
        rows.append(f"| {where} | {code(pin.attribute)} | {code(pin.old)} | {code(pin.new)} |")
    if len(pins) > max_rows:
        rows.append(f"\n… and {len(pins) - max_rows} more changed pins.")
    return "\n".join(rows)


_COMMIT = re.compile(r"^[0-9a-f]{40}$")


def commit_range(commits: CommitRange | None, compare: str | None = None) -> str:
    """`` `abc1234` → `def5678` `` (with the new commit's date), linked to the compare view;
    empty when either end is not a commit id."""
    if commits is None or not _COMMIT.match(commits.old) or not _COMMIT.match(commits.new):
        return ""
    text = f"{code(commits.old[:7])} → {code(commits.new[:7])}"
    if commits.new_date is not None:
        text += f" ({commits.new_date:%Y-%m-%d})"
    url = safe_url(compare)
    return f"{text} · [compare]({url})" if url else text


def system_marks(systems: tuple[SystemRefresh, ...]) -> str:
    """One line: each system of the per-platform maps, refreshed or left as it was."""
    return ", ".join(
        f"{code(s.system)} {'✅ refreshed' if s.refreshed else '⏭️ not refreshed'}" for s in systems
    )


def _systems(systems: tuple[SystemRefresh, ...]) -> str:
    lines = []
    for s in systems:
        if s.refreshed:
            lines.append(f"- {code(s.system)}: ✅ refreshed, proven by Nix")
        else:
            reason = f": {inline_text(s.reason)}" if s.reason else ""
            lines.append(f"- {code(s.system)}: ⏭️ not refreshed, left as it was{reason}")
    return "\n".join(lines)


def _verification(steps: tuple[VerificationStep, ...]) -> str:
    if not steps:
        return "- Nothing was built or checked: review before merging."
    lines = []
    for step in steps:
        mark = {True: "✅ passed", False: "❌ failed", None: "⏭️ not run"}[step.passed]
        detail = f": {inline_text(step.detail)}" if step.detail else ""
        lines.append(f"- {mark} — {code(step.name)}{detail}")
    return "\n".join(lines)


def _unrefreshed(items: tuple[UnrefreshedHash, ...]) -> str:
    lines = []
    for item in items:
        reason = f": {inline_text(item.reason)}" if item.reason else ""
        lines.append(f"- {code(f'{item.file}:{item.line}')} {code(item.attribute)}{reason}")
    return "\n".join(lines)


def _metadata_block(meta: UpdateMetadata, budget: int) -> str:
    block = render_metadata(meta)
    if len(block) > budget:
        # The pins are a convenience; name and versions are what state rebuilding needs.
        block = render_metadata(
            UpdateMetadata(meta.name, meta.old_version, meta.new_version, meta.packages[:50], ())
        )
    return block


def _script_section(files: tuple[str, ...], max_rows: int = 50) -> str:
    """The files the package's own updateScript changed (the bot judged, not wrote, them)."""
    listed = "\n".join(f"- {code(f)}" for f in files[:max_rows])
    more = f"\n\n… and {len(files) - max_rows} more files." if len(files) > max_rows else ""
    return (
        "### Updated by its updateScript\n\n"
        "The package's own `passthru.updateScript` made this change, run as nixpkgs runs it; "
        "the bot checked that it changed only the package's files, did not lower the version "
        "and that the package evaluates with every fixed-output hash realised. "
        f"Files changed:\n\n{listed}{more}"
    )


def _file_sections(update: ProposedUpdate) -> list[str]:
    """Files the update changed that are no pins: a script's, lock file copies."""
    sections: list[str] = []
    if update.script_files:
        sections.append(_script_section(update.script_files))
    if update.copied:
        listed = "\n".join(
            f"- {code(f)}, from the source's {code(s)}" for f, s in update.copied[:50]
        )
        sections.append(
            "### Lock files refreshed\n\nCopies kept in this repository, replaced by the new "
            f"source's own:\n\n{listed}"
        )
    return sections


def _compose(update: ProposedUpdate, notes_limit: int, max_pin_rows: int) -> str:
    sections: list[str] = [
        f"Updates {code(update.name)} from {code(update.old_version)} to {code(update.new_version)}."
    ]
    others = [p for p in update.packages if p != update.name]
    if others:
        listed = ", ".join(code(p) for p in update.packages[:50])
        more = f" and {len(update.packages) - 50} more" if len(update.packages) > 50 else ""
        sections.append(f"Packages built from this source: {listed}{more}.")
    commits = commit_range(update.commits)
    if commits:
        sections.append(f"Commits: {commits}")
    links = _links_line(update.links)
    if links:
        sections.append(links)
    if update.release_notes and notes_limit > 0:
        notes = sanitize_notes(update.release_notes, notes_limit)
        if notes:
            sections.append("### Release notes\n\n" + _quote(notes))
    if update.pins:
        sections.append("### Changed pins\n\n" + _pin_table(update.pins, max_pin_rows))
    sections += _file_sections(update)
    sections.append("### Verification\n\n" + _verification(update.verification))
    if update.systems:
        sections.append("### Per-platform hashes\n\n" + _systems(update.systems))
    if update.unrefreshed:
        sections.append(
            "### Per-platform hashes not refreshed\n\n"
            "These hashes could not be proven on the bot's machine and were left unchanged:\n\n"
            + _unrefreshed(update.unrefreshed)
        )
    sections.append(
        "---\n*Opened by updater. A newer release updates this PR; closing it without merging "
        "declines this version. The hidden block below lets the bot find this PR again.*"
    )
    return "\n\n".join(sections)


def pull_body(update: ProposedUpdate) -> str:
    """The full PR body, at most MAX_BODY characters, metadata block last."""
    meta_block = _metadata_block(metadata_for(update), MAX_BODY // 3)
    budget = MAX_BODY - len(meta_block) - 2
    notes_limit, rows = NOTES_LIMIT, len(update.pins)
    text = _compose(update, notes_limit, rows)
    while len(text) > budget:
        if notes_limit > 0:
            notes_limit = 0
        elif rows > 0:
            rows = max(0, rows - max(1, (len(text) - budget) // 60 + 1))
        else:
            text = text[:budget]
            break
        text = _compose(update, notes_limit, rows)
    return f"{text}\n\n{meta_block}"
