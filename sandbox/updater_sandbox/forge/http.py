"""The forge's request and response types and a small regex router."""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlencode

JSON_TYPE = "application/json; charset=utf-8"


@dataclass(frozen=True)
class Request:
    method: str
    path: str  # percent-decoded path, without the query
    raw_path: str  # the path as sent (still percent-encoded)
    query: Mapping[str, list[str]]
    headers: Mapping[str, str]  # lower-cased names
    body: bytes
    base_url: str  # "http://127.0.0.1:PORT"

    def arg(self, name: str, default: str | None = None) -> str | None:
        values = self.query.get(name)
        return values[-1] if values else default

    def int_arg(self, name: str, default: int) -> int:
        value = self.arg(name)
        try:
            return int(value) if value is not None else default
        except ValueError:
            return default

    def json(self) -> Any:
        if not self.body:
            return None
        return json.loads(self.body)

    @property
    def token(self) -> str | None:
        auth = self.headers.get("authorization", "")
        scheme, _, value = auth.partition(" ")
        if scheme.lower() in ("token", "bearer") and value.strip():
            return value.strip()
        return None

    def url_with(self, **params: object) -> str:
        """This request's URL with some query parameters replaced (for Link headers)."""
        query = {k: v[-1] for k, v in self.query.items()}
        query.update({k: str(v) for k, v in params.items()})
        return f"{self.base_url}{self.raw_path}?{urlencode(query)}"


@dataclass
class Response:
    status: int
    body: bytes = b""
    headers: list[tuple[str, str]] = field(default_factory=list)
    json_body: Any = None  # what was serialised into `body`, kept for the request log
    cost: int = 0  # rate-limit points this request consumed
    drop: bool = False  # close the connection without answering

    @classmethod
    def json(
        cls, status: int, payload: Any, headers: list[tuple[str, str]] | None = None
    ) -> Response:
        body = json.dumps(payload, indent=None, separators=(",", ":")).encode()
        return cls(status, body, [("Content-Type", JSON_TYPE), *(headers or [])], payload)

    @classmethod
    def empty(cls, status: int = 204, headers: list[tuple[str, str]] | None = None) -> Response:
        return cls(status, b"", list(headers or []))

    @classmethod
    def bytes(cls, data: bytes, content_type: str, status: int = 200) -> Response:
        return cls(status, data, [("Content-Type", content_type)])

    def header(self, name: str) -> str | None:
        return next((v for k, v in self.headers if k.lower() == name.lower()), None)


Handler = Callable[..., Response]


@dataclass(frozen=True)
class Route:
    method: str
    pattern: re.Pattern[str]
    handler: Handler


class Router:
    """Routes match the decoded path; named groups become keyword arguments of the handler."""

    def __init__(self) -> None:
        self._routes: list[Route] = []

    def add(self, method: str, pattern: str, handler: Handler) -> None:
        self._routes.append(Route(method, re.compile(pattern + r"\Z"), handler))

    @property
    def routes(self) -> list[Route]:
        return list(self._routes)

    def dispatch(self, request: Request, path: str) -> Response | None:
        """The handler's response; 405-less: None when nothing matches the path and method."""
        for route in self._routes:
            if route.method != request.method and not (
                route.method == "GET" and request.method == "HEAD"
            ):
                continue
            match = route.pattern.match(path)
            if match:
                return route.handler(request, **match.groupdict())
        return None
