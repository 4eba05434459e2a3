"""One request through the forge: faults, routing by URL space, auth, rate limits, ETags, the log."""

from __future__ import annotations

import hashlib
import json
import re
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from updater_sandbox.forge.archives import serve_archive, serve_asset
from updater_sandbox.forge.core import ForgeCore, looks_like_jwt
from updater_sandbox.forge.faults import SECONDARY_LIMIT_MESSAGE, FaultAction
from updater_sandbox.forge.git_http import serve_git
from updater_sandbox.forge.http import Request, Response, Router
from updater_sandbox.forge.ratelimit import RateSnapshot, rate_headers

DOCS = "https://docs.github.com/rest"


@dataclass(frozen=True)
class RecordedRequest:
    """One request as the forge saw it; the Authorization header is never kept."""

    method: str
    path: str
    query: dict[str, list[str]]
    headers: dict[str, str]
    json: Any
    status: int
    was_304: bool
    cost: int
    response_json: Any = field(default=None, compare=False, repr=False)
    # When the request arrived (UNIX time) and the repositories it named ("owner/name").
    at: float = field(default=0.0, compare=False)
    repos: frozenset[str] = field(default=frozenset(), compare=False)


@dataclass(frozen=True)
class ApiMount:
    """An API served under `prefix` whose router sees the rest of the path."""

    prefix: str
    router: Router
    github: bool  # GitHub-style auth, rate-limit headers and ETags
    graphql: Callable[[Request], Response] | None = None


class ForgeApp:
    def __init__(self, core: ForgeCore, mounts: list[ApiMount]) -> None:
        self.core = core
        self.mounts = mounts
        self._log: list[RecordedRequest] = []
        self._log_lock = threading.Lock()

    # request log --------------------------------------------------------------------------
    @property
    def requests(self) -> list[RecordedRequest]:
        with self._log_lock:
            return list(self._log)

    def clear_requests(self) -> None:
        with self._log_lock:
            self._log.clear()

    def _record(self, request: Request, response: Response, at: float = 0.0) -> None:
        try:
            body = (
                request.json()
                if request.headers.get("content-type", "").startswith("application/json")
                or request.body[:1] in (b"{", b"[")
                else None
            )
        except (ValueError, UnicodeDecodeError):
            body = None
        entry = RecordedRequest(
            method=request.method,
            path=request.path,
            query={k: list(v) for k, v in request.query.items()},
            headers={
                k: v
                for k, v in request.headers.items()
                if k not in ("authorization", "proxy-authorization")
            },
            json=body,
            status=response.status,
            was_304=response.status == 304,
            cost=response.cost,
            response_json=response.json_body,
            at=at,
            repos=frozenset(repos_named(request)),
        )
        with self._log_lock:
            self._log.append(entry)

    # dispatch -----------------------------------------------------------------------------
    def handle(self, request: Request) -> Response:
        at = time.time()
        latency = self.core.faults.latency
        if latency:
            time.sleep(latency)
        response = self._faulted(request) or self._route(request)
        self._record(request, response, at)
        return response

    def _faulted(self, request: Request) -> Response | None:
        fault = self.core.faults.take(request.path)
        if fault is None and self.core.faults.has_repo_faults():
            fault = self.core.faults.take_for(repos_named(request))
        if fault is None:
            return None
        if fault.kind == "drop":
            return Response(0, drop=True)
        github = any(request.path.startswith(m.prefix) and m.github for m in self.mounts)
        snap = self.core.rate_limit.bucket(
            "graphql" if request.path.startswith("/api/graphql") else "core"
        ).snapshot()
        headers = rate_headers(snap) if github else []
        if fault.kind == "exhausted":
            return _exhausted(request, snap, fault, github)
        if fault.kind == "status":
            return Response.json(
                fault.status, {"message": "Server Error", "status": str(fault.status)}, headers
            )
        headers = [*headers, ("Retry-After", str(fault.retry_after))]
        if fault.kind == "secondary":
            payload = {
                "message": SECONDARY_LIMIT_MESSAGE,
                "documentation_url": f"{DOCS}/overview/rate-limits-for-the-rest-api#about-secondary-rate-limits",
                "status": "403",
            }
            return Response.json(403, payload, headers)
        payload = {
            "message": "API rate limit exceeded. Please retry later.",
            "documentation_url": f"{DOCS}/overview/rate-limits-for-the-rest-api",
            "status": str(fault.status),
        }
        return Response.json(fault.status, payload, headers)

    def _route(self, request: Request) -> Response:
        for mount in self.mounts:
            if request.path == mount.prefix or request.path.startswith(mount.prefix + "/"):
                return self._api(mount, request)
        for serve in (serve_git, serve_archive, serve_asset):
            response = serve(self.core, request)
            if response is not None:
                return response
        return Response(404, b"Not Found\n", [("Content-Type", "text/plain")])

    def _api(self, mount: ApiMount, request: Request) -> Response:
        sub = request.path[len(mount.prefix) :] or "/"
        if not mount.github:
            return self._plain_api(mount, request, sub)
        resource = "graphql" if mount.graphql is not None else "core"
        bucket = self.core.rate_limit.bucket(resource)
        common = [
            ("X-GitHub-Media-Type", "github.v3; format=json"),
            ("X-GitHub-Request-Id", uuid.uuid4().hex[:20].upper()),
            ("X-GitHub-Api-Version-Selected", "2022-11-28"),
        ]
        if not self._authorised(request, sub):
            response = Response.json(
                401, {"message": "Bad credentials", "documentation_url": DOCS, "status": "401"}
            )
            response.headers += [*rate_headers(bucket.snapshot()), *common]
            return response
        if mount.graphql is not None:
            response = mount.graphql(request)
            response.headers += common
            return response
        free = sub == "/rate_limit"  # GitHub does not count this endpoint
        snap = bucket.snapshot()
        if snap.remaining <= 0 and not free:
            response = Response.json(
                403,
                {
                    "message": "API rate limit exceeded for installation.",
                    "documentation_url": f"{DOCS}/overview/rate-limits-for-the-rest-api#about-primary-rate-limits",
                    "status": "403",
                },
            )
            response.headers += [*rate_headers(snap), *common]
            return response
        response = mount.router.dispatch(request, sub) or Response.json(
            404, {"message": "Not Found", "documentation_url": DOCS, "status": "404"}
        )
        if request.method in ("GET", "HEAD") and response.status == 200:
            etag = _etag(response.body, request.token)
            if etag in _if_none_match(request):
                response = Response(304, b"", [("ETag", etag)])
                response.headers += [*rate_headers(bucket.snapshot()), *common]
                return response
            response.headers.append(("ETag", etag))
            response.headers.append(("Cache-Control", "private, max-age=60, s-maxage=60"))
            response.headers.append(("Vary", "Accept, Authorization, Cookie, X-GitHub-OTP"))
        if not free:
            bucket.try_consume(1)
            response.cost = 1
        response.headers += [*rate_headers(bucket.snapshot()), *common]
        return response

    def _authorised(self, request: Request, sub: str) -> bool:
        if sub.startswith("/app/") or sub.endswith("/installation"):
            # GitHub App endpoints authenticate with the app's JWT, not a token.
            return looks_like_jwt(request.token or "") or self.core.token_accepted(request.token)
        return self.core.token_accepted(request.token)

    def _plain_api(self, mount: ApiMount, request: Request, sub: str) -> Response:
        response = mount.router.dispatch(request, sub)
        if response is None:
            return Response.json(404, {"message": "404 Not Found"})
        if request.method == "GET" and response.status == 200:
            etag = _etag(response.body, None)
            if etag in _if_none_match(request):
                return Response(304, b"", [("ETag", etag)])
            response.headers.append(("ETag", etag))
        return response


def _exhausted(request: Request, snap: RateSnapshot, fault: FaultAction, github: bool) -> Response:
    """A primary limit spent until `fault.reset`, in the shape of the API asked."""
    reset = fault.reset or int(time.time()) + 60
    headers = [
        ("X-RateLimit-Limit", str(snap.limit)),
        ("X-RateLimit-Remaining", "0"),
        ("X-RateLimit-Reset", str(reset)),
        ("X-RateLimit-Used", str(snap.limit)),
        ("X-RateLimit-Resource", snap.resource),
    ]
    if request.path.startswith("/api/graphql"):
        # GitHub's GraphQL answers a spent limit with HTTP 200 and a RATE_LIMITED error.
        message = "API rate limit exceeded for user ID 1."
        return Response.json(
            200, {"errors": [{"type": "RATE_LIMITED", "message": message}]}, headers
        )
    payload = {
        "message": "API rate limit exceeded for user ID 1.",
        "documentation_url": f"{DOCS}/overview/rate-limits-for-the-rest-api",
        "status": "403",
    }
    return Response.json(403, payload, headers if github else [])


_REST_REPO = re.compile(r"^/api/v[13]/repos/([^/]+)/([^/]+)")
_GIT_REPO = re.compile(r"^/[a-z0-9.\-]+\.[a-z]+/([^/]+)/([^/]+?)(?:\.git)?(?:/|$)")
_ARG = r'(\$\w+|"[^"\\]*")'
_REPOSITORY_FIELD = re.compile(
    rf"repository\s*\(\s*(?:owner\s*:\s*{_ARG}\s*,?\s*name\s*:\s*{_ARG}"
    rf"|name\s*:\s*{_ARG}\s*,?\s*owner\s*:\s*{_ARG})"
)


def repos_named(request: Request) -> set[str]:
    """The repositories ("owner/name", lower case) a request names: by its path, or by the
    `repository(owner:, name:)` fields of a GraphQL query (literals or variables)."""
    for pattern in (_REST_REPO, _GIT_REPO):
        found = pattern.match(request.path)
        if found:
            return {f"{found[1]}/{found[2]}".lower()}
    if not request.path.startswith("/api/graphql") or request.method != "POST":
        return set()
    try:
        payload = json.loads(request.body or b"{}")
    except ValueError:
        return set()
    query = payload.get("query") if isinstance(payload, dict) else None
    if not isinstance(query, str):
        return set()
    variables = payload.get("variables")
    values = variables if isinstance(variables, dict) else {}

    def value(arg: str) -> str:
        if arg.startswith("$"):
            found = values.get(arg[1:])
            return found if isinstance(found, str) else ""
        return arg[1:-1]

    out: set[str] = set()
    for m in _REPOSITORY_FIELD.finditer(query):
        owner, name = (m[1], m[2]) if m[1] else (m[4], m[3])
        out.add(f"{value(owner)}/{value(name)}".lower())
    return out


def _etag(body: bytes, token: str | None) -> str:
    # GitHub's ETags vary with the Authorization header: a new token means new ETags.
    digest = hashlib.sha256(body + b"\0" + (token or "").encode()).hexdigest()[:40]
    return f'W/"{digest}"'


def _if_none_match(request: Request) -> set[str]:
    raw = request.headers.get("if-none-match", "")
    tags = {t.strip() for t in raw.split(",") if t.strip()}
    # A client may drop the weak prefix; both forms name the same representation.
    return tags | {f"W/{t}" for t in tags if not t.startswith("W/")}
