"""The source hash without evaluating the package: direct prefetch, the fetcher's way.

Used when no package of the unit evaluates (a broken expression elsewhere in the package).
The URL and the kind of hash follow the fetcher as the package repository's nixpkgs defines it:
forge fetchers download an archive unless `forceFetchGit`/`fetchSubmodules` (or the other git
features) ask for a git checkout; `fetchgit` is always a checkout; `fetchzip` unpacks, `fetchurl`
hashes the file. Forge URLs go through git's `url.<base>.insteadOf` rules, like every fetch the
bot makes (nix-prefetch-url does not read git's configuration, so the rules are applied here).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from updater.engine.target import Target
from updater.errors import NixError
from updater.nix import prefetch
from updater.nix.runner import NixRunner
from updater.nixfile.model import Pin, PinKind
from updater.nixhash import NixHash

_GIT_FEATURES = re.compile(
    r"\b(forceFetchGit|fetchSubmodules|leaveDotGit|deepClone)\s*=\s*true\b|\bsparseCheckout\s*=\s*\[\s*[^]\s]"
)
_SUBMODULES = re.compile(r"\bfetchSubmodules\s*=\s*(true|false)\b")


@dataclass(frozen=True)
class SourceFacts:
    """What the fetcher call says, read from its text (the src pin's span)."""

    fetcher: str
    forge: str | None
    domain: str | None
    owner: str | None
    repo: str | None
    url: str | None
    use_git: bool
    submodules: bool


def facts_of(src: Pin) -> SourceFacts:
    text = src.raw
    submodules = _SUBMODULES.search(text)
    fetcher = (src.fetcher or src.attr).rsplit(".", 1)[-1]
    git_fetcher = fetcher in ("fetchgit", "fetchGit")
    return SourceFacts(
        fetcher=fetcher,
        forge=src.forge,
        domain=src.domain,
        owner=src.owner,
        repo=src.repo,
        url=src.url,
        use_git=git_fetcher or bool(_GIT_FEATURES.search(text)),
        # nixpkgs' fetchgit fetches submodules unless told not to; the forge fetchers do not.
        submodules=(submodules.group(1) == "true") if submodules else git_fetcher,
    )


def _archive_url(facts: SourceFacts, ref: str) -> str:
    base = f"https://{facts.domain}/{facts.owner}/{facts.repo}"
    if facts.forge == "tangled":
        return f"{base}/archive/{ref}"
    if facts.forge == "gitlab":
        return f"{base}/-/archive/{ref}/{facts.repo}-{ref.replace('/', '-')}.tar.gz"
    if facts.forge in ("github", "forgejo"):
        return f"{base}/archive/{ref}.tar.gz"
    raise NixError(f"no archive URL known for {facts.fetcher} on {facts.domain}")


def _git_url(facts: SourceFacts) -> str:
    if facts.fetcher in ("fetchgit", "fetchGit") and facts.url:
        return facts.url
    base = f"https://{facts.domain}/{facts.owner}/{facts.repo}"
    return base if facts.forge == "tangled" else f"{base}.git"


def source_of(facts: SourceFacts, target: Target, url: str | None) -> prefetch.Source:
    """What to prefetch for the moved pin. `url` is the new URL of a url-based fetcher."""
    if facts.fetcher in ("fetchurl", "fetchzip", "fetchTarball"):
        if url is None or "${" in url:
            raise NixError(f"{facts.fetcher}: the new URL is not a plain string ({url})")
        if facts.fetcher == "fetchurl":
            return prefetch.FileSource(url)
        return prefetch.ArchiveSource(url)
    # The tree of a commit is what is hashed, whichever ref names it: prefer the commit id.
    ref = target.commit or target.tag
    assert ref is not None
    if facts.use_git:
        return prefetch.GitSource(_git_url(facts), ref, facts.submodules)
    return prefetch.ArchiveSource(_archive_url(facts, ref))


def prefetch_source(runner: NixRunner, src: Pin, target: Target, url: str | None = None) -> NixHash:
    """The hash of the source `src` (a SRC pin) moved to `target`, fetched directly."""
    if src.kind is not PinKind.SRC:
        raise ValueError(f"{src.location}: not a source pin")
    source = source_of(facts_of(src), target, url)
    if isinstance(source, prefetch.ArchiveSource | prefetch.FileSource):
        rules = prefetch.insteadof_rules(runner)
        routed = prefetch.rewrite(source.url, rules)
        source = type(source)(routed)
    return prefetch.prefetch(runner, source)
