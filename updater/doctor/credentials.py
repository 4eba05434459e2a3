"""Credentials: present, shaped like what they claim to be (a personal token, an App's key);
with `--online`, the forge answers, accepts the token, lets it push and open pull requests on
the repository, and says how much of the rate limit is left.

The token itself is never shown: only its kind and length.
"""

from __future__ import annotations

import asyncio
import re
from dataclasses import dataclass
from urllib.parse import urlsplit

from updater.context import AppContext
from updater.doctor.model import CheckResult, Status
from updater.errors import UpdaterError
from updater.forge.auth import load_private_key, token_provider
from updater.upstream.http import HttpClient, HttpSettings

# GitHub's token formats (github.blog, "Behind GitHub's new authentication token formats").
_SHAPES: tuple[tuple[re.Pattern[str], str], ...] = (
    (re.compile(r"^ghp_[A-Za-z0-9]{36}$"), "personal access token (classic)"),
    (re.compile(r"^github_pat_[A-Za-z0-9_]{22,255}$"), "fine-grained personal access token"),
    (re.compile(r"^gho_[A-Za-z0-9]{36}$"), "OAuth token"),
    (re.compile(r"^ghu_[A-Za-z0-9]{36}$"), "GitHub App user token"),
    (re.compile(r"^ghs_[A-Za-z0-9]{36,}$"), "installation token (GitHub Actions or an App)"),
)


def token_kind(token: str) -> str | None:
    """What a GitHub token's shape says it is, or None for an unknown shape."""
    for pattern, kind in _SHAPES:
        if pattern.match(token):
            return kind
    return None


def _present(ctx: AppContext) -> CheckResult:
    app_id = ctx.config.github.app_id
    key = ctx.secrets.app_private_key
    if app_id is not None:
        if not key:
            return CheckResult(
                "credentials",
                "present",
                "fail",
                "github.app_id is set but UPDATER_GITHUB_APP_PRIVATE_KEY is not",
            )
        try:
            load_private_key(key)
        except UpdaterError as exc:
            return CheckResult("credentials", "present", "fail", str(exc))
        return CheckResult(
            "credentials", "present", "ok", f"GitHub App {app_id}: a PEM private key"
        )
    token = ctx.secrets.github_token
    if not token:
        status: Status = "fail" if ctx.endpoints.repository else "warn"
        return CheckResult(
            "credentials",
            "present",
            status,
            "no GITHUB_TOKEN: no pull requests, and upstream GitHub queries are unauthenticated",
            "export GITHUB_TOKEN (a token that may push and open pull requests)",
        )
    kind = token_kind(token)
    if kind is None:
        return CheckResult(
            "credentials",
            "present",
            "warn",
            f"GITHUB_TOKEN ({len(token)} characters) has none of GitHub's token shapes",
            "expected ghp_..., github_pat_..., ghs_...",
        )
    return CheckResult("credentials", "present", "ok", f"GITHUB_TOKEN: {kind}")


@dataclass(frozen=True)
class _Answers:
    rate: CheckResult
    access: CheckResult


def credential_checks(ctx: AppContext, online: bool) -> list[CheckResult]:
    present = _present(ctx)
    if not online:
        return [
            present,
            CheckResult("credentials", "forge", "skip", "not asked (use --online)"),
        ]
    if present.status == "fail":
        return [present, CheckResult("credentials", "forge", "skip", "no usable credentials")]
    try:
        token = (
            token_provider(ctx.config, ctx.secrets, ctx.endpoints).token()
            if ctx.config.github.app_id is not None or ctx.secrets.github_token
            else None
        )
    except UpdaterError as exc:
        return [present, CheckResult("credentials", "forge", "fail", str(exc))]
    answers = asyncio.run(_ask(ctx, token))
    return [present, answers.rate, answers.access]


async def _ask(ctx: AppContext, token: str | None) -> _Answers:
    api = ctx.endpoints.api_url
    tokens = {urlsplit(api).netloc: token} if token else {}
    # Few attempts: the doctor says the forge is down rather than wait for it.
    settings = HttpSettings(max_attempts=2, timeout=15.0, backoff_base=0.5, circuit_failures=2)
    async with HttpClient(settings, tokens=tokens) as http:
        try:
            resp = await http.request("GET", f"{api}/rate_limit")
        except UpdaterError as exc:
            rate = CheckResult("credentials", "forge", "fail", str(exc))
            return _Answers(rate, CheckResult("credentials", "access", "skip", "the forge failed"))
        rate = _rate(api, resp.status, resp.json() if resp.status == 200 else None)
        if rate.status == "fail":
            return _Answers(rate, CheckResult("credentials", "access", "skip", "the forge failed"))
        return _Answers(rate, await _access(ctx, http, token))


def _rate(api: str, status: int, body: object) -> CheckResult:
    if status != 200 or not isinstance(body, dict):
        return CheckResult("credentials", "forge", "fail", f"{api}/rate_limit: HTTP {status}")
    core = (
        body.get("resources", {}).get("core", {}) if isinstance(body.get("resources"), dict) else {}
    )
    remaining, limit = core.get("remaining"), core.get("limit")
    detail = f"{api} answers; rate limit: {remaining} of {limit} left"
    low = isinstance(remaining, int) and isinstance(limit, int) and remaining < limit // 10
    return CheckResult("credentials", "forge", "warn" if low else "ok", detail)


async def _access(ctx: AppContext, http: HttpClient, token: str | None) -> CheckResult:
    repo = ctx.endpoints.repository
    if repo is None:
        return CheckResult(
            "credentials",
            "access",
            "skip",
            "no repository on the forge ([repository] github or GITHUB_REPOSITORY)",
        )
    if token is None:
        return CheckResult("credentials", "access", "fail", f"no token to push to {repo}")
    try:
        resp = await http.request("GET", f"{ctx.endpoints.api_url}/repos/{repo}")
    except UpdaterError as exc:
        return CheckResult("credentials", "access", "fail", str(exc))
    if resp.status != 200:
        return CheckResult(
            "credentials",
            "access",
            "fail",
            f"{repo}: HTTP {resp.status} (no such repository, or hidden from this token)",
        )
    body = resp.json()
    permissions = body.get("permissions") if isinstance(body, dict) else None
    if not isinstance(permissions, dict):
        return CheckResult(
            "credentials",
            "access",
            "warn",
            f"{repo}: the forge does not say what this token may do",
        )
    if not permissions.get("push"):
        return CheckResult(
            "credentials",
            "access",
            "fail",
            f"{repo}: this token may not push (so neither open pull requests from a branch)",
            "give the token contents: write and pull_requests: write",
        )
    return CheckResult("credentials", "access", "ok", f"{repo}: may push and open pull requests")
