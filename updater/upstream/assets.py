"""Release assets: which repository and release a pinned download URL names, and the download
URL of the next version, derived from the pinned one."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Literal
from urllib.parse import urlsplit, urlunsplit

from updater.errors import UnsafeValueError
from updater.upstream import parse

_FLOATING = re.compile(r"/releases/latest/download/|@\d+\.x(\.x)?/|/latest/")


def is_floating(url: str) -> bool:
    """A URL that names no version (`releases/latest/download`, `@3.x.x`): report, don't pin."""
    return bool(_FLOATING.search(url))


_NAME = r"[A-Za-z0-9_.\-]{1,100}"
_TAG = r"[A-Za-z0-9_.+\-]{1,128}"
_ASSET_PATHS: tuple[tuple[Literal["releases", "gitlab"], re.Pattern[str]], ...] = (
    # GitHub, Forgejo and Gitea: /{owner}/{repo}/releases/download/{tag}/{asset}
    (
        "releases",
        re.compile(
            rf"^/(?P<owner>{_NAME})/(?P<repo>{_NAME})/releases/download/(?P<tag>{_TAG})/(?P<asset>.+)$",
            re.DOTALL,
        ),
    ),
    # GitLab (groups may nest): /{group}/{project}/-/releases/{tag}/downloads/{asset}
    (
        "gitlab",
        re.compile(
            rf"^/(?P<owner>{_NAME}(?:/{_NAME}){{0,4}})/(?P<repo>{_NAME})/-/releases/(?P<tag>{_TAG})"
            r"/downloads/(?P<asset>.+)$",
            re.DOTALL,
        ),
    ),
)
_HOST = re.compile(r"^[a-z0-9](?:[a-z0-9.\-]{0,251}[a-z0-9])?$")


@dataclass(frozen=True)
class ReleaseAsset:
    """A download of one file of one release: `https://{domain}/{owner}/{repo}/...{tag}/{asset}`.

    `shape` says which forge family writes release downloads this way: "releases" (GitHub,
    Forgejo, Gitea) or "gitlab". The asset may still hold Nix interpolations (`${platform}`);
    the repository and the tag never do.
    """

    domain: str
    owner: str
    repo: str
    tag: str
    asset: str
    shape: Literal["releases", "gitlab"]


def release_asset_of(url: str) -> ReleaseAsset | None:
    """The release a pinned download URL names; None for anything else, floating URLs too
    (`releases/latest/download` names no release)."""
    if is_floating(url):
        return None
    m = re.match(r"^https://([^/?#]+)(/[^?#]*)$", url, re.DOTALL)
    if m is None:
        return None
    host, path = m[1].lower(), m[2]
    if not _HOST.match(host):
        return None  # ports, credentials, interpolated hosts
    for shape, pattern in _ASSET_PATHS:
        found = pattern.match(path)
        if found is not None and not found["repo"].endswith(".git"):
            return ReleaseAsset(
                host, found["owner"], found["repo"], found["tag"], found["asset"], shape
            )
    return None


def next_asset_url(url: str, old_tag: str, new_tag: str, old_version: str, new_version: str) -> str:
    """Rewrite the tag path segment, then the version wherever it appears in the path.

    Raises UnsafeValueError when the pinned URL mentions neither, or the result is not a URL.
    """
    parts = urlsplit(url)
    path = parts.path
    segments = path.split("/")
    changed = False
    for i, seg in enumerate(segments):
        if seg == old_tag:
            segments[i] = new_tag
            changed = True
    path = "/".join(segments)
    if old_version and old_version in path:
        path = re.sub(rf"(?<![0-9.]){re.escape(old_version)}(?![0-9])", new_version, path)
        changed = True
    if not changed:
        raise UnsafeValueError(
            f"{url}: neither tag {old_tag!r} nor version {old_version!r} appears in the URL"
        )
    result = urlunsplit(parts._replace(path=path))
    if parse.url(result) is None:
        raise UnsafeValueError(f"{result}: derived asset URL is not a plain http(s) URL")
    return result
