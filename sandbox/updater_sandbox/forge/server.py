"""The forge's HTTP server: one ThreadingHTTPServer on 127.0.0.1, every request through `ForgeApp`."""

from __future__ import annotations

import socket
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit

from updater_sandbox.forge.app import ForgeApp
from updater_sandbox.forge.http import Request

_MAX_BODY = 512 * 1024 * 1024
_IDLE_TIMEOUT = 30.0


class _Handler(BaseHTTPRequestHandler):
    server: ForgeHTTPServer
    protocol_version = "HTTP/1.1"
    timeout = _IDLE_TIMEOUT

    def log_message(self, format: str, *args: Any) -> None:
        """Requests are recorded by the app, not printed."""

    def setup(self) -> None:
        super().setup()
        # Headers and body leave in separate writes; without NODELAY, Nagle plus the client's
        # delayed ACK adds ~40 ms to every keep-alive request.
        self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.server.track(self.connection, add=True)

    def finish(self) -> None:
        try:
            super().finish()
        finally:
            self.server.track(self.connection, add=False)

    def _read_body(self) -> bytes:
        if "chunked" in self.headers.get("Transfer-Encoding", "").lower():
            chunks: list[bytes] = []
            total = 0
            while True:
                size = int(self.rfile.readline().split(b";", 1)[0].strip() or b"0", 16)
                if size == 0:
                    while self.rfile.readline() not in (b"\r\n", b"\n", b""):
                        pass
                    return b"".join(chunks)
                total += size
                if total > _MAX_BODY:
                    raise ValueError("request body too large")
                chunks.append(self.rfile.read(size))
                self.rfile.readline()
        length = int(self.headers.get("Content-Length") or 0)
        if length > _MAX_BODY:
            raise ValueError("request body too large")
        return self.rfile.read(length) if length > 0 else b""

    def _handle(self) -> None:
        try:
            body = self._read_body()
        except (ValueError, OSError):
            self.close_connection = True
            self.send_error(400)
            return
        split = urlsplit(self.path)
        port = self.server.server_address[1]
        request = Request(
            method=self.command,
            path=unquote(split.path),
            raw_path=split.path,
            query=parse_qs(split.query, keep_blank_values=True),
            headers={k.lower(): v for k, v in self.headers.items()},
            body=body,
            base_url=f"http://127.0.0.1:{port}",
        )
        response = self.server.app.handle(request)
        if response.drop:
            self.close_connection = True
            try:
                self.connection.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
            return
        self.send_response(response.status)
        for name, value in response.headers:
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(response.body)))
        self.end_headers()
        if self.command != "HEAD" and response.body:
            self.wfile.write(response.body)

    do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = do_HEAD = _handle


class ForgeHTTPServer(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True

    def __init__(self, app: ForgeApp) -> None:
        self.app = app
        self._conns: set[socket.socket] = set()
        self._workers: set[threading.Thread] = set()
        self._conns_lock = threading.Lock()
        super().__init__(("127.0.0.1", 0), _Handler)

    def process_request(self, request: Any, client_address: Any) -> None:
        """Like ThreadingMixIn, but keeps the daemon workers so `join_workers` can wait for them."""
        worker = threading.Thread(
            target=self._work, args=(request, client_address), daemon=True, name="forge-request"
        )
        with self._conns_lock:
            self._workers.add(worker)
            # Tracked from the accept, not from the handler's setup: a stop that comes before
            # the worker reaches its setup must still wake it (close_all_connections).
            self._conns.add(request)
        worker.start()

    def _work(self, request: Any, client_address: Any) -> None:
        try:
            self.process_request_thread(request, client_address)
        finally:
            with self._conns_lock:
                self._workers.discard(threading.current_thread())
                self._conns.discard(request)

    def join_workers(self, timeout: float) -> None:
        with self._conns_lock:
            workers = list(self._workers)
        for worker in workers:
            worker.join(timeout)

    def track(self, conn: socket.socket, *, add: bool) -> None:
        with self._conns_lock:
            if add:
                self._conns.add(conn)
            else:
                self._conns.discard(conn)

    def close_all_connections(self) -> None:
        """Wake handler threads blocked on idle keep-alive connections so they end now."""
        with self._conns_lock:
            conns = list(self._conns)
        for conn in conns:
            try:
                conn.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
