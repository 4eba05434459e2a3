"""Helpers of the Nix tests (a module with a unique name, unlike conftest): a small Nix world: a source tree, its tarball, a git repository with a submodule,
and a copy of the fixture package repository whose pins.json the test controls."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import tarfile
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from updater.nix.runner import NixOptions, NixRunner
from updater.nixhash import FAKE_SRI

FIXTURE_REPO = Path(__file__).parent / "fixtures" / "repo"
SYSTEM = "x86_64-linux"


def git(cwd: Path, *args: str) -> str:
    env = {
        **os.environ,
        "GIT_AUTHOR_NAME": "t",
        "GIT_AUTHOR_EMAIL": "t@example.org",
        "GIT_COMMITTER_NAME": "t",
        "GIT_COMMITTER_EMAIL": "t@example.org",
        "GIT_CONFIG_GLOBAL": str(cwd.parent / "gitconfig"),
    }
    done = subprocess.run(
        ["git", *args], cwd=cwd, env=env, capture_output=True, text=True, timeout=60, check=True
    )
    return done.stdout.strip()


@dataclass
class NixWorld:
    root: Path
    repo: Path  # the package repository (default.nix + flake.nix + pins.json)
    archive: Path  # tarball of the git tree at `rev` (git archive, like a forge's)
    git_repo: Path
    rev: str
    runner: NixRunner

    @property
    def archive_url(self) -> str:
        return self.archive.as_uri()

    def write_pins(self, **changes: object) -> None:
        pins_file = self.repo / "pins.json"
        pins = json.loads(pins_file.read_text())
        pins.update(changes)
        pins_file.write_text(json.dumps(pins, indent=2))


def nix_world_in_tmp() -> Iterator[NixWorld]:
    # Builders run as the nixbld users: the world must be readable by them, which pytest's
    # private tmp_path is not.
    tmp_path = Path(tempfile.mkdtemp(prefix="updater-nixworld-"))
    tmp_path.chmod(0o755)
    try:
        yield _make_world(tmp_path)
    finally:
        shutil.rmtree(tmp_path, ignore_errors=True)


def _make_world(tmp_path: Path) -> NixWorld:
    gitconfig = tmp_path / "gitconfig"
    # Submodules from file paths need this since git 2.38.1; the sandbox world uses http.
    gitconfig.write_text(
        '[protocol "file"]\n\tallow = always\n[init]\n\tdefaultBranch = main\n'
        # The builders' user does not own these repositories.
        "[safe]\n\tdirectory = *\n"
    )

    sub = tmp_path / "sub"
    sub.mkdir()
    git(sub, "init", "-q")
    (sub / "lib.txt").write_text("a submodule file\n")
    git(sub, "add", ".")
    git(sub, "commit", "-q", "-m", "sub")

    upstream = tmp_path / "upstream"
    upstream.mkdir()
    git(upstream, "init", "-q")
    (upstream / "a.txt").write_text("hello\n")
    (upstream / "bin").mkdir()
    run = upstream / "bin" / "run.sh"
    run.write_text("#!/bin/sh\necho run\n")
    run.chmod(0o755)
    # Left out of `git archive` but present in a git checkout: the two hashes must differ.
    (upstream / ".gitattributes").write_text("notes.txt export-ignore\n")
    (upstream / "notes.txt").write_text("only in git checkouts\n")
    git(upstream, "add", ".")
    git(
        upstream,
        "-c",
        "protocol.file.allow=always",
        "submodule",
        "add",
        "-q",
        str(sub),
        "vendor/sub",
    )
    git(upstream, "commit", "-q", "-m", "v1")
    rev = git(upstream, "rev-parse", "HEAD")

    archive = tmp_path / "proj-1.0.tar.gz"
    git(upstream, "archive", "--format=tar.gz", "--prefix=proj-1.0/", "-o", str(archive), rev)
    with tarfile.open(archive) as tar:
        assert "proj-1.0/notes.txt" not in tar.getnames()

    repo = tmp_path / "nur"
    shutil.copytree(FIXTURE_REPO, repo)
    pins = {
        "system": SYSTEM,
        "path": os.environ["PATH"],
        "archiveUrl": archive.as_uri(),
        "archiveHash": FAKE_SRI,
        "fileHash": FAKE_SRI,
        "gitUrl": upstream.as_uri(),
        "gitRev": rev,
        "gitHash": FAKE_SRI,
        "fetchSubmodules": False,
        "depsHash": FAKE_SRI,
    }
    (repo / "pins.json").write_text(json.dumps(pins, indent=2))

    runner = NixRunner(
        NixOptions(
            timeout=120,
            extra_env=(
                ("GIT_CONFIG_GLOBAL", str(gitconfig)),
                # No network here: do not wait for cache.nixos.org.
                ("NIX_CONFIG", "substituters =\nwarn-dirty = false"),
            ),
        )
    )
    return NixWorld(tmp_path, repo, archive, upstream, rev, runner)
