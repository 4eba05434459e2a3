"""Helpers for the service tests: free ports, a small package repository on the local forge."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import time
import urllib.error
import urllib.request
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from updater_sandbox.forge.local_forge import LocalForge

TOKEN = "ghp_" + "serviceTestTokenNotReal".ljust(36, "0")
RUN_TOKEN = "run-token-for-tests-0123456789"
BASE = datetime(2025, 1, 1, tzinfo=UTC)
GIT_ENV = {"GIT_CONFIG_NOSYSTEM": "1", "GIT_CONFIG_GLOBAL": os.devnull}

ORG_HEAD = "{ callPackage }:\n{\n"
PACKAGE = """{{ stdenv, fetchFromGitHub }}:
stdenv.mkDerivation rec {{
  pname = "{name}";
  version = "{version}";
  src = fetchFromGitHub {{
    owner = "acme";
    repo = "{name}";
    rev = "v${{version}}";
    hash = "sha256-AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=";
  }};
}}
"""


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def git(args: list[str], cwd: Path, inp: bytes | None = None) -> str:
    env = {k: v for k, v in os.environ.items() if not k.startswith("GIT_")} | GIT_ENV
    proc = subprocess.run(
        ["git", *args], cwd=cwd, input=inp, capture_output=True, check=True, timeout=60, env=env
    )
    return proc.stdout.decode()


def upstream(forge: LocalForge, name: str, versions: list[str]) -> None:
    """github.com/acme/<name>: one commit per version (a day apart), tagged v<version>, released."""
    path = forge.repo_path("github.com", "acme", name)
    path.parent.mkdir(parents=True, exist_ok=True)
    git(["init", "-q", "--bare", "-b", "main", str(path)], path.parent)
    stream = b""
    for i, version in enumerate(versions, start=1):
        ts = int((BASE + timedelta(days=i)).timestamp())
        msg = f"release {version}".encode()
        body = f"{version}\n".encode()
        stream += (
            f"commit refs/heads/main\nmark :{i}\ncommitter A <a@example.org> {ts} +0000\n".encode()
        )
        stream += b"data %d\n%s\n" % (len(msg), msg)
        stream += f"from :{i - 1}\n".encode() if i > 1 else b""
        stream += b"M 644 inline VERSION\ndata %d\n%s\n" % (len(body), body)
        stream += f"reset refs/tags/v{version}\nfrom :{i}\n\n".encode()
    git(["--git-dir", str(path), "fast-import", "--quiet"], path.parent, stream)
    for i, version in enumerate(versions, start=1):
        forge.add_release(
            "github.com", "acme", name, f"v{version}", published_at=BASE + timedelta(days=i)
        )


def make_nur(repo: Path, packages: Mapping[str, str]) -> None:
    """pkgs/acme/{default,<name>}.nix pinning each package at its version; one commit."""
    org = repo / "pkgs" / "acme"
    org.mkdir(parents=True)
    lines = [f"  {name} = callPackage ./{name}.nix {{ }};\n" for name in packages]
    (org / "default.nix").write_text(ORG_HEAD + "".join(lines) + "}\n")
    for name, version in packages.items():
        (org / f"{name}.nix").write_text(PACKAGE.format(name=name, version=version))
    git(["init", "-q", "-b", "main"], repo)
    git(["add", "."], repo)
    git(["-c", "user.name=t", "-c", "user.email=t@t", "commit", "-qm", "init"], repo)


@dataclass(frozen=True)
class SmallWorld:
    forge: LocalForge
    repo: Path
    env: dict[str, str]


def world_env(forge: LocalForge, gitconfig: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("GIT_", "GITHUB_", "UPDATER_"))}
    env.update(
        GIT_CONFIG_GLOBAL=str(forge.write_gitconfig(gitconfig)),
        GIT_CONFIG_NOSYSTEM="1",
        GITHUB_API_URL=forge.api_url,
        GITHUB_GRAPHQL_URL=forge.graphql_url,
        GITHUB_TOKEN=TOKEN,
        UPDATER_RUN_TOKEN=RUN_TOKEN,
    )
    return env


def http(
    method: str, url: str, headers: Mapping[str, str] | None = None, timeout: float = 10
) -> tuple[int, dict[str, str], bytes]:
    req = urllib.request.Request(url, method=method, headers=dict(headers or {}))
    try:
        with urllib.request.urlopen(req, timeout=timeout) as resp:
            return resp.status, {k.lower(): v for k, v in resp.headers.items()}, resp.read()
    except urllib.error.HTTPError as err:
        return err.code, {k.lower(): v for k, v in err.headers.items()}, err.read()


def wait_for(predicate: Any, timeout: float, what: str, interval: float = 0.05) -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(interval)
    raise AssertionError(f"timed out after {timeout}s waiting for {what}")


def healthz(base: str) -> dict[str, Any] | None:
    try:
        status, _h, body = http("GET", base + "/healthz", timeout=2)
    except OSError:
        return None
    return json.loads(body) if status == 200 else None
