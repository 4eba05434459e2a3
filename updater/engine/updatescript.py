"""A package the bot cannot update natively, updated by its own `passthru.updateScript`.

Run as nixpkgs' maintainers/scripts/update.py runs it: in a scratch worktree of the package
repository (evaluable as `import ./. { }`), with UPDATE_NIX_NAME, UPDATE_NIX_PNAME,
UPDATE_NIX_OLD_VERSION and UPDATE_NIX_ATTR_PATH, a timeout, and none of the bot's tokens in its
environment (nix/update_script.py, through the runner's allow-list). With
`supportedFeatures = [ "commit" ]` its standard output is the JSON list of
{attrPath, oldVersion, newVersion, files, commitMessage} it changed.

Its result is judged like any update before a branch is kept: it changed only files of that
package's tree (the package file, and the directory it lives in when that directory is the
package's own), the version did not go down, the repository still scans and the package
evaluates, and every fixed-output derivation of the package that changed is realised and holds
its hash (verify.prove_fods). A script that fails, hangs or misbehaves is that package's
failure, with the user's checkout untouched.
"""

from __future__ import annotations

import json
import re
import time
from dataclasses import dataclass, replace
from pathlib import Path, PurePosixPath

from updater.engine.fodsweep import baseline, suspects
from updater.engine.result import Outcome, UpdateResult
from updater.engine.settings import EngineSettings
from updater.engine.units import script_unit
from updater.engine.workspace import workspace
from updater.errors import NixError, UpdaterError
from updater.gitops.command import run_git
from updater.gitops.commit import commit
from updater.nix import update_script
from updater.nix.closure import StaleHash, closure_of, prove
from updater.nix.fixing import build
from updater.nix.inspect import drv_paths, inspect_many
from updater.nix.runner import Installable
from updater.nixfile.repository import scan_repository
from updater.version.compare import compare_versions

_VERSION = re.compile(r"[A-Za-z0-9][A-Za-z0-9._+~-]{0,80}")
_UNSAFE = re.compile(r"[^A-Za-z0-9._-]+")


class ScriptRefused(UpdaterError):
    """The updateScript's result is not an update the bot delivers."""


@dataclass(frozen=True)
class _Reported:
    new_version: str | None
    message: str | None
    files: tuple[str, ...]


def package_tree(pkg_file: str) -> tuple[str, ...]:
    """What a package's updateScript may change: its file, and its directory when the
    directory is the package's own (`<name>/default.nix`, by-name `package.nix`)."""
    path = PurePosixPath(pkg_file)
    if path.name in ("default.nix", "package.nix") and str(path.parent) not in ("", ".", "pkgs"):
        return (f"{path.parent}/",)
    return (pkg_file,)


def _inside(rel: str, tree: tuple[str, ...]) -> bool:
    return any(rel == t or (t.endswith("/") and rel.startswith(t)) for t in tree)


def _changed(root: Path) -> list[str]:
    # -z: paths as they are (no quoting of unusual names a script may have written).
    args = ["status", "--porcelain", "-z", "--untracked-files=all", "--no-renames"]
    out = run_git(args, root).stdout
    return sorted(entry[3:] for entry in out.split("\0") if entry.strip())


def _clean_line(text: object, limit: int = 200) -> str | None:
    if not isinstance(text, str) or not text.strip():
        return None
    first = text.strip().splitlines()[0]
    return "".join(c for c in first if c.isprintable())[:limit] or None


def _reported(stdout: str, attr: str, root: Path) -> _Reported:
    """The commit feature's JSON: one entry for this attribute."""
    try:
        entries = json.loads(stdout)
    except ValueError:
        raise ScriptRefused(
            f"{attr}: its updateScript promised commit JSON and printed none"
        ) from None
    if not isinstance(entries, list):
        raise ScriptRefused(f"{attr}: its updateScript's commit JSON is not a list")
    if not entries:
        return _Reported(None, None, ())
    entry = entries[0]
    if len(entries) != 1 or not isinstance(entry, dict):
        raise ScriptRefused(f"{attr}: its updateScript reported {len(entries)} updates, not one")
    files = entry.get("files", [])
    if not isinstance(files, list) or not all(isinstance(f, str) for f in files):
        raise ScriptRefused(f"{attr}: its updateScript's 'files' is not a list of paths")
    rels = []
    for f in files:
        p = Path(f)
        full = p if p.is_absolute() else root / p
        try:
            rels.append(full.resolve().relative_to(root.resolve()).as_posix())
        except ValueError:
            raise ScriptRefused(
                f"{attr}: its updateScript names a file outside the repository: {f[:120]}"
            ) from None
    new = entry.get("newVersion")
    return _Reported(
        new if isinstance(new, str) else None, _clean_line(entry.get("commitMessage")), tuple(rels)
    )


def run_update_script(
    repo: Path,
    attr: str,
    settings: EngineSettings,
    *,
    timeout: float | None = None,
) -> UpdateResult:
    """Update package `attr` of `repo` with its updateScript; never raises an UpdaterError."""
    started = time.monotonic()
    unit = script_unit(attr).id
    try:
        result = _run(repo, attr, settings, timeout or settings.update_script_timeout, unit)
    except ScriptRefused as exc:
        result = UpdateResult(unit, (attr,), Outcome.FAILED, reason=str(exc))
    except UpdaterError as exc:
        tail = exc.log_tail if isinstance(exc, NixError) else ""
        result = UpdateResult(unit, (attr,), Outcome.FAILED, reason=str(exc), log_tail=tail)
    settings.on_step(unit, result.outcome.value)
    return replace(result, seconds=time.monotonic() - started)


@dataclass(frozen=True)
class _Ran:
    changed: list[str]
    reported: _Reported


def _execute(
    info: update_script.ScriptInfo,
    attr: str,
    root: Path,
    tree: tuple[str, ...],
    settings: EngineSettings,
    timeout: float,
) -> _Ran:
    """Run the script; refuse a hang, a failure, and a file changed outside the package."""
    ran = update_script.run(settings.runner, info, attr, root, timeout)
    if ran.timed_out:
        raise ScriptRefused(f"{attr}: its updateScript did not finish in {timeout:g} s (killed)")
    if not ran.result.ok:
        lines = ran.result.stderr.strip().splitlines() or [f"exit code {ran.result.returncode}"]
        raise NixError(f"{attr}: its updateScript failed: {lines[-1][:300]}", ran.result.tail())
    changed = _changed(root)
    outside = [f for f in changed if not _inside(f, tree)]
    if outside:
        raise ScriptRefused(
            f"{attr}: its updateScript changed files outside the package ({', '.join(tree)}): "
            f"{', '.join(outside[:5])}"
        )
    reported = _Reported(None, None, ())
    if "commit" in info.supported_features:
        reported = _reported(ran.result.stdout, attr, root)
        stray = [f for f in reported.files if not _inside(f, tree)]
        if stray:
            raise ScriptRefused(
                f"{attr}: its updateScript reports files outside the package: {', '.join(stray[:5])}"
            )
    return _Ran(changed, reported)


def _judge(
    attr: str,
    root: Path,
    settings: EngineSettings,
    old_version: str,
    reported: _Reported,
    base: frozenset[str],
) -> tuple[str, int]:
    """The new version (no downgrade, what the script said) and the FODs proved."""
    runner = settings.runner
    scan_repository(root, settings.pkgs_dir)  # still readable as a whole
    now = inspect_many(runner, root, [attr], settings.mode).get(attr)
    if now is None:
        raise ScriptRefused(f"{attr}: does not evaluate after its updateScript ran")
    new_version = now.version or ""
    if reported.new_version is not None and reported.new_version != new_version:
        raise ScriptRefused(
            f"{attr}: its updateScript reports version {reported.new_version[:40]!r}, "
            f"the package now evaluates to {new_version[:40]!r}"
        )
    if not _VERSION.fullmatch(new_version):
        raise ScriptRefused(f"{attr}: the new version {new_version[:40]!r} is not a version")
    if old_version and compare_versions(new_version, old_version) < 0:
        raise ScriptRefused(
            f"{attr}: its updateScript downgrades it ({old_version} -> {new_version})"
        )
    closure = closure_of(runner, drv_paths(runner, [Installable(root, attr, settings.mode)]))
    try:
        proved = prove(runner, suspects(closure, base, frozenset()), settings.build_locks)
    except StaleHash as exc:
        raise ScriptRefused(f"{attr}: after its updateScript: {exc}") from None
    return new_version, len(proved)


def _package_file(
    root: Path, attr: str, info: update_script.ScriptInfo, settings: EngineSettings
) -> str:
    """The file defining the package: its meta.position, else the scan's export."""
    if info.position:
        where = Path(info.position.rsplit(":", 1)[0])
        try:
            return where.resolve().relative_to(root.resolve()).as_posix()
        except ValueError:
            pass
    refs = scan_repository(root, settings.pkgs_dir).packages
    ref = next((p for p in refs if p.name == attr), None)
    if ref is None:
        raise ScriptRefused(f"{attr}: cannot tell which file defines it (no meta.position)")
    return ref.file


def _staged_diff(root: Path, changed: list[str]) -> str:
    """What the script changed, as a diff (new and removed files included)."""
    run_git(["add", "--all", "--", *changed], root)
    return run_git(["diff", "--cached", "--no-color", "--no-ext-diff"], root).stdout


def _run(
    repo: Path, attr: str, settings: EngineSettings, timeout: float, unit: str
) -> UpdateResult:
    runner = settings.runner
    with workspace(repo, settings.base_ref, dry_run=settings.dry_run) as ws:
        root = ws.path
        info = update_script.describe(runner, root, attr)
        if not info.found:
            raise ScriptRefused(f"{attr}: has no passthru.updateScript")
        tree = package_tree(_package_file(root, attr, info, settings))
        base = baseline(runner, [Installable(root, attr, settings.mode)])
        settings.on_step(unit, "running its updateScript")
        ran = _execute(info, attr, root, tree, settings, timeout)
        if not ran.changed:
            return UpdateResult(
                unit, (attr,), Outcome.SKIPPED, reason="its updateScript changed nothing"
            )
        old_version = info.version or ""
        new_version, proved = _judge(attr, root, settings, old_version, ran.reported, base)
        message = ran.reported.message or f"{attr}: {old_version} -> {new_version}"
        message += "\n\nUpdated by the package's passthru.updateScript."
        diff = _staged_diff(root, ran.changed)
        if settings.build:
            settings.on_step(unit, "building")
            build(runner, [Installable(root, attr, settings.mode)])
        sha = branch = None
        if not settings.dry_run:
            sha = commit(root, message, settings.identity, ran.changed)
            branch = f"{settings.branch_prefix}{_UNSAFE.sub('-', attr).strip('-.') or 'update'}"
            ws.keep_as(branch)
        return UpdateResult(
            unit,
            (attr,),
            Outcome.UPDATED,
            old=old_version,
            new=new_version,
            verified=True,
            built=settings.build,
            commit=sha,
            branch=branch,
            base=ws.base,
            message=message,
            diff=diff,
            script_files=tuple(ran.changed),
            fods_proved=proved,
        )
