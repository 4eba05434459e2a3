"""Release assets: the download URL of the next version, derived from the pinned one."""

from __future__ import annotations

import re
from urllib.parse import urlsplit, urlunsplit

from updater.errors import UnsafeValueError
from updater.upstream import parse

_FLOATING = re.compile(r"/releases/latest/download/|@\d+\.x(\.x)?/|/latest/")


def is_floating(url: str) -> bool:
    """A URL that names no version (`releases/latest/download`, `@3.x.x`): report, don't pin."""
    return bool(_FLOATING.search(url))


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
