"""From the engine's UpdateResult to the forge's ProposedUpdate: the PR's name, pins, links,
verification and the per-platform hashes left alone.

The PR's name is the tail of the engine's branch (`updater/<name>`), so the branch the engine
created locally and the one pushed and found again on the forge are the same. Links to the
release page and the compare view are built only for forges whose URL shapes are known (the
upstream's own release page is preferred when it lies in the source's repository); the body
layer validates every URL again before rendering it, and sanitises the release notes.
"""

from __future__ import annotations

import re
from urllib.parse import urlsplit

from updater.config import Config
from updater.engine.result import UpdateResult
from updater.engine.units import Unit
from updater.forge.models import (
    CommitRange,
    PinChange,
    ProposedUpdate,
    ReleaseLinks,
    UnrefreshedHash,
    VerificationStep,
)
from updater.nixfile.model import PinKind
from updater.weblinks import Repository, repository_of_group

_UNSAFE = re.compile(r"[^A-Za-z0-9._-]+")
_COMMIT = re.compile(r"^[0-9a-f]{40}$")


def group_of(unit: str) -> str:
    """The source group of a unit id (`host/owner/repo`, without a `#strand`)."""
    return unit.split("#", 1)[0]


def _upstream_name(unit: str) -> str:
    """`owner/repo` of the unit's source group (`host/owner/repo`)."""
    parts = group_of(unit).strip("/").split("/")
    return "/".join(parts[-2:]) if len(parts) >= 3 else group_of(unit)


def name_of(result: UpdateResult, branch_prefix: str) -> str:
    """The PR's name: the tail of the engine's branch; for a dry run (no branch) the same name
    computed the way the engine names branches (engine/message.py)."""
    if result.branch and result.branch.startswith(branch_prefix):
        return result.branch[len(branch_prefix) :]
    group = group_of(result.unit)
    repo_name = group.rstrip("/").rsplit("/", 1)[-1] or None
    label = Unit(result.unit, group, result.packages, (), repo_name).label
    return _UNSAFE.sub("-", label.lstrip("@")).strip("-.") or "update"


def repository_of(unit: str, config: Config) -> Repository | None:
    """The upstream repository of a unit, when its forge's web pages are known."""
    return repository_of_group(group_of(unit), {host: f.type for host, f in config.forges.items()})


def _upstream_page(url: str | None, host: str, path: str) -> str | None:
    """The release page the upstream named, when it is an https page of the source's own
    repository (a hostile upstream could name any site; then the link is built instead)."""
    if not url:
        return None
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:
        return None
    prefix = f"/{path.strip('/').lower()}/"
    if (
        parts.scheme != "https"
        or (parts.hostname or "").lower() != host.lower()
        or port is not None
        or parts.username is not None
        or not parts.path.lower().startswith(prefix)
    ):
        return None
    return url


def release_links(result: UpdateResult, config: Config) -> ReleaseLinks:
    repo = repository_of(result.unit, config)
    if repo is None:
        return ReleaseLinks()
    release = _upstream_page(result.release_url, repo.host, f"{repo.owner}/{repo.name}")
    if release is None:
        release = repo.release(result.tag)
    compare = None
    moved = [c for c in result.changes if c.kind in (PinKind.REV, PinKind.TAG)]
    if moved:
        compare = repo.compare(moved[0].old, moved[0].new)
    return ReleaseLinks(release=release, compare=compare)


def commit_range(result: UpdateResult) -> CommitRange | None:
    """For a commit pin: the upstream commits it moves between."""
    moved = [c for c in result.changes if c.kind is PinKind.REV]
    for c in moved:
        if _COMMIT.match(c.old.lower()) and _COMMIT.match(c.new.lower()):
            return CommitRange(c.old.lower(), c.new.lower())
    return None


def _attribute(change_attr: str, kind: PinKind) -> str:
    return change_attr or kind.value


def proposal_of(result: UpdateResult, name: str, config: Config) -> ProposedUpdate:
    """What the PR proposes for a successful update."""
    steps = [
        VerificationStep(
            "nix evaluation of the updated packages", result.verified, result.verify_note
        ),
        VerificationStep(
            "nix build of every updated package",
            True if result.built else None,
            "" if result.built else "run with --build to build them",
        ),
    ]
    if result.builds:
        steps.insert(
            0,
            VerificationStep(
                "hashes computed by Nix", True, f"{result.builds} fixed-output build(s)"
            ),
        )
    return ProposedUpdate(
        name=name,
        old_version=result.old or "?",
        new_version=result.new or "?",
        packages=result.packages,
        upstream=_upstream_name(result.unit),
        pins=tuple(
            PinChange(
                c.location.file,
                c.location.line,
                _attribute(c.attr, c.kind),
                c.old,
                c.new,
                c.system,
            )
            for c in result.changes
        ),
        links=release_links(result, config),
        release_notes=result.release_notes,
        verification=tuple(steps),
        unrefreshed=tuple(
            UnrefreshedHash(h.location.file, h.location.line, h.system or "?", h.reason)
            for h in result.not_refreshed
        ),
        commits=commit_range(result),
        script_files=result.script_files,
        copied=tuple((c.file, c.source) for c in result.copied),
    )
