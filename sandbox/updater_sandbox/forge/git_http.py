"""Git smart HTTP through the real `git http-backend` (CGI), clone, fetch, ls-remote and push."""

from __future__ import annotations

import os
import re
import subprocess

from updater_sandbox.forge.core import ForgeCore
from updater_sandbox.forge.http import Request, Response

_TIMEOUT = 120.0
# /{host}/{owner}/{repo}[.git]/{service path}
GIT_PATH = re.compile(
    r"/(?P<host>[^/]+)/(?P<owner>[^/]+)/(?P<repo>[^/]+?)(?:\.git)?"
    r"(?P<rest>/(?:info/refs|git-upload-pack|git-receive-pack|HEAD))\Z"
)


def serve_git(core: ForgeCore, request: Request) -> Response | None:
    """The backend's answer, or None when the path is not a git smart-HTTP path."""
    match = GIT_PATH.match(request.path)
    if match is None:
        return None
    host, owner, repo, rest = match.group("host", "owner", "repo", "rest")
    bare = core.bare(host, owner, repo)
    if bare is None:
        return Response(404, b"Repository not found\n", [("Content-Type", "text/plain")])
    env = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "HOME": os.environ.get("HOME", "/"),
        "GIT_CONFIG_NOSYSTEM": "1",
        "GIT_CONFIG_GLOBAL": os.devnull,
        "GIT_PROJECT_ROOT": str(core.root),
        "GIT_HTTP_EXPORT_ALL": "1",
        "PATH_INFO": f"/{host}/{owner}/{repo}.git{rest}",
        "REQUEST_METHOD": request.method,
        "QUERY_STRING": "&".join(f"{k}={v}" for k, vs in request.query.items() for v in vs),
        "CONTENT_TYPE": request.headers.get("content-type", ""),
        "CONTENT_LENGTH": str(len(request.body)),
        "REMOTE_ADDR": "127.0.0.1",
        "REMOTE_USER": "forge",
        "SERVER_PROTOCOL": "HTTP/1.1",
    }
    if "git-protocol" in request.headers:
        env["GIT_PROTOCOL"] = request.headers["git-protocol"]
    if "content-encoding" in request.headers:
        env["HTTP_CONTENT_ENCODING"] = request.headers["content-encoding"]
    try:
        proc = subprocess.run(
            ["git", "-c", "http.receivepack=true", "-c", "http.uploadpack=true", "http-backend"],
            input=request.body,
            capture_output=True,
            env=env,
            timeout=_TIMEOUT,
            check=False,
        )
    except subprocess.TimeoutExpired:
        return Response(504, b"git http-backend timed out\n", [("Content-Type", "text/plain")])
    if rest == "/git-receive-pack":
        bare.refs_changed()
    return _parse_cgi(proc.stdout)


def _parse_cgi(output: bytes) -> Response:
    head, sep, body = output.partition(b"\r\n\r\n")
    if not sep:
        head, sep, body = output.partition(b"\n\n")
    status = 200
    headers: list[tuple[str, str]] = []
    for line in head.decode("latin-1").splitlines():
        name, _, value = line.partition(":")
        if name.lower() == "status":
            status = int(value.strip().split()[0])
        elif name:
            headers.append((name.strip(), value.strip()))
    return Response(status, body, headers)
