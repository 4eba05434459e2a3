"""The fetcher table: which calls fetch a source, from which forge, and which arguments matter.

Source fetchers produce `src` pins and a group (the upstream identity). Dependency fetchers
(`fetchNpmDeps`, `pnpm.fetchDeps`, ...) are fixed-output derivations over a source: their
`hash` is a dependency hash of the kind given here, and they belong to the enclosing source.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from urllib.parse import urlsplit

from updater.nixfile.model import PinKind


@dataclass(frozen=True)
class FetcherSpec:
    name: str
    forge: str | None
    default_domain: str | None = None
    by_url: bool = False  # identity comes from `url` / `urls`
    release_asset: bool = False  # its url is a release asset whose version must follow
    dependency_kind: PinKind | None = None  # set for dependency fetchers


_SPECS = (
    FetcherSpec("fetchFromGitHub", "github", "github.com"),
    FetcherSpec("fetchFromTangled", "tangled", "tangled.org"),
    FetcherSpec("fetchFromGitLab", "gitlab", "gitlab.com"),
    FetcherSpec("fetchFromGitea", "forgejo", None),
    FetcherSpec("fetchFromForgejo", "forgejo", None),
    FetcherSpec("fetchFromCodeberg", "forgejo", "codeberg.org"),
    FetcherSpec("fetchFromSourcehut", "sourcehut", "git.sr.ht"),
    FetcherSpec("fetchFromBitbucket", "bitbucket", "bitbucket.org"),
    FetcherSpec("fetchgit", "git", by_url=True),
    FetcherSpec("fetchGit", "git", by_url=True),
    FetcherSpec("fetchurl", None, by_url=True, release_asset=True),
    FetcherSpec("fetchzip", None, by_url=True, release_asset=True),
    FetcherSpec("fetchTarball", None, by_url=True, release_asset=True),
    FetcherSpec("fetchNpmDeps", None, dependency_kind=PinKind.NPM_DEPS_HASH),
    FetcherSpec("fetchYarnDeps", None, dependency_kind=PinKind.OUTPUT_HASH),
    FetcherSpec("fetchCargoTarball", None, dependency_kind=PinKind.CARGO_HASH),
    FetcherSpec("fetchCargoVendor", None, dependency_kind=PinKind.CARGO_HASH),
    FetcherSpec("fetchPnpmDeps", None, dependency_kind=PinKind.PNPM_DEPS_HASH),
)
FETCHERS: dict[str, FetcherSpec] = {spec.name: spec for spec in _SPECS}

# `pnpm.fetchDeps`, `pnpm_9.fetchDeps`: the qualifier matters, the last name alone is ambiguous.
_PNPM_FETCH_DEPS = FetcherSpec("pnpm.fetchDeps", None, dependency_kind=PinKind.PNPM_DEPS_HASH)


def lookup(called: str) -> FetcherSpec | None:
    """The spec of a called function written as `fetchgit`, `pkgs.fetchgit`, `builtins.fetchGit`."""
    parts = called.split(".")
    if len(parts) >= 2 and parts[-1] == "fetchDeps" and parts[-2].startswith("pnpm"):
        return _PNPM_FETCH_DEPS
    return FETCHERS.get(parts[-1])


# Attribute name as written -> kind of pin, inside a source fetcher's arguments.
FETCHER_HASH_ATTRS = frozenset({"hash", "sha256", "sha512", "sha1", "md5", "outputHash"})

# Attribute name -> kind, inside a derivation's arguments.
DERIVATION_HASH_ATTRS: dict[str, PinKind] = {
    "vendorHash": PinKind.VENDOR_HASH,
    "vendorSha256": PinKind.VENDOR_HASH,
    "npmDepsHash": PinKind.NPM_DEPS_HASH,
    "cargoHash": PinKind.CARGO_HASH,
    "cargoSha256": PinKind.CARGO_HASH,
    "pnpmDepsHash": PinKind.PNPM_DEPS_HASH,
    "outputHash": PinKind.OUTPUT_HASH,
}

# A bare (non-SRI) hash under these names is read with this algorithm.
ALGO_OF_ATTR = {"sha256": "sha256", "sha512": "sha512", "sha1": "sha1", "md5": "md5"}

_FORGE_OF_HOST = {
    "github.com": "github",
    "gitlab.com": "gitlab",
    "codeberg.org": "forgejo",
    "tangled.org": "tangled",
    "tangled.sh": "tangled",
    "git.sr.ht": "sourcehut",
    "bitbucket.org": "bitbucket",
}


@dataclass(frozen=True)
class UrlIdentity:
    forge: str | None
    domain: str
    owner: str | None
    repo: str | None


_RELEASE_MARKERS = ("releases", "archive", "-", "raw", "tarball", "zipball")


def identity_of_url(url: str, default_forge: str | None) -> UrlIdentity | None:
    """Forge, domain, owner and repo of a repository or release-asset URL, when readable."""
    try:
        parts = urlsplit(url)
    except ValueError:
        return None
    host = (parts.hostname or "").lower()
    if not host:
        return None
    segments = [s for s in parts.path.split("/") if s]
    forge = _FORGE_OF_HOST.get(host, default_forge)
    if len(segments) < 2 or "${" in "/".join(segments[:2]):
        return UrlIdentity(forge, host, None, None)
    owner_parts: list[str] = []
    for i, seg in enumerate(segments[:-1]):
        owner_parts.append(seg)
        nxt = segments[i + 1]
        # GitLab nests groups: the repo is the segment before `-`, `releases`, `archive`...
        following = segments[i + 2] if i + 2 < len(segments) else None
        if following is None or following in _RELEASE_MARKERS or host != "gitlab.com":
            repo = nxt.removesuffix(".git")
            return UrlIdentity(forge, host, "/".join(owner_parts), repo)
    return UrlIdentity(forge, host, None, None)


def needs_own_url(url: str) -> bool:
    """Whether a git URL is reached only as written: another scheme than https, or a port."""
    if "${" in url:
        return False
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:
        return False
    return parts.scheme.lower() != "https" or port is not None


_FLOATING_REFS = frozenset({"HEAD", "head", "master", "main", "trunk", "develop", "dev"})
_FLOATING_URL = re.compile(
    r"/releases/latest(/|$)|@(\d+\.)?x(\.x)*(/|$)|@\d+\.x(\.x)*|@latest(/|$)|/latest/download/"
)


def is_floating_ref(value: str) -> bool:
    return value in _FLOATING_REFS or value.startswith("refs/heads/")


def is_floating_url(url: str) -> bool:
    return bool(_FLOATING_URL.search(url))
