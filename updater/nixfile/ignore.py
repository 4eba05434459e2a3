"""Which files of a repository the scan reads: every .nix file, less what git ignores.

`.gitignore` files (at the top and in subdirectories) are read with git's rules for the common
cases: `#` comments, `!` negation, a trailing `/` for directories, a leading or inner `/`
anchoring the pattern to its .gitignore's directory, `*`, `?`, `[..]` and `**`. The `exclude`
setting adds patterns of the same form, relative to the repository. Hidden directories (`.git`,
`.direnv`) and `result*` symlinks of nix-build are never read.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class _Rule:
    base: str  # directory of the .gitignore, repo-relative, "" at the top
    regex: re.Pattern[str]
    negated: bool
    directory_only: bool


def _translate(pattern: str) -> str:
    out = []
    i = 0
    while i < len(pattern):
        c = pattern[i]
        if pattern.startswith("**/", i):
            out.append("(?:.*/)?")
            i += 3
            continue
        if pattern.startswith("/**", i) and i + 3 == len(pattern):
            out.append("/.*")
            i += 3
            continue
        if pattern.startswith("**", i):
            out.append(".*")
            i += 2
            continue
        if c == "*":
            out.append("[^/]*")
        elif c == "?":
            out.append("[^/]")
        elif c == "[":
            end = pattern.find("]", i + 1)
            if end == -1:
                out.append(re.escape(c))
            else:
                out.append("[" + pattern[i + 1 : end].replace("!", "^", 1) + "]")
                i = end
        else:
            out.append(re.escape(c))
        i += 1
    return "".join(out)


def _rule(base: str, line: str) -> _Rule | None:
    line = line.rstrip("\n").rstrip("\r")
    if not line.strip() or line.startswith("#"):
        return None
    line = line.rstrip(" ")
    negated = line.startswith("!")
    if negated:
        line = line[1:]
    directory_only = line.endswith("/")
    line = line.rstrip("/")
    if not line:
        return None
    anchored = "/" in line
    line = line.lstrip("/")
    body = _translate(line)
    regex = ("^" if anchored else "^(?:.*/)?") + body + "$"
    return _Rule(base, re.compile(regex), negated, directory_only)


def rules_of(base: str, lines: Iterable[str]) -> list[_Rule]:
    return [r for r in (_rule(base, line) for line in lines) if r is not None]


def _ignored(rules: list[_Rule], rel: str, is_dir: bool) -> bool:
    verdict = False
    for rule in rules:
        if rule.directory_only and not is_dir:
            continue
        if rule.base:
            if not rel.startswith(rule.base + "/"):
                continue
            inner = rel[len(rule.base) + 1 :]
        else:
            inner = rel
        if rule.regex.match(inner):
            verdict = not rule.negated
    return verdict


def nix_files(repo: Path, exclude: Iterable[str] = ()) -> Iterator[str]:
    """Repo-relative paths of the .nix files to scan, in a stable order."""
    rules = rules_of("", exclude)
    yield from _walk(repo, "", rules)


def _walk(repo: Path, rel_dir: str, rules: list[_Rule]) -> Iterator[str]:
    directory = repo / rel_dir if rel_dir else repo
    ignore_file = directory / ".gitignore"
    if ignore_file.is_file():
        try:
            text = ignore_file.read_text("utf-8", "replace")
        except OSError:
            text = ""
        rules = [*rules, *rules_of(rel_dir, text.splitlines())]
    try:
        entries = sorted(directory.iterdir(), key=lambda p: p.name)
    except OSError:
        return
    for entry in entries:
        name = entry.name
        rel = f"{rel_dir}/{name}" if rel_dir else name
        if name.startswith(".") or (name.startswith("result") and entry.is_symlink()):
            continue
        if entry.is_dir() and not entry.is_symlink():
            if not _ignored(rules, rel, True):
                yield from _walk(repo, rel, rules)
        elif name.endswith(".nix") and entry.is_file() and not _ignored(rules, rel, False):
            yield rel
