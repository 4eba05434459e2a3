"""Credentials for the forge: a personal access token, or a GitHub App installation token.

A GitHub App signs a short JWT with its private key (RS256, PyJWT), finds its installation on
the package repository (GET /repos/{owner}/{repo}/installation) unless configured, and trades
the JWT for an installation token (POST /app/installations/{id}/access_tokens). Installation
tokens live one hour; a new one is fetched `refresh_margin` seconds before expiry.

Tokens and keys never appear in a log line or an error message: each token is registered with
the log redactor as soon as it is known, and errors name only the HTTP status and the endpoint.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any, Protocol

import httpx
import jwt

from updater.config import Config, Endpoints, Secrets
from updater.errors import ConfigError, ForgeError, RateLimitedError
from updater.logs import get_logger, register_secret

_log = get_logger("forge.auth")

USER_AGENT = "updater-bot"
API_HEADERS = {
    "Accept": "application/vnd.github+json",
    "X-GitHub-Api-Version": "2022-11-28",
    "User-Agent": USER_AGENT,
}
# GitHub rejects App JWTs valid for more than 10 minutes; clocks drift, so start 60 s back.
JWT_LIFETIME = 540
JWT_BACKDATE = 60
DEFAULT_REFRESH_MARGIN = 300.0


class TokenProvider(Protocol):
    """Something that hands out a currently valid token for the forge API and git."""

    @property
    def kind(self) -> str: ...

    def token(self) -> str: ...


@dataclass(frozen=True)
class StaticToken:
    """A personal access token (or Actions' GITHUB_TOKEN), used as it is."""

    value: str

    def __post_init__(self) -> None:
        register_secret(self.value)

    def __repr__(self) -> str:
        return "StaticToken(***)"

    @property
    def kind(self) -> str:
        return "token"

    def token(self) -> str:
        return self.value


def load_private_key(value: str) -> str:
    """The PEM text of the App's key: given inline (with real or `\\n` newlines) or as a path."""
    text = value.strip()
    if not text.startswith("-----BEGIN"):
        path = Path(text).expanduser()
        try:
            text = path.read_text(encoding="utf-8").strip()
        except (OSError, ValueError):
            raise ConfigError(
                "UPDATER_GITHUB_APP_PRIVATE_KEY: neither a PEM private key nor a readable key file"
            ) from None
    text = text.replace("\\n", "\n")
    if "PRIVATE KEY-----" not in text:
        raise ConfigError("UPDATER_GITHUB_APP_PRIVATE_KEY: not a PEM private key")
    for line in text.splitlines():
        if len(line) >= 16 and "-----" not in line:
            register_secret(line)
    return text


def app_jwt(app_id: int, private_key: str, now: float) -> str:
    """The App's own credential, used only to ask for installation tokens."""
    payload = {"iat": int(now) - JWT_BACKDATE, "exp": int(now) + JWT_LIFETIME, "iss": str(app_id)}
    try:
        token = jwt.encode(payload, private_key, algorithm="RS256")
    except (ValueError, TypeError, jwt.PyJWTError):
        # The library's message may quote key material: say only what is wrong.
        raise ConfigError(
            f"GitHub App {app_id}: UPDATER_GITHUB_APP_PRIVATE_KEY is not a usable RSA private key"
        ) from None
    register_secret(token)
    return token


def _parse_expiry(value: Any) -> float | None:
    if not isinstance(value, str):
        return None
    try:
        return datetime.fromisoformat(value.replace("Z", "+00:00")).timestamp()
    except ValueError:
        return None


def _raise_for(response: httpx.Response, what: str) -> None:
    if response.status_code < 400:
        return
    if response.status_code in (403, 429) and (
        "retry-after" in response.headers or response.headers.get("x-ratelimit-remaining") == "0"
    ):
        retry_at: float | None = None
        if response.headers.get("retry-after", "").isdigit():
            retry_at = time.time() + int(response.headers["retry-after"])
        elif response.headers.get("x-ratelimit-reset", "").isdigit():
            retry_at = float(response.headers["x-ratelimit-reset"])
        raise RateLimitedError(f"{what}: rate limited (HTTP {response.status_code})", retry_at)
    raise ForgeError(f"{what}: HTTP {response.status_code}")


class AppTokenProvider:
    """Installation tokens of a GitHub App, fetched lazily and refreshed before they expire."""

    def __init__(
        self,
        *,
        app_id: int,
        private_key: str,
        api_url: str,
        repository: str | None,
        installation_id: int | None = None,
        refresh_margin: float = DEFAULT_REFRESH_MARGIN,
        clock: Callable[[], float] = time.time,
        timeout: float = 30.0,
    ) -> None:
        if installation_id is None and not repository:
            raise ConfigError(
                "GitHub App: set github.app_installation_id or the repository (repository.github or GITHUB_REPOSITORY)"
            )
        self._app_id = app_id
        self._key = private_key
        self._api = api_url.rstrip("/")
        self._repository = repository
        self._installation_id = installation_id
        self._margin = refresh_margin
        self._clock = clock
        self._timeout = timeout
        self._lock = threading.Lock()
        self._token: str | None = None
        self._expires_at = 0.0

    def __repr__(self) -> str:
        return f"AppTokenProvider(app_id={self._app_id}, installation_id={self._installation_id})"

    @property
    def kind(self) -> str:
        return "app"

    @property
    def expires_at(self) -> float:
        return self._expires_at

    def _request(self, method: str, path: str, bearer: str, what: str) -> dict[str, Any]:
        headers = {**API_HEADERS, "Authorization": f"Bearer {bearer}"}
        try:
            with httpx.Client(timeout=self._timeout, follow_redirects=False) as client:
                response = client.request(method, self._api + path, headers=headers)
        except httpx.HTTPError as exc:
            raise ForgeError(f"{what}: {type(exc).__name__}") from None
        _raise_for(response, what)
        try:
            data = response.json()
        except ValueError:
            raise ForgeError(f"{what}: the answer is not JSON") from None
        if not isinstance(data, dict):
            raise ForgeError(f"{what}: unexpected answer")
        return data

    def installation_id(self) -> int:
        if self._installation_id is None:
            what = f"GitHub App {self._app_id}: finding its installation on {self._repository}"
            data = self._request(
                "GET",
                f"/repos/{self._repository}/installation",
                app_jwt(self._app_id, self._key, self._clock()),
                what,
            )
            found = data.get("id")
            if not isinstance(found, int) or isinstance(found, bool):
                raise ForgeError(f"{what}: no installation id in the answer")
            self._installation_id = found
            _log.info("app installation found", app_id=self._app_id, installation_id=found)
        return self._installation_id

    def _refresh(self) -> None:
        installation = self.installation_id()
        what = f"GitHub App {self._app_id}: installation token for installation {installation}"
        data = self._request(
            "POST",
            f"/app/installations/{installation}/access_tokens",
            app_jwt(self._app_id, self._key, self._clock()),
            what,
        )
        token = data.get("token")
        expires = _parse_expiry(data.get("expires_at"))
        if not isinstance(token, str) or not token or expires is None:
            raise ForgeError(f"{what}: the answer has no token or expiry")
        register_secret(token)
        self._token, self._expires_at = token, expires
        _log.info(
            "installation token refreshed", app_id=self._app_id, expires_at=data.get("expires_at")
        )

    def token(self) -> str:
        with self._lock:
            if self._token is None or self._clock() >= self._expires_at - self._margin:
                self._refresh()
            assert self._token is not None
            return self._token


def token_provider(config: Config, secrets: Secrets, endpoints: Endpoints) -> TokenProvider:
    """The App when configured (app id + private key), else the personal token."""
    app_id = config.github.app_id
    if app_id is not None and secrets.app_private_key:
        return AppTokenProvider(
            app_id=app_id,
            private_key=load_private_key(secrets.app_private_key),
            api_url=endpoints.api_url,
            repository=endpoints.repository,
            installation_id=config.github.app_installation_id,
        )
    if app_id is not None:
        raise ConfigError("github.app_id is set but UPDATER_GITHUB_APP_PRIVATE_KEY is not")
    if secrets.github_token:
        return StaticToken(secrets.github_token)
    raise ConfigError(
        "no forge credentials: set GITHUB_TOKEN, or github.app_id and UPDATER_GITHUB_APP_PRIVATE_KEY"
    )
