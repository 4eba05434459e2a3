"""The bot's own directory in a package repository (`.updater/`: state, locks, scan cache).

Made on first use by whichever of them comes first, possibly by two runs at the same moment:
creating it must not fail because another process just did, and it keeps itself out of
`git status` (a `.gitignore` of its own) without touching the repository's tracked files.
"""

from __future__ import annotations

from pathlib import Path

NAME = ".updater"


def ensure_dir(path: Path) -> None:
    """`path` exists (made with its parents if needed); `.updater` directories ignore
    themselves."""
    path.mkdir(parents=True, exist_ok=True)
    ignore = path / ".gitignore"
    if path.name == NAME and not ignore.exists():
        ignore.write_text("*\n")
