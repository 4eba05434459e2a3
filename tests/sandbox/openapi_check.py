"""Check requests and responses against GitHub's official OpenAPI description (@octokit/openapi).

`validate_response(method, path, status, body)` and `validate_request(method, path, body)` return
a list of problems (empty when the message fits the description). OpenAPI 3.0's `nullable` is
rewritten into JSON Schema before validation; `date-time` and `uri` formats are checked.
Reused by the pull-request tests: put this directory on sys.path and import `openapi_check`.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from datetime import datetime
from functools import cache
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlsplit

import jsonschema
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT4

SPEC_PATH = (
    Path(__file__).resolve().parents[1]
    / "openapi"
    / "node_modules"
    / "@octokit"
    / "openapi"
    / "generated"
    / "api.github.com.json"
)
_URN = "urn:github:api.github.com"
_API_PREFIX = "/api/v3"
# Path parameters that may contain slashes when they end the path.
_GREEDY = {"ref", "branch", "basehead", "tag", "path"}
METHODS = ("get", "post", "put", "patch", "delete")


def spec_available() -> bool:
    return SPEC_PATH.is_file()


@dataclass(frozen=True)
class Operation:
    template: str
    method: str
    spec: dict[str, Any]


def _nullable_to_json_schema(node: Any) -> Any:
    if isinstance(node, list):
        return [_nullable_to_json_schema(n) for n in node]
    if not isinstance(node, dict):
        return node
    out = {k: _nullable_to_json_schema(v) for k, v in node.items()}
    if out.get("nullable") is True:
        del out["nullable"]
        if "enum" in out:
            out["enum"] = [*out["enum"], None]
        return {"anyOf": [out, {"type": "null"}]}
    return out


def _discriminate_event_payloads(spec: dict[str, Any]) -> None:
    """Event payloads by the event's `type`, as GitHub tells them apart.

    The description lists them as a oneOf that no real event satisfies: PublicEvent's schema
    accepts any object and DeleteEvent's accepts every CreateEvent payload. Each branch's title
    is the event type it describes.
    """
    schemas = spec["components"]["schemas"]
    event = schemas.get("event")
    payload = event.get("properties", {}).get("payload") if isinstance(event, dict) else None
    if not isinstance(payload, dict) or "oneOf" not in payload:
        return
    branches = []
    for ref in payload["oneOf"]:
        title = schemas[ref["$ref"].rsplit("/", 1)[1]].get("title")
        branches.append({"properties": {"type": {"enum": [title]}, "payload": ref}})
    event["properties"]["payload"] = {"type": "object"}
    schemas["event"] = {"allOf": [event, {"anyOf": branches}]}


@cache
def _spec() -> dict[str, Any]:
    raw = json.loads(SPEC_PATH.read_text())
    result: dict[str, Any] = _nullable_to_json_schema(raw)
    _discriminate_event_payloads(result)
    return result


@cache
def _registry() -> Registry[Any]:
    return Registry().with_resource(
        _URN, Resource.from_contents(_spec(), default_specification=DRAFT4)
    )


@cache
def _matchers() -> list[tuple[re.Pattern[str], int, str]]:
    out = []
    for template in _spec()["paths"]:
        parts = re.split(r"(\{[^}]+\})", template)
        regex = ""
        literal = 0
        for i, part in enumerate(parts):
            if part.startswith("{"):
                name = part[1:-1]
                last = i >= len(parts) - 2 and not parts[-1]
                regex += "(.+)" if name in _GREEDY and last else "([^/]+)"
            else:
                regex += re.escape(part)
                literal += len(part)
        out.append((re.compile(regex + r"\Z"), literal, template))
    return out


def find_operation(method: str, path: str) -> Operation | None:
    """The described operation for a concrete path (with or without the /api/v3 prefix)."""
    path = urlsplit(path).path
    if path.startswith(_API_PREFIX):
        path = path[len(_API_PREFIX) :] or "/"
    candidates = [(lit, t) for rx, lit, t in _matchers() if rx.match(path)]
    for _, template in sorted(candidates, reverse=True):
        op = _spec()["paths"][template].get(method.lower())
        if op is not None:
            return Operation(template, method.lower(), op)
    return None


def _pointer(*parts: str) -> str:
    return "/".join(quote(p.replace("~", "~0").replace("/", "~1"), safe="~") for p in parts)


def _format_checker() -> jsonschema.FormatChecker:
    checker = jsonschema.FormatChecker()

    @checker.checks("date-time", raises=ValueError)
    def _date_time(value: object) -> bool:
        if not isinstance(value, str):
            return True
        if not re.match(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?(Z|[+-]\d\d:\d\d)\Z", value):
            raise ValueError(f"not an RFC 3339 date-time: {value!r}")
        datetime.fromisoformat(value.replace("Z", "+00:00"))
        return True

    @checker.checks("uri", raises=ValueError)
    def _uri(value: object) -> bool:
        if isinstance(value, str) and not urlsplit(value).scheme:
            raise ValueError(f"not an absolute URI: {value!r}")
        return True

    return checker


def _validate(schema_pointer: str, instance: Any) -> list[str]:
    validator = jsonschema.Draft4Validator(
        {"$ref": f"{_URN}#/{schema_pointer}"},
        registry=_registry(),
        format_checker=_format_checker(),
    )
    problems = []
    for err in sorted(validator.iter_errors(instance), key=lambda e: list(e.absolute_path)):
        where = "/".join(str(p) for p in err.absolute_path) or "<root>"
        best = jsonschema.exceptions.best_match([err])
        problems.append(f"{where}: {best.message[:300]}")
    return problems


def _resolve_response(op: Operation, status: int) -> tuple[str, dict[str, Any]] | None:
    responses = op.spec.get("responses", {})
    key = (
        str(status) if str(status) in responses else ("default" if "default" in responses else None)
    )
    if key is None:
        return None
    pointer = ["paths", op.template, op.method, "responses", key]
    response = responses[key]
    while "$ref" in response:
        ref = response["$ref"].removeprefix("#/").split("/")
        pointer = ref
        response = _spec()
        for part in ref:
            response = response[part]
    return _pointer(*pointer), response


def validate_response(method: str, path: str, status: int, body: Any) -> list[str]:
    op = find_operation(method, path)
    if op is None:
        return [f"{method} {path}: no such operation in GitHub's OpenAPI description"]
    resolved = _resolve_response(op, status)
    if resolved is None:
        return [f"{method} {op.template}: status {status} is not described"]
    pointer, response = resolved
    content = response.get("content", {})
    if "application/json" not in content:
        if body not in (None, b"", ""):
            return [f"{method} {op.template} {status}: no body is described, got one"]
        return []
    if "schema" not in content["application/json"]:
        return []
    return [
        f"{method} {op.template} {status}: {p}"
        for p in _validate(f"{pointer}/content/{_pointer('application/json')}/schema", body)
    ]


def validate_request(method: str, path: str, body: Any) -> list[str]:
    """Problems with a request the bot sent: unknown operation, or a JSON body off the schema."""
    op = find_operation(method, path)
    if op is None:
        return [f"{method} {path}: no such operation in GitHub's OpenAPI description"]
    request_body = op.spec.get("requestBody")
    if request_body is None:
        if body not in (None, {}, b"", ""):
            return [f"{method} {op.template}: sends a body the operation does not take"]
        return []
    content = request_body.get("content", {})
    if "application/json" not in content:
        return []
    if body is None:
        return (
            [f"{method} {op.template}: request body is required"]
            if request_body.get("required")
            else []
        )
    pointer = _pointer(
        "paths", op.template, op.method, "requestBody", "content", "application/json", "schema"
    )
    return [f"{method} {op.template} request: {p}" for p in _validate(pointer, body)]
