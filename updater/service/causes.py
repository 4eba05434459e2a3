"""The status page's grouping: what state a row counts as, and which cause a failure has.

Failures are shown first and grouped by cause, so ten packages of one source behind one rate
limit read as one problem, not ten. A cause is a short label chosen from the error's wording;
an error of no known wording is its own cause (its first words, without the source's name, so
packages of one failing source still land together).
"""

from __future__ import annotations

import re
from typing import Literal

Category = Literal["failing", "pr open", "outdated", "up to date", "skipped"]
# In the order the page shows them: what needs a person first.
CATEGORIES: tuple[Category, ...] = ("failing", "pr open", "outdated", "up to date", "skipped")

_CATEGORY_OF_STATE: dict[str, Category] = {
    "failed": "failing",
    "error": "failing",
    "pr open": "pr open",
    "updated": "pr open",
    "outdated": "outdated",
    "up to date": "up to date",
    "skipped": "skipped",
    "pending": "skipped",
}

# (cause, pattern) in order: the first that matches names the cause.
_CAUSES: tuple[tuple[str, re.Pattern[str]], ...] = (
    ("backed off after repeated failures", re.compile(r"^backed off", re.I)),
    ("rate limited", re.compile(r"rate.?limit", re.I)),
    ("repository not found", re.compile(r"not found|\b404\b", re.I)),
    ("access denied", re.compile(r"\b40[13]\b|forbidden|unauthori[sz]ed|credentials", re.I)),
    ("upstream timed out", re.compile(r"timed? ?out|timeout", re.I)),
    ("upstream unreachable", re.compile(r"connect|unreachable|resolve|network|dns", re.I)),
    ("upstream server error", re.compile(r"\b5\d\d\b|server error", re.I)),
    ("hash mismatch not resolved", re.compile(r"hash mismatch|got:", re.I)),
    ("evaluation failed", re.compile(r"evaluat|nix-instantiate", re.I)),
    ("build failed", re.compile(r"build|nix-build|builder", re.I)),
    ("push or pull request failed", re.compile(r"push|pull request|\bPR\b", re.I)),
)
# A source id or a file location leading an error: `github:owner/repo: ...`, `pkgs/a.nix:3: ...`.
_LEAD = re.compile(r"^(?:[a-z-]+:[^\s:]+|[^\s:]+\.nix:\d+)(?::\s*|\s+)")


def category(state: str) -> Category:
    return _CATEGORY_OF_STATE.get(state, "skipped")


def cause(error: str | None) -> str:
    """A short label for what went wrong; errors of one kind share it."""
    text = " ".join((error or "").split())
    if not text:
        return "failed without a message"
    for label, pattern in _CAUSES:
        if pattern.search(text):
            return label
    rest = _LEAD.sub("", text, count=1)
    words = rest.split()
    short = " ".join(words[:8])
    if len(short) > 60:
        short = short[:60]
    return short if short == rest else short + "\u2026"
