"""Source archives made by `git archive`, and release-asset downloads, in each forge's URL shape."""

from __future__ import annotations

import re
from urllib.parse import quote

from updater_sandbox.forge.core import ForgeCore
from updater_sandbox.forge.http import Request, Response

_SEG = r"[^/]+"
# GitHub and Forgejo: /{host}/{owner}/{repo}/archive/{rev}.tar.gz (rev may be refs/tags/x).
_GITHUB_LIKE = re.compile(
    rf"/(?P<host>github\.com|codeberg\.org|git\.example\.org)/(?P<owner>{_SEG})/(?P<repo>{_SEG})/archive/(?P<rev>.+)\.tar\.gz\Z"
)
# tangled: /{host}/{@owner}/{repo}/archive/{rev} (rev may be percent-encoded refs/tags/...).
_TANGLED = re.compile(
    rf"/(?P<host>tangled\.org|tangled\.sh)/(?P<owner>@{_SEG})/(?P<repo>{_SEG})/archive/(?P<rev>.+?)(?:\.tar\.gz)?\Z"
)
# GitLab: /gitlab.com/{namespace}/{repo}/-/archive/{rev}/{repo}-{rev}.tar.gz
_GITLAB = re.compile(
    rf"/(?P<host>gitlab\.com)/(?P<owner>{_SEG})/(?P<repo>{_SEG})/-/archive/(?P<rev>.+)/(?P<file>{_SEG})\.tar\.gz\Z"
)
_ASSET = re.compile(
    rf"/(?P<host>{_SEG})/(?P<owner>{_SEG})/(?P<repo>{_SEG})/releases/download/(?P<tag>.+)/(?P<name>{_SEG})\Z"
)
_LATEST_ASSET = re.compile(
    rf"/(?P<host>{_SEG})/(?P<owner>{_SEG})/(?P<repo>{_SEG})/releases/latest/download/(?P<name>{_SEG})\Z"
)


def serve_archive(core: ForgeCore, request: Request) -> Response | None:
    if request.method not in ("GET", "HEAD"):
        return None
    for pattern in (_GITHUB_LIKE, _TANGLED, _GITLAB):
        match = pattern.match(request.path)
        if match is not None:
            return _archive(
                core,
                match.group("host"),
                match.group("owner"),
                match.group("repo"),
                match.group("rev"),
            )
    return None


def _archive(core: ForgeCore, host: str, owner: str, repo: str, rev: str) -> Response:
    bare = core.bare(host, owner, repo)
    sha = bare.resolve_commit(rev) if bare else None
    if bare is None or sha is None:
        return Response(404, b"Not Found\n", [("Content-Type", "text/plain")])
    name = rev.removeprefix("refs/tags/").removeprefix("refs/heads/")
    prefix = f"{repo}-{name.replace('/', '-')}/"
    data = bare.archive(sha, prefix)
    return Response(
        200,
        data,
        [
            ("Content-Type", "application/x-gzip"),
            ("Content-Disposition", f"attachment; filename={quote(prefix[:-1])}.tar.gz"),
        ],
    )


def serve_asset(core: ForgeCore, request: Request) -> Response | None:
    if request.method not in ("GET", "HEAD"):
        return None
    latest = _LATEST_ASSET.match(request.path)
    if latest is not None:
        host, owner, repo, name = latest.group("host", "owner", "repo", "name")
        release = core.state.latest_release((host, owner, repo))
        if release is None:
            return Response(404, b"Not Found\n", [("Content-Type", "text/plain")])
        target = f"{core.base_url}/{host}/{owner}/{repo}/releases/download/{quote(release.tag)}/{quote(name)}"
        return Response(302, b"", [("Location", target)])
    match = _ASSET.match(request.path)
    if match is None:
        return None
    host, owner, repo, tag, name = match.group("host", "owner", "repo", "tag", "name")
    data = core.state.asset_data((host, owner, repo), tag, name)
    if data is None:
        return Response(404, b"Not Found\n", [("Content-Type", "text/plain")])
    return Response(200, data, [("Content-Type", "application/octet-stream")])
