"""Credentials: a personal token as it is, or GitHub App installation tokens refreshed in time."""

from __future__ import annotations

from pathlib import Path

import jwt
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from forge_helpers import OWNER, REPO, World

from updater.config import Config, Endpoints, PullRequestConfig, Secrets
from updater.errors import ConfigError, ForgeError
from updater.forge.auth import (
    AppTokenProvider,
    StaticToken,
    app_jwt,
    load_private_key,
    token_provider,
)
from updater.forge.client import ForgeClient, build_retry
from updater.forge.pulls import PullRequests
from updater.logs import redact_text

ACCESS_TOKENS = "/access_tokens"


@pytest.fixture(scope="module")
def key_pair() -> tuple[str, str]:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    private = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    ).decode()
    public = (
        key.public_key()
        .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
        .decode()
    )
    return private, public


def test_app_jwt_is_short_lived_and_signed(key_pair: tuple[str, str]) -> None:
    private, public = key_pair
    token = app_jwt(12345, private, now=1_700_000_000)
    claims = jwt.decode(
        token, public, algorithms=["RS256"], options={"verify_exp": False, "verify_iat": False}
    )
    assert claims["iss"] == "12345"
    assert claims["iat"] == 1_700_000_000 - 60  # backdated for clock drift
    assert claims["exp"] - claims["iat"] <= 600  # GitHub's maximum
    assert redact_text(f"jwt {token}") == "jwt [REDACTED]"


def test_private_key_inline_escaped_or_as_a_file(key_pair: tuple[str, str], tmp_path: Path) -> None:
    private, _ = key_pair
    assert load_private_key(private) == private.strip()
    assert load_private_key(private.strip().replace("\n", "\\n")) == private.strip()
    path = tmp_path / "app.pem"
    path.write_text(private)
    assert load_private_key(str(path)) == private.strip()


def test_bad_keys_fail_without_quoting_them(tmp_path: Path) -> None:
    secret_looking = "not-a-key-but-secret-material-1234567890"
    with pytest.raises(ConfigError) as info:
        load_private_key(secret_looking)
    assert secret_looking not in str(info.value)
    broken = "-----BEGIN RSA PRIVATE KEY-----\nMIIsecretsecretsecretsecret\n-----END RSA PRIVATE KEY-----"
    with pytest.raises(ConfigError) as info:
        app_jwt(1, load_private_key(broken), now=0)
    assert "MIIsecret" not in str(info.value)


def test_provider_choice() -> None:
    endpoints = Endpoints(
        api_url="https://api.github.com", graphql_url="x", server_url="y", repository="o/r"
    )
    pat = token_provider(Config(), Secrets(github_token="ghp_" + "a" * 36), endpoints)
    assert isinstance(pat, StaticToken) and pat.kind == "token"
    assert "ghp_" not in repr(pat)
    with pytest.raises(ConfigError, match="no forge credentials"):
        token_provider(Config(), Secrets(), endpoints)
    app_config = Config.model_validate({"github": {"app_id": 7}})
    with pytest.raises(ConfigError, match="PRIVATE_KEY"):
        token_provider(app_config, Secrets(github_token="ghp_" + "a" * 36), endpoints)


def app_provider(
    world: World, private: str, clock: list[float], installation: int | None = None
) -> AppTokenProvider:
    return AppTokenProvider(
        app_id=42,
        private_key=private,
        api_url=world.forge.api_url,
        repository=f"{OWNER}/{REPO}",
        installation_id=installation,
        clock=lambda: clock[0],
    )


def test_installation_token_is_discovered_used_and_refreshed(
    world: World, key_pair: tuple[str, str]
) -> None:
    import time

    private, _ = key_pair
    clock = [time.time()]
    provider = app_provider(world, private, clock)
    client = ForgeClient(
        api_url=world.forge.api_url,
        repository=f"{OWNER}/{REPO}",
        tokens=provider,
        pull_requests=PullRequestConfig(write_interval=0),
        retry=build_retry(backoff_factor=0),
    )
    pulls = PullRequests(client)
    assert pulls.for_branch("updater/foo") == ()
    first = provider.token()
    assert first.startswith("ghs_")
    paths = [r.path for r in world.forge.requests]
    assert paths[:2] == [f"/api/v3/repos/{OWNER}/{REPO}/installation", paths[1]]
    assert paths[1].endswith(ACCESS_TOKENS)
    # Still valid: reused, no new request.
    pulls.for_branch("updater/foo")
    assert sum(p.endswith(ACCESS_TOKENS) for p in (r.path for r in world.forge.requests)) == 1
    # Within five minutes of expiry: refreshed before use; the installation id is remembered.
    clock[0] = provider.expires_at - 200
    pulls.for_branch("updater/foo")
    # (The local forge dates new tokens by the real clock: come back to it.)
    clock[0] = time.time()
    assert provider.token() != first
    recorded = [r.path for r in world.forge.requests]
    assert sum(p.endswith(ACCESS_TOKENS) for p in recorded) == 2
    assert sum(p.endswith("/installation") for p in recorded) == 1
    # The token never reaches the recorded headers or a log line unmasked.
    assert redact_text(f"token={provider.token()}") == "token=[REDACTED]"


def test_configured_installation_id_skips_discovery(
    world: World, key_pair: tuple[str, str]
) -> None:
    provider = app_provider(world, key_pair[0], [0.0 + __import__("time").time()], installation=99)
    provider.token()
    assert [r.path for r in world.forge.requests] == ["/api/v3/app/installations/99/access_tokens"]


def test_token_endpoint_failure_names_no_secret(world: World, key_pair: tuple[str, str]) -> None:
    import time

    provider = app_provider(world, key_pair[0], [time.time()], installation=5)
    world.forge.faults.fail_next(1, status=500, path_prefix="/api/v3/app/")
    with pytest.raises(ForgeError) as info:
        provider.token()
    message = str(info.value)
    assert "HTTP 500" in message and "installation 5" in message
    assert "eyJ" not in message and "BEGIN" not in message
