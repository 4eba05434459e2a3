"""Lock files a package keeps a copy of in the repository, refreshed from the new source.

`cargoLock.lockFile = ./Cargo.lock`, `cp ${./package-lock.json} package-lock.json`: a copy of
the upstream's lock (kept in the repository so evaluation does not read the fetched source),
or a lock made or fixed for this package. Only the first kind may be replaced by the new
source's, and which kind a copy is can be proven: it is byte for byte the old source's file of
the same name (at its root, else the only one within three levels). So the old source is
realised before any edit, and once the source hash is known (before any dependency hash, which
is computed from the lock) the new one is, and each proven copy is replaced by its new
counterpart. A copy that is not the old source's, or that the new source has no counterpart
of, cannot be shown current: the update fails with that reason, unless `--build` shows the
package builds with it as it is.
"""

from __future__ import annotations

import hashlib
import os
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from updater.engine.plan import UpdatePlan
from updater.engine.settings import EngineSettings
from updater.errors import NixError, VerificationError
from updater.nix.fixing import build
from updater.nix.runner import Installable

_DEPTH = 3


@dataclass(frozen=True)
class LockCopy:
    file: str  # the copy, a repository path
    found: str | None  # where in the new source its counterpart is; None: nowhere
    changed: bool = False
    sha256: str = ""  # of what the copy holds now (verification compares the file with it)
    why: str = ""  # for a copy kept as it is: why it was not refreshed


def digest(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _counterpart(src: Path, name: str) -> Path | None:
    top = src / name
    if top.is_file():
        return top
    hits: list[Path] = []
    for here, dirs, files in os.walk(src):
        depth = len(Path(here).relative_to(src).parts)
        if depth >= _DEPTH:
            dirs.clear()
        dirs[:] = [d for d in dirs if not d.startswith(".") and d != "node_modules"]
        if name in files:
            hits.append(Path(here) / name)
    return hits[0] if len(hits) == 1 else None


def _sources(root: Path, plan: UpdatePlan, settings: EngineSettings) -> list[Path]:
    srcs = [Installable(root, f"{p}.src", settings.mode) for p in plan.unit.packages]
    out: list[Path] = []
    for src in srcs:
        try:
            out += [Path(p) for p in build(settings.runner, [src])]
        except NixError:
            continue  # a package without `src` of its own (or one that does not evaluate)
    if not out:
        raise NixError(
            f"{', '.join(plan.lock_copies)}: cannot realise the package's source to tell "
            "whether this lock file is a copy of its own"
        )
    return out


def _find(sources: list[Path], name: str) -> tuple[Path, str] | None:
    """The counterpart of `name` in the sources, and its path inside its source."""
    for s in sources:
        hit = _counterpart(s, name)
        if hit is not None:
            return hit, hit.relative_to(s).as_posix()
    return None


def proven_copies(root: Path, plan: UpdatePlan, settings: EngineSettings) -> frozenset[str]:
    """Before any edit: the plan's lock copies that are byte for byte the old source's."""
    if not plan.lock_copies:
        return frozenset()
    sources = _sources(root, plan, settings)
    proven = set()
    for rel in plan.lock_copies:
        found = _find(sources, PurePosixPath(rel).name)
        if found is not None and found[0].read_bytes() == (root / rel).read_bytes():
            proven.add(rel)
    return frozenset(proven)


def _kept(root: Path, rel: str, why: str, settings: EngineSettings) -> LockCopy:
    """A copy left as it is: only when `--build` will show the package builds with it."""
    if not settings.build:
        raise VerificationError(
            f"{rel}: {why}, so the package may build with the old version's dependencies; "
            "run with --build to prove it builds as it is, or set [packages.X] "
            'update_script = "prefer"'
        )
    return LockCopy(rel, None, sha256=digest((root / rel).read_bytes()), why=why)


def refresh_lock_copies(
    root: Path, plan: UpdatePlan, settings: EngineSettings, proven: frozenset[str]
) -> tuple[LockCopy, ...]:
    """Replace each proven lock copy of the plan by its counterpart in the new source."""
    if not plan.lock_copies:
        return ()
    sources = _sources(root, plan, settings)
    out: list[LockCopy] = []
    for rel in plan.lock_copies:
        name = PurePosixPath(rel).name
        if rel not in proven:
            why = f"it is not the old source's {name} (a lock made or fixed for this package)"
            out.append(_kept(root, rel, why, settings))
            continue
        found = _find(sources, name)
        if found is None:
            why = f"the new source has no {name} to refresh it from"
            out.append(_kept(root, rel, why, settings))
            continue
        hit, inside = found
        path = root / rel
        new = hit.read_bytes()
        changed = path.read_bytes() != new
        if changed:
            path.write_bytes(new)
        out.append(LockCopy(rel, inside, changed, digest(new)))
    return tuple(out)
