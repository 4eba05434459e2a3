"""Lock files a package keeps a copy of in the repository, refreshed from the new source.

`cargoLock.lockFile = ./Cargo.lock`, `cp ${./package-lock.json} package-lock.json`: the copy is
the upstream's lock of the pinned version (or one made for an upstream that has none). Moving
the source without it leaves the build on the old version's dependencies, which evaluation
does not notice. So once the source hash is known (before any dependency hash, which is
computed from the lock), the new source is realised and each copy is replaced by the file of
the same name in it: at its root, else the one such file within three levels. A copy the new
source has no counterpart of cannot be proven current: the update fails with that reason,
unless `--build` shows the package builds with the copy as it is.
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


def _new_sources(root: Path, plan: UpdatePlan, settings: EngineSettings) -> list[Path]:
    srcs = [Installable(root, f"{p}.src", settings.mode) for p in plan.unit.packages]
    out: list[Path] = []
    for src in srcs:
        try:
            out += [Path(p) for p in build(settings.runner, [src])]
        except NixError:
            continue  # a package without `src` of its own (or one that does not evaluate)
    if not out:
        raise NixError(
            f"{', '.join(plan.lock_copies)}: cannot realise the new source to refresh "
            "this lock file copied into the repository"
        )
    return out


def refresh_lock_copies(
    root: Path, plan: UpdatePlan, settings: EngineSettings
) -> tuple[LockCopy, ...]:
    """Replace each lock copy of the plan by its counterpart in the new source."""
    if not plan.lock_copies:
        return ()
    sources = _new_sources(root, plan, settings)
    out: list[LockCopy] = []
    for rel in plan.lock_copies:
        name = PurePosixPath(rel).name
        hit = next((h for s in sources if (h := _counterpart(s, name)) is not None), None)
        if hit is None:
            if not settings.build:
                raise VerificationError(
                    f"{rel}: the new source has no {name} to refresh this copy from, so the "
                    "package may build with the old version's dependencies; run with --build "
                    'to prove it builds as it is, or set [packages.X] update_script = "prefer"'
                )
            out.append(LockCopy(rel, None, sha256=digest((root / rel).read_bytes())))
            continue
        found = next(
            (hit.relative_to(s).as_posix() for s in sources if hit.is_relative_to(s)), name
        )
        path = root / rel
        new = hit.read_bytes()
        changed = path.read_bytes() != new
        if changed:
            path.write_bytes(new)
        out.append(LockCopy(rel, found, changed, digest(new)))
    return tuple(out)
