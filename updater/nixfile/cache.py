"""A repository's scan, kept beside its state and reused while nothing the scan read changed.

The scan of a 1,000-file repository takes a second or two, and most runs find every file as
the last one did. `scan_cached` answers those from `.updater/scan-cache.json` when its key
matches: the key covers the content of every file the scan would read (every .nix file that
git does not ignore, and the npins documents beside them), the options, the repository path
and the scan's own code, so a changed byte anywhere means a fresh scan. A changed file still
costs a whole scan: resolution across files (a let-bound `src` passed to eleven packages)
makes every file's pins depend on others, and the parsed trees do not outlive the scan.

JSON, not pickle: the cache sits in the package repository, and a file there must never be
able to run code when it is read. The scratch worktrees of updates scan without it.
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Iterable
from functools import cache
from pathlib import Path

from pydantic import TypeAdapter, ValidationError

from updater.botdir import ensure_dir
from updater.logs import get_logger
from updater.nixfile.ignore import nix_files
from updater.nixfile.managed import managed_inputs
from updater.nixfile.model import ScanResult

CACHE_FILE = Path(".updater") / "scan-cache.json"
# Bumped when the file's layout changes; the code digest covers changes of the scan itself.
_LAYOUT = "1"


@cache
def _adapter() -> TypeAdapter[ScanResult]:
    return TypeAdapter(ScanResult)


@cache
def _code_digest() -> str:
    h = hashlib.sha256()
    for path in sorted(Path(__file__).parent.glob("*.py")):
        h.update(path.name.encode())
        h.update(path.read_bytes())
    return h.hexdigest()


def scan_key(repo: Path, pkgs_dir: str, exclude: Iterable[str]) -> str:
    """What the scan of `repo` depends on, as one digest."""
    h = hashlib.sha256()
    for part in (_LAYOUT, _code_digest(), str(repo), pkgs_dir, *sorted(exclude)):
        h.update(part.encode() + b"\0")
    rels = list(nix_files(repo, exclude))
    for rel in [*rels, *managed_inputs(repo, rels)]:
        h.update(rel.encode() + b"\0")
        try:
            h.update(hashlib.sha256((repo / rel).read_bytes()).digest())
        except OSError as exc:  # the scan reports it; the key only has to differ
            h.update(f"unreadable {exc.errno}".encode())
    return h.hexdigest()


def scan_cached(
    repo: Path, pkgs_dir: str = "pkgs", exclude: Iterable[str] = (), *, keep: bool = True
) -> ScanResult:
    """`scan_repository(repo, pkgs_dir, exclude)`, from the cache when nothing changed; a fresh
    scan is kept for the next time unless `keep` is false (a command that writes nothing)."""
    exclude = tuple(exclude)
    key = scan_key(repo, pkgs_dir, exclude)
    path = repo / CACHE_FILE
    found = _load(path, key)
    if found is not None:
        return found
    # Imported on a miss only: the parser and its grammar are the slowest imports of a scan.
    from updater.nixfile.repository import scan_repository

    result = scan_repository(repo, pkgs_dir, exclude)
    if keep:
        _store(path, key, result)
    return result


def _load(path: Path, key: str) -> ScanResult | None:
    try:
        with path.open("rb") as f:
            head = f.readline().strip().decode("ascii", "replace")
            if head != key:
                return None
            return _adapter().validate_json(f.read())
    except (OSError, ValidationError, ValueError) as exc:
        if not isinstance(exc, FileNotFoundError):
            get_logger("nixfile.cache").debug("scan_cache.unreadable", reason=str(exc)[:200])
        return None


def _store(path: Path, key: str, result: ScanResult) -> None:
    """Written whole or not at all (a temporary file renamed); a repository the bot may not
    write to just goes without the cache."""
    try:
        ensure_dir(path.parent)
        tmp = path.with_name(f".{path.name}.{os.getpid()}")
        tmp.write_bytes(key.encode() + b"\n" + _adapter().dump_json(result))
        tmp.replace(path)
    except OSError as exc:
        get_logger("nixfile.cache").debug("scan_cache.not_written", reason=str(exc)[:200])
