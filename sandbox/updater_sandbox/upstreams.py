"""Upstream git repositories for the world: real bare repos with deterministic commits and tags.

Commits are written with `git fast-import` (one process per batch, fast enough to create every
upstream in a fraction of a second) with a fixed identity and dates derived from a per-upstream
counter, so a spec yields the same SHAs on every machine. Each commit is a full snapshot
rendered by `spec.render_tree`.
"""

from __future__ import annotations

import os
import subprocess
import tempfile
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Protocol

from updater.errors import GitError
from updater_sandbox import nar
from updater_sandbox.spec import (
    DAY,
    EPOCH,
    LOCK_RULES,
    Kind,
    Project,
    Step,
    UpstreamSpec,
    archive_view,
    asset_bytes,
    asset_tree,
    deps_view,
    render_tree,
)

_GIT_TIMEOUT = 60.0
AUTHOR = "Upstream Maintainer <maintainer@upstream.example>"
TAGGER = "Release Bot <release-bot@upstream.example>"


class ReleaseRegistry(Protocol):
    """The part of the local forge the upstreams need (see updater_sandbox.forge.LocalForge)."""

    def add_release(
        self,
        host: str,
        owner: str,
        repo: str,
        tag: str,
        *,
        name: str | None = None,
        body: str = "",
        prerelease: bool = False,
        draft: bool = False,
        published_at: datetime | None = None,
        created_at: datetime | None = None,
        make_latest: bool | None = None,
    ) -> object: ...

    def add_asset(
        self, host: str, owner: str, repo: str, tag: str, name: str, data: bytes
    ) -> str: ...


@dataclass(frozen=True)
class Commit:
    """One commit an upstream holds, with what the world knows about its tree."""

    sha: str
    index: int  # 0-based position in the upstream's history
    version: str
    deps: int
    tag: str | None
    tree: Mapping[str, nar.TreeFile]
    date: datetime


def _git_env() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("GIT_")}
    env["GIT_CONFIG_NOSYSTEM"] = "1"
    env["GIT_CONFIG_GLOBAL"] = os.devnull
    return env


def _git(args: list[str], *, cwd: Path | None = None, stdin: bytes | None = None) -> str:
    try:
        proc = subprocess.run(
            ["git", *args],
            cwd=cwd,
            input=stdin,
            capture_output=True,
            timeout=_GIT_TIMEOUT,
            env=_git_env(),
            check=False,
        )
    except subprocess.TimeoutExpired as exc:
        raise GitError(f"git {args[0]} timed out in {cwd}") from exc
    if proc.returncode != 0:
        err = proc.stderr.decode(errors="replace").strip().splitlines()
        raise GitError(f"git {args[0]} failed in {cwd}: {err[-1] if err else proc.returncode}")
    return proc.stdout.decode()


def _data(payload: bytes) -> bytes:
    return b"data %d\n" % len(payload) + payload + b"\n"


_BARE_CONFIG = """[core]
\trepositoryformatversion = 0
\tfilemode = true
\tbare = true
[http]
\treceivepack = true
"""


def init_bare(path: Path) -> None:
    """What `git init --bare --initial-branch=main` writes, without a process per repository
    (the world creates a score of them and must start in well under two seconds)."""
    if path.exists():
        raise GitError(f"{path}: already exists")
    for sub in ("objects/info", "objects/pack", "refs/heads", "refs/tags", "info"):
        (path / sub).mkdir(parents=True)
    (path / "HEAD").write_text("ref: refs/heads/main\n")
    (path / "config").write_text(_BARE_CONFIG)
    (path / "description").write_text("Unnamed repository\n")


def commit_block(
    mark: int,
    tree: Mapping[str, nar.TreeFile],
    *,
    message: str,
    ident: str,
    when: int,
    parent: str | None,
) -> bytes:
    """A fast-import `commit` on refs/heads/main holding exactly `tree` (a full snapshot)."""
    out = bytearray(b"commit refs/heads/main\nmark :%d\n" % mark)
    out += f"author {ident} {when} +0000\ncommitter {ident} {when} +0000\n".encode()
    out += _data(message.encode() + b"\n")
    if parent:
        out += f"from {parent}\n".encode()
    out += b"deleteall\n"
    for path in sorted(tree):
        f = tree[path]
        mode = "120000" if f.symlink else ("100755" if f.executable else "100644")
        out += f"M {mode} inline {path}\n".encode() + _data(f.data)
    return bytes(out + b"\n")


def fast_import(repo: Path, stream: bytes) -> dict[str, str]:
    """Run one `git fast-import` batch; returns its marks (":1" -> sha)."""
    with tempfile.TemporaryDirectory(prefix="marks-") as tmp:
        marks = Path(tmp) / "marks"
        _git(
            ["fast-import", "--quiet", "--force", f"--export-marks={marks}"],
            cwd=repo,
            stdin=stream,
        )
        return {
            mark: sha.strip()
            for mark, sha in (line.split(" ", 1) for line in marks.read_text().splitlines())
        }


class Upstream:
    """A handle on one upstream repository: create it, add commits and releases, know its hashes."""

    def __init__(self, spec: UpstreamSpec, path: Path, forge: ReleaseRegistry | None) -> None:
        self.spec = spec
        self.path = path
        self._forge = forge
        self._commits: list[Commit] = []
        self._changelog: list[str] = []

    # -- creation ---------------------------------------------------------------------------

    def create(self) -> None:
        """Initialise the bare repository and write the spec's whole history in one batch."""
        init_bare(self.path)
        self._write(list(self.spec.history))

    def _write(self, steps: list[Step]) -> list[Commit]:
        stream = bytearray()
        pending: list[tuple[int, Step, dict[str, nar.TreeFile], int]] = []
        parent = self._commits[-1].sha if self._commits else None
        for step in steps:
            index = len(self._commits) + len(pending)
            message = step.message or f"release {step.tag or step.version}"
            self._changelog.append(message)
            tree = render_tree(self.spec, step.version, step.deps, tuple(self._changelog))
            when = EPOCH + self.spec.offset + index * DAY
            mark = index + 1
            base = f":{mark - 1}" if pending else parent
            stream += commit_block(
                mark, tree, message=message, ident=AUTHOR, when=when, parent=base
            )
            if step.tag:
                if self.spec.annotated_tags:
                    stream += f"tag {step.tag}\nfrom :{mark}\n".encode()
                    stream += f"tagger {TAGGER} {when + 60} +0000\n".encode()
                    stream += _data(f"{self.spec.repo} {step.tag}\n".encode())
                else:
                    stream += f"reset refs/tags/{step.tag}\nfrom :{mark}\n\n".encode()
            pending.append((index, step, tree, when))
        shas = fast_import(self.path, bytes(stream))
        added: list[Commit] = []
        for index, step, tree, when in pending:
            commit = Commit(
                sha=shas[f":{index + 1}"],
                index=index,
                version=step.version,
                deps=step.deps,
                tag=step.tag,
                tree=tree,
                date=datetime.fromtimestamp(when, UTC),
            )
            self._commits.append(commit)
            added.append(commit)
            if step.tag:
                self._publish(step, commit)
        return added

    def _publish(self, step: Step, commit: Commit) -> None:
        if self._forge is None:
            return
        s = self.spec
        if step.release:
            self._forge.add_release(
                s.host,
                s.owner,
                s.repo,
                step.tag or "",
                name=step.tag,
                body=step.body,
                prerelease=step.prerelease,
                draft=step.draft,
                published_at=commit.date,
                created_at=commit.date,
                make_latest=step.latest,
            )
        for asset in s.assets:
            name = asset.name.format(version=step.version, tag=step.tag)
            self._forge.add_asset(
                s.host, s.owner, s.repo, step.tag or "", name, asset_bytes(s, asset, step.version)
            )

    # -- growing the history from a test ----------------------------------------------------

    def add_release(
        self,
        version: str,
        *,
        tag: str | None = None,
        deps_change: bool = False,
        release: bool = True,
        prerelease: bool = False,
        draft: bool = False,
        body: str = "",
        message: str | None = None,
    ) -> Commit:
        """A new commit tagged `tag` (default `v{version}`), with a forge release record unless
        `release=False`; `deps_change` bumps the dependency generation (the lock files change)."""
        deps = self.head.deps + (1 if deps_change else 0)
        step = Step(
            version,
            tag=tag if tag is not None else f"v{version}",
            deps=deps,
            message=message,
            release=release,
            prerelease=prerelease,
            draft=draft,
            body=body,
        )
        return self._write([step])[0]

    def add_commit(self, message: str, *, deps_change: bool = False) -> Commit:
        """A new untagged commit on main (the version in the files stays as it is)."""
        head = self.head
        step = Step(
            head.version,
            tag=None,
            deps=head.deps + (1 if deps_change else 0),
            message=message,
            release=False,
        )
        return self._write([step])[0]

    # -- what the world knows ---------------------------------------------------------------

    @property
    def commits(self) -> tuple[Commit, ...]:
        return tuple(self._commits)

    @property
    def head(self) -> Commit:
        return self._commits[-1]

    def commit(self, ref: str) -> Commit:
        """A commit by tag name, full SHA, or "HEAD"."""
        if ref == "HEAD":
            return self.head
        for c in self._commits:
            if ref in (c.sha, c.tag):
                return c
        raise KeyError(f"{self.spec.key}: no commit {ref}")

    def rev(self, ref: str) -> str:
        return self.commit(ref).sha

    def archive_hash(self, ref: str) -> str:
        """SRI hash Nix reports for an archive fetcher (fetchFromGitHub, fetchFromTangled, ...)."""
        return nar.tree_hash(archive_view(self.spec, dict(self.commit(ref).tree)))

    def git_hash(self, ref: str) -> str:
        """SRI hash Nix reports for a git fetcher (fetchgit, forceFetchGit = true)."""
        return nar.tree_hash(self.commit(ref).tree)

    def project(self, name: str | None = None) -> Project:
        projects = self.spec.projects
        if name is None:
            return projects[0]
        for p in projects:
            if p.name == name:
                return p
        raise KeyError(f"{self.spec.key}: no project {name}")

    def lockfile(self, ref: str, project: str | None = None) -> str:
        p = self.project(project)
        rule = LOCK_RULES[p.kind]
        path = f"{p.subdir}/{rule.lockfile}" if p.subdir else rule.lockfile
        return self.commit(ref).tree[path].data.decode()

    def deps_hash(self, ref: str, project: str | None = None) -> str:
        """SRI hash of the fixture's dependency derivation (vendorHash, npmDepsHash, ...)."""
        p = self.project(project)
        if p.kind is Kind.PLAIN:
            raise KeyError(f"{self.spec.key}: project {p.name} has no dependencies")
        return nar.tree_hash(deps_view(p.kind, self.lockfile(ref, project)))

    def asset_hash(self, ref: str, asset_name: str, *, unpack: bool) -> str:
        """fetchzip (`unpack=True`) or fetchurl hash of a release asset of the tagged commit."""
        c = self.commit(ref)
        for asset in self.spec.assets:
            if asset.name.format(version=c.version, tag=c.tag) == asset_name:
                if unpack:
                    return nar.tree_hash(asset_tree(self.spec, asset, c.version))
                return nar.flat_hash(asset_bytes(self.spec, asset, c.version))
        raise KeyError(f"{self.spec.key}: no asset {asset_name}")


def create_upstreams(
    specs: tuple[UpstreamSpec, ...],
    repo_path: RepoPathFn,
    forge: ReleaseRegistry | None,
) -> dict[str, Upstream]:
    """Create every upstream's bare repository where `repo_path(host, owner, repo)` says."""
    out: dict[str, Upstream] = {}
    for spec in specs:
        up = Upstream(spec, repo_path(spec.host, spec.owner, spec.repo), forge)
        up.create()
        out[spec.key] = up
    return out


class RepoPathFn(Protocol):
    def __call__(self, host: str, owner: str, repo: str) -> Path: ...
