"""A read-only JSON view of the local forge's pull requests and issues, for a browser.

The local forge has no web pages and its API wants the token, which a browser does not send:
`ForgeViewer` serves the NUR repository's pull requests and issues as JSON on a port of its
own, adding the token, GET only. `updater demo` points the status page's PR links here.
"""

from __future__ import annotations

import json
import re
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import httpx

from updater.errors import UpdaterError

_HTTP_TIMEOUT = 10.0

_VIEW_ROUTES = (
    (re.compile(r"^/pulls$"), "pulls?state=all&per_page=100"),
    (re.compile(r"^/pull/(\d{1,9})$"), "pulls/{0}"),
    (re.compile(r"^/pull/(\d{1,9})/commits$"), "pulls/{0}/commits"),
    (re.compile(r"^/issues$"), "issues?state=all&per_page=100"),
    (re.compile(r"^/issue/(\d{1,9})$"), "issues/{0}"),
    (re.compile(r"^/issue/(\d{1,9})/comments$"), "issues/{0}/comments"),
)


class ForgeViewer:
    """GET-only JSON of the NUR repository's pull requests and issues, with the token added."""

    def __init__(self, api_url: str, repository: str, token: str, host: str) -> None:
        self._base = f"{api_url}/repos/{repository}/"
        self._client = httpx.Client(
            headers={"Authorization": f"token {token}", "Accept": "application/vnd.github+json"},
            timeout=_HTTP_TIMEOUT,
        )
        viewer = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                status, body = viewer.answer(self.path.split("?", 1)[0])
                self.send_response(status)
                self.send_header("Content-Type", "application/json; charset=utf-8")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, format: str, *args: Any) -> None:
                pass

        self._server = ThreadingHTTPServer((host, 0), Handler)
        self._server.daemon_threads = True
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.2}, name="demo-viewer"
        )

    @property
    def url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host!s}:{port}"

    def start(self) -> ForgeViewer:
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._thread.is_alive():
            self._server.shutdown()
            self._thread.join(5)
        self._server.server_close()
        self._client.close()

    def get(self, path: str) -> Any:
        """The forge's JSON for one viewer path, e.g. `/pulls`, `/issue/14`."""
        status, body = self.answer(path)
        if status != 200:
            raise UpdaterError(f"forge viewer {path}: HTTP {status}")
        return json.loads(body)

    def answer(self, path: str) -> tuple[int, bytes]:
        if path == "/":
            index = {p: f"{self.url}{p}" for p in ("/pulls", "/issues")}
            return 200, _json(index)
        for pattern, template in _VIEW_ROUTES:
            if m := pattern.match(path):
                try:
                    response = self._client.get(self._base + template.format(*m.groups()))
                except httpx.HTTPError as exc:
                    return 502, _json({"message": f"local forge unreachable: {exc}"})
                try:
                    return response.status_code, _json(response.json())
                except ValueError:
                    return 502, _json({"message": "the local forge answered no JSON"})
        return 404, _json({"message": "not found", "try": ["/pulls", "/pull/1", "/issue/1"]})


def _json(data: Any) -> bytes:
    return (json.dumps(data, indent=2, sort_keys=False) + "\n").encode()


def write_snapshot(viewer: ForgeViewer, directory: Path, dashboard: int | None) -> Path:
    """The pull requests and the dashboard issue as files, readable after the viewer stops."""
    directory.mkdir(parents=True, exist_ok=True)
    (directory / "pulls.json").write_bytes(_json(viewer.get("/pulls")))
    if dashboard is not None:
        (directory / "dashboard.json").write_bytes(_json(viewer.get(f"/issue/{dashboard}")))
    return directory
