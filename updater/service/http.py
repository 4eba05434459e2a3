"""The service's small HTTP server: /healthz, /metrics, the status page and POST /run.

stdlib ThreadingHTTPServer: a handful of routes, a status page read from the store, no framework
needed. Requests are validated strictly (one route table, bounded sizes, a name pattern for
?package=), and the run trigger compares bearer tokens in constant time.
"""

from __future__ import annotations

import hmac
import json
from collections.abc import Mapping
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Protocol
from urllib.parse import parse_qsl, urlsplit

from updater.errors import ConfigError
from updater.logs import get_logger
from updater.service.cycle import PACKAGE_NAME_RE
from updater.service.metrics import CONTENT_TYPE as METRICS_CONTENT_TYPE
from updater.service.page import CONTENT_SECURITY_POLICY
from updater.service.worker import Submitted

_MAX_TARGET = 2048
_MAX_BODY = 4096


class ServiceView(Protocol):
    """What the HTTP layer needs from the service."""

    @property
    def run_token(self) -> str | None: ...

    def health(self) -> dict[str, Any]: ...

    def metrics_text(self) -> bytes: ...

    def page_html(self) -> str: ...

    def knows_package(self, name: str) -> bool: ...

    def trigger(self, package: str | None) -> Submitted: ...


def parse_listen(listen: str) -> tuple[str, int]:
    host, _, port = listen.rpartition(":")
    if not host or not port.isdigit() or int(port) > 65535:
        raise ConfigError(f"serve.listen {listen!r}: expected host:port")
    return host, int(port)


class _Handler(BaseHTTPRequestHandler):
    server_version = "updater"
    sys_version = ""
    protocol_version = "HTTP/1.1"
    view: ServiceView  # set on the subclass made per server

    def log_message(self, format: str, *args: Any) -> None:
        get_logger("service.http").debug("http", client=self.client_address[0], line=format % args)

    # -- responses ------------------------------------------------------------------------------

    def _send(
        self,
        status: HTTPStatus,
        body: bytes,
        content_type: str,
        headers: Mapping[str, str] | None = None,
    ) -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Cache-Control", "no-store")
        self.send_header("X-Content-Type-Options", "nosniff")
        self.send_header("Referrer-Policy", "no-referrer")
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    def _json(
        self, status: HTTPStatus, data: Mapping[str, Any], headers: Mapping[str, str] | None = None
    ) -> None:
        body = (json.dumps(data, sort_keys=True) + "\n").encode()
        self._send(status, body, "application/json", headers)

    def _error(
        self, status: HTTPStatus, message: str, headers: Mapping[str, str] | None = None
    ) -> None:
        self._json(status, {"error": message}, headers)

    # -- routing --------------------------------------------------------------------------------

    def _target(self) -> tuple[str, list[tuple[str, str]]] | None:
        if len(self.path) > _MAX_TARGET:
            self._error(HTTPStatus.REQUEST_URI_TOO_LONG, "request target too long")
            return None
        parts = urlsplit(self.path)
        try:
            query = parse_qsl(parts.query, keep_blank_values=True, strict_parsing=False)
        except ValueError:
            self._error(HTTPStatus.BAD_REQUEST, "malformed query")
            return None
        return parts.path, query

    def do_GET(self) -> None:
        target = self._target()
        if target is None:
            return
        path, _query = target
        view = self.view
        if path == "/healthz":
            self._json(HTTPStatus.OK, view.health())
        elif path == "/metrics":
            self._send(HTTPStatus.OK, view.metrics_text(), METRICS_CONTENT_TYPE)
        elif path == "/":
            self._send(
                HTTPStatus.OK,
                view.page_html().encode("utf-8"),
                "text/html; charset=utf-8",
                {"Content-Security-Policy": CONTENT_SECURITY_POLICY, "X-Frame-Options": "DENY"},
            )
        elif path == "/run":
            self._error(HTTPStatus.METHOD_NOT_ALLOWED, "use POST /run", {"Allow": "POST"})
        else:
            self._error(HTTPStatus.NOT_FOUND, "not found")

    do_HEAD = do_GET

    def do_POST(self) -> None:
        target = self._target()
        if target is None:
            return
        if not self._drain_body():
            return
        path, query = target
        if path != "/run":
            self._error(HTTPStatus.NOT_FOUND, "not found")
            return
        if not self._authorized():
            return
        package: str | None = None
        for key, value in query:
            if key != "package" or package is not None:
                self._error(HTTPStatus.BAD_REQUEST, "only one query parameter: package")
                return
            if not PACKAGE_NAME_RE.match(value):
                self._error(HTTPStatus.BAD_REQUEST, "package: not a package name")
                return
            package = value
        if package is not None and not self.view.knows_package(package):
            self._error(HTTPStatus.NOT_FOUND, "no such package in this shard")
            return
        submitted = self.view.trigger(package)
        if submitted == "stopping":
            self._error(HTTPStatus.SERVICE_UNAVAILABLE, "shutting down")
            return
        self._json(HTTPStatus.ACCEPTED, {"accepted": submitted, "package": package})

    def _drain_body(self) -> bool:
        length_text = self.headers.get("Content-Length", "0") or "0"
        if not length_text.isdigit():
            self._error(HTTPStatus.BAD_REQUEST, "bad Content-Length")
            return False
        length = int(length_text)
        if length > _MAX_BODY:
            self.close_connection = True
            self._error(HTTPStatus.REQUEST_ENTITY_TOO_LARGE, "no body expected")
            return False
        if length:
            self.rfile.read(length)
        return True

    def _authorized(self) -> bool:
        expected = self.view.run_token
        if not expected:
            self._error(
                HTTPStatus.FORBIDDEN, "POST /run is disabled (UPDATER_RUN_TOKEN is not set)"
            )
            return False
        header = self.headers.get("Authorization", "")
        scheme, _, given = header.partition(" ")
        if scheme.lower() != "bearer" or not given.strip():
            self._error(
                HTTPStatus.UNAUTHORIZED,
                "bearer token required",
                {"WWW-Authenticate": 'Bearer realm="updater"'},
            )
            return False
        if not hmac.compare_digest(given.strip().encode(), expected.encode()):
            self._error(HTTPStatus.FORBIDDEN, "wrong token")
            return False
        return True


class ServiceHttpServer(ThreadingHTTPServer):
    daemon_threads = True
    # Lets a restarted service bind while the old socket lingers in TIME_WAIT.
    allow_reuse_address = True

    def __init__(self, listen: str, view: ServiceView) -> None:
        host, port = parse_listen(listen)
        handler = type("Handler", (_Handler,), {"view": view})
        super().__init__((host, port), handler)

    @property
    def url(self) -> str:
        host, port = self.server_address[:2]
        return f"http://{host!s}:{port}"
