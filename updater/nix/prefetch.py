"""Direct prefetch: a source hash without evaluating the package.

Used when the package cannot be evaluated (broken expression, missing inputs). Each function
computes the hash the way the corresponding fetcher's output is hashed:

- archives (fetchzip, fetchFromGitHub/fetchFromTangled without forceFetchGit):
  `nix-prefetch-url --unpack` (NAR hash of the unpacked tree, single top directory stripped);
- plain files (fetchurl): `nix-prefetch-url` (flat hash of the file);
- git (fetchgit, forceFetchGit, fetchSubmodules): a checkout of the rev with every `.git` removed,
  hashed with `nix-hash --type sha256` (NAR hash). This differs from the archive hash of the
  same rev whenever `git archive` output differs from a checkout (export-ignore, submodules).
"""

from __future__ import annotations

import os
import re
import shutil
from dataclasses import dataclass
from pathlib import Path

from updater.errors import NixError, UnsafeValueError
from updater.logs import get_logger, redact_text
from updater.nix.runner import NixRunner
from updater.nixhash import HashAlgo, NixHash, decode_base32
from updater.tempdirs import claimed_dir

_log = get_logger("updater.nix.prefetch")

_URL = re.compile(r"(?:https?|file|ftp)://[^\s]+")
_GIT_URL = re.compile(r"(?:(?:https?|git|ssh|file)://|[A-Za-z0-9._\-]+@[A-Za-z0-9._\-]+:)[^\s]+")
_REV = re.compile(r"[A-Za-z0-9][A-Za-z0-9._/\-]{0,254}")
GIT_TIMEOUT = 900.0
_CONFIG_TIMEOUT = 30.0


@dataclass(frozen=True)
class ArchiveSource:
    """An archive unpacked by its fetcher (fetchzip and the fetchFrom* archive fetchers)."""

    url: str


@dataclass(frozen=True)
class FileSource:
    """A file stored as is (fetchurl)."""

    url: str


@dataclass(frozen=True)
class GitSource:
    """A git checkout without .git (fetchgit, forceFetchGit = true)."""

    url: str
    rev: str
    fetch_submodules: bool = False


Source = ArchiveSource | FileSource | GitSource


def _check_url(url: str, pattern: re.Pattern[str] = _URL) -> str:
    if not pattern.fullmatch(url) or url.startswith("-"):
        raise UnsafeValueError(f"refusing to fetch {redact_text(url)[:200]!r}: not a plain URL")
    return url


def _base32_result(stdout: str, what: str) -> NixHash:
    lines = [line.strip() for line in stdout.splitlines() if line.strip()]
    try:
        return NixHash(HashAlgo.SHA256, decode_base32(lines[0], 32))
    except (IndexError, ValueError):
        raise NixError(f"{what}: unexpected output {stdout[:200]!r}") from None


def _prefetch_url(runner: NixRunner, url: str, unpack: bool) -> NixHash:
    _check_url(url)
    args = ["--type", "sha256", "--name", "source", *(["--unpack"] if unpack else []), url]
    what = f"prefetching {redact_text(url)}"
    result = runner.check("nix-prefetch-url", args, what)
    return _base32_result(result.stdout, what)


def prefetch_archive(runner: NixRunner, url: str) -> NixHash:
    """The hash of an archive as fetchzip stores it (unpacked, single top directory stripped)."""
    return _prefetch_url(runner, url, unpack=True)


def prefetch_file(runner: NixRunner, url: str) -> NixHash:
    """The flat hash of a file as fetchurl stores it."""
    return _prefetch_url(runner, url, unpack=False)


def hash_path(runner: NixRunner, path: Path) -> NixHash:
    """The NAR hash of a directory, as a recursive fixed-output derivation would have."""
    result = runner.check(
        "nix-hash", ["--type", "sha256", "--base32", str(path)], f"hashing {path}", settings=False
    )
    return _base32_result(result.stdout, f"hashing {path}")


def insteadof_rules(runner: NixRunner) -> list[tuple[str, str]]:
    """(original prefix, replacement) pairs from git's configuration, longest prefix first.

    Read with the environment Nix gets (runner.env()): the rules its fetchers see are the ones
    that apply. nix-prefetch-url does not read git's configuration, so callers apply them.
    """
    try:
        done = runner.run(
            "git",
            ["config", "--get-regexp", r"^url\..*\.insteadof$"],
            timeout=_CONFIG_TIMEOUT,
            settings=False,
        )
    except NixError:  # git missing or out of time: no rules
        return []
    rules = []
    for line in done.stdout.splitlines():
        key, _, original = line.partition(" ")
        base = key[len("url.") : -len(".insteadof")]
        if original and base:
            rules.append((original, base))
    return sorted(rules, key=lambda r: len(r[0]), reverse=True)


def rewrite(url: str, rules: list[tuple[str, str]]) -> str:
    for original, base in rules:
        if url.startswith(original):
            return base + url[len(original) :]
    return url


def _git(runner: NixRunner, args: list[str], cwd: Path, what: str) -> None:
    # Through the runner: its allow-listed environment, its process-group timeout, and every
    # line of output in the debug log.
    try:
        done = runner.run("git", args, timeout=GIT_TIMEOUT, cwd=cwd, settings=False)
    except NixError as exc:
        if "timed out" in str(exc):
            raise NixError(f"{what}: git timed out after {GIT_TIMEOUT:g}s") from None
        raise NixError(f"{what}: {exc}") from None
    if done.returncode != 0:
        tail = redact_text("\n".join(done.stderr.splitlines()[-20:]))
        raise NixError(f"{what}: git {args[0]} failed (exit {done.returncode})", tail)


def _remove_dot_git(root: Path) -> None:
    # Like nixpkgs' fetchgit: every .git (the repository's and each submodule's) goes.
    for dirpath, dirnames, filenames in os.walk(root, topdown=True):
        if ".git" in dirnames:
            shutil.rmtree(Path(dirpath) / ".git")
            dirnames.remove(".git")
        if ".git" in filenames:
            (Path(dirpath) / ".git").unlink()


def prefetch_git(runner: NixRunner, source: GitSource) -> NixHash:
    """The hash fetchgit would get for `source`: a checkout of the rev with no .git inside."""
    url = _check_url(source.url, _GIT_URL)
    if not _REV.fullmatch(source.rev) or ".." in source.rev:
        raise UnsafeValueError(f"refusing git rev {source.rev[:80]!r} for {redact_text(url)}")
    what = f"prefetching {redact_text(url)} at {source.rev}"
    git = runner.with_options(extra_env=(*runner.options.extra_env, ("GIT_TERMINAL_PROMPT", "0")))
    with claimed_dir("updater-prefetch-") as tmp:
        work = tmp / "source"
        work.mkdir()
        _git(git, ["init", "--quiet"], work, what)
        _git(git, ["remote", "add", "origin", url], work, what)
        try:
            # Servers that allow fetching a commit by id (GitHub, protocol v2) need one round.
            _git(git, ["fetch", "--quiet", "--depth", "1", "origin", source.rev], work, what)
            checkout = "FETCH_HEAD"
        except NixError:
            _git(
                git,
                ["fetch", "--quiet", "--tags", "origin", "+refs/heads/*:refs/remotes/origin/*"],
                work,
                what,
            )
            checkout = source.rev
        _git(git, ["-c", "advice.detachedHead=false", "checkout", "--quiet", checkout], work, what)
        if source.fetch_submodules:
            _git(git, ["submodule", "update", "--init", "--recursive", "--quiet"], work, what)
        _remove_dot_git(work)
        digest = hash_path(runner, work)
    _log.debug("prefetched git", url=url, rev=source.rev, hash=digest.sri)
    return digest


def prefetch(runner: NixRunner, source: Source) -> NixHash:
    """The hash of `source` as its fetcher stores it."""
    if isinstance(source, ArchiveSource):
        return prefetch_archive(runner, source.url)
    if isinstance(source, FileSource):
        return prefetch_file(runner, source.url)
    return prefetch_git(runner, source)
