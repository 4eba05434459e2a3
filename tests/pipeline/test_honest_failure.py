"""Honest failure (issue 17 §3): a shared cause of the environment (Nix cannot build, a forge
host unreachable, a token refused) is noticed at its first failure, said once with where to
look, the rest is not attempted, and the command exits 1. Real Nix, a real closed port, the
local forge; nothing mocked."""

from __future__ import annotations

import asyncio
import os
import socket
import subprocess
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from updater.errors import HostUnreachableError, TokenRejectedError, UpstreamError
from updater.upstream.git import GitSource
from updater.upstream.http import HostCircuit, HttpClient, HttpSettings
from updater.upstream.model import SourceSpec
from updater_sandbox.forge.local_forge import LocalForge
from updater_sandbox.world import World

UPDATER = [sys.executable, "-m", "updater"]
TOKEN = "ghp_" + "honestFailureTokenNotReal".ljust(36, "0")
HINT = "Run `updater doctor`."
FAKE_HASH = "sha256-" + "A" * 43 + "="
NO_BUILD_USERS = "error: the group 'nosuchgroup' specified in 'build-users-group' does not exist"


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _broken_nix(tmp_path: Path) -> dict[str, str]:
    """XDG_CONFIG_HOME with a nix.conf naming a build users group that does not exist: the
    world keeps the caller's NIX_* variables out, the user's Nix configuration it does not."""
    conf = tmp_path / "xdg" / "nix"
    conf.mkdir(parents=True)
    (conf / "nix.conf").write_text("build-users-group = nosuchgroup\n")
    return {"XDG_CONFIG_HOME": str(tmp_path / "xdg")}


# -- the circuit --------------------------------------------------------------------------------


def test_a_host_that_refuses_connections_is_not_asked_again() -> None:
    url = f"http://127.0.0.1:{_closed_port()}/x"
    settings = HttpSettings(max_attempts=5, backoff_base=0.01, per_host_connections=4)

    async def go() -> tuple[list[BaseException | object], int]:
        async with HttpClient(settings) as http:
            outcomes = await asyncio.gather(
                *(http.request("GET", f"{url}/{i}") for i in range(100)), return_exceptions=True
            )
            return list(outcomes), http.stats.sent

    outcomes, sent = asyncio.run(go())
    assert all(isinstance(o, HostUnreachableError) for o in outcomes), outcomes[:3]
    assert {o.host for o in outcomes if isinstance(o, HostUnreachableError)} == {url.split("/")[2]}
    # 3 refusals in a row open the circuit; only those already connecting were sent too,
    # where 100 requests with 5 attempts each would have made 500.
    assert sent <= settings.circuit_failures + settings.per_host_connections


class _Ok(BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        self.send_response(200)
        self.send_header("Content-Length", "2")
        self.end_headers()
        self.wfile.write(b"ok")

    def log_message(self, *_args: object) -> None:
        pass


class _NotFound(BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        self.send_response(404)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, *_args: object) -> None:
        pass


def test_a_git_host_that_answers_not_found_stays_open() -> None:
    # Repositories missing on a host that answers are each their own error: the host is fine.
    server = ThreadingHTTPServer(("127.0.0.1", 0), _NotFound)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    base = f"http://127.0.0.1:{server.server_address[1]}"
    specs = [SourceSpec("git", "127.0.0.1", "o", f"r{i}", f"{base}/o/r{i}.git") for i in range(5)]
    git = GitSource(circuit=HostCircuit(2))

    async def go() -> list[BaseException | object]:
        return list(await asyncio.gather(*(git.fetch(s) for s in specs), return_exceptions=True))

    try:
        outcomes = asyncio.run(go())
    finally:
        server.shutdown()
    assert all(isinstance(o, UpstreamError) for o in outcomes), outcomes
    assert not any(isinstance(o, HostUnreachableError) for o in outcomes), outcomes
    assert all("not found" in str(o) for o in outcomes), outcomes


def test_only_consecutive_failures_open_the_circuit() -> None:
    port = _closed_port()
    url = f"http://127.0.0.1:{port}/"
    settings = HttpSettings(max_attempts=1, circuit_failures=3)

    async def refused(http: HttpClient) -> type[BaseException]:
        with pytest.raises(UpstreamError) as caught:
            await http.request("GET", url)
        return type(caught.value)

    async def go() -> list[str]:
        seen: list[str] = []
        async with HttpClient(settings) as http:
            for _ in range(2):
                seen.append((await refused(http)).__name__)
            server = ThreadingHTTPServer(("127.0.0.1", port), _Ok)
            thread = threading.Thread(target=server.serve_forever, daemon=True)
            thread.start()
            try:
                seen.append(str((await http.request("GET", url)).status))
            finally:
                server.shutdown()
                server.server_close()
                thread.join()
            for _ in range(4):
                seen.append((await refused(http)).__name__)
        return seen

    assert asyncio.run(go()) == [
        "UpstreamError", "UpstreamError", "200",
        # Two refusals after the answer do not open it; the third does.
        "UpstreamError", "UpstreamError", "HostUnreachableError", "HostUnreachableError",
    ]  # fmt: skip


def test_a_rejected_token_raises_once_and_is_not_sent_again(tmp_path: Path) -> None:
    with LocalForge(tmp_path / "forge", token=TOKEN) as forge:
        host = forge.api_url.split("/")[2]
        wrong = "ghp_" + "wrong".ljust(36, "9")

        async def go() -> tuple[str, int]:
            async with HttpClient(HttpSettings(), tokens={host: wrong}) as http:
                with pytest.raises(TokenRejectedError) as first:
                    await http.request("GET", forge.api_url + "/repos/o/r")
                with pytest.raises(TokenRejectedError):
                    await http.request("GET", forge.api_url + "/repos/o/r2")
                return str(first.value), http.stats.sent

        message, sent = asyncio.run(go())
        assert sent == 1
        assert "rejected the token (HTTP 401)" in message and wrong not in message


# -- check on an unreachable forge ------------------------------------------------------------

PACKAGE = """\
{ stdenv, fetchFromGitHub }:
stdenv.mkDerivation rec {
  pname = "NAME";
  version = "1.0.0";
  src = fetchFromGitHub {
    owner = "someone";
    repo = "NAME";
    rev = "v${version}";
    hash = "HASH";
  };
}
"""


def _packages(root: Path, template: str, names: list[str], url: str = "") -> None:
    """One file per name from `template` (NAME, HASH, URL with {name}), and pkgs/default.nix."""
    (root / "pkgs").mkdir(parents=True)
    lines = ["{ pkgs }:", "{"]
    for name in names:
        text = template.replace("NAME", name).replace("HASH", FAKE_HASH)
        (root / "pkgs" / f"{name}.nix").write_text(text.replace("URL", url.format(name=name)))
        lines.append(f"  {name} = pkgs.callPackage ./{name}.nix {{ }};")
    (root / "pkgs" / "default.nix").write_text("\n".join([*lines, "}"]) + "\n")


def _nur(root: Path, count: int, api: str) -> Path:
    _packages(root, PACKAGE, [f"p{i}" for i in range(count)])
    (root / "config").mkdir()
    (root / "config" / "updater.toml").write_text(
        f'[github]\napi_url = "{api}"\ngraphql_url = "{api}/graphql"\n'
    )
    subprocess.run(["git", "init", "-q", str(root)], check=True)
    git = ["git", "-c", "user.name=t", "-c", "user.email=t@example.org", "-C", str(root)]
    subprocess.run([*git, "add", "-A"], check=True)
    subprocess.run([*git, "commit", "-qm", "init"], check=True)
    return root


@pytest.mark.parametrize("token", [None, TOKEN], ids=["rest", "graphql"])
def test_check_with_the_forge_down_says_it_once_and_exits_1(
    tmp_path: Path, token: str | None
) -> None:
    port = _closed_port()
    nur = _nur(tmp_path / "nur", 60, f"http://127.0.0.1:{port}")
    env = {k: v for k, v in os.environ.items() if not k.startswith(("GITHUB_", "GH_"))}
    if token:
        env["GITHUB_TOKEN"] = token
    proc = subprocess.run(
        [*UPDATER, "--repo", str(nur), "check"],
        capture_output=True, text=True, timeout=300, env=env,
    )  # fmt: skip
    assert proc.returncode == 1
    naming = [line for line in proc.stderr.splitlines() if f"127.0.0.1:{port}" in line]
    assert naming == [
        f"updater: error: 127.0.0.1:{port} is unreachable (ConnectError 3 times in a row). "
        f"{HINT} (60 not checked)"
    ], proc.stderr
    # No table of 60 rows failing alike.
    assert "p17" not in proc.stdout
    # The sources are not backed off for the host's failure: the next check asks again.
    again = subprocess.run(
        [*UPDATER, "--repo", str(nur), "check"],
        capture_output=True, text=True, timeout=300, env=env,
    )  # fmt: skip
    assert "(60 not checked)" in again.stderr


GIT_PACKAGE = """\
{ stdenv, fetchgit }:
stdenv.mkDerivation rec {
  pname = "NAME";
  version = "1.0.0";
  src = fetchgit {
    url = "URL";
    rev = "v${version}";
    hash = "HASH";
  };
}
"""


def test_a_plain_git_host_that_is_down_is_said_once(tmp_path: Path) -> None:
    # 40 packages on one git host whose port is closed: `git ls-remote` cannot connect; after
    # three failures in a row the host is not asked again, and check says it in one line.
    port = _closed_port()
    root = tmp_path / "nur"
    url = f"http://127.0.0.1:{port}/someone/{{name}}.git"
    _packages(root, GIT_PACKAGE, [f"g{i}" for i in range(40)], url)
    subprocess.run(["git", "init", "-q", str(root)], check=True)
    env = {k: v for k, v in os.environ.items() if not k.startswith(("GITHUB_", "GH_"))}
    proc = subprocess.run(
        [*UPDATER, "--repo", str(root), "--log-format", "json", "check"],
        capture_output=True, text=True, timeout=300, env=env,
    )  # fmt: skip
    assert proc.returncode == 1, proc.stderr[-2000:]
    naming = [line for line in proc.stderr.splitlines() if line.startswith("updater: error:")]
    assert naming == [
        f"updater: error: 127.0.0.1:{port} is unreachable (git: Failed to connect 3 times in a "
        f"row). {HINT} (40 not checked)"
    ], proc.stderr[-3000:]
    assert "g17" not in proc.stdout  # no table of 40 rows failing alike
    asked = [line for line in proc.stderr.splitlines() if '"git ls-remote' in line]
    assert len(asked) <= 8 + 3, "the host kept being asked after its circuit opened"


# -- Nix that cannot build ------------------------------------------------------------------------


def _nix_lines(text: str) -> list[str]:
    return [line for line in text.splitlines() if "nosuchgroup" in line]


@pytest.mark.nix
@pytest.mark.slow
def test_run_exits_1_with_one_cause_line_when_nix_cannot_build(tmp_path: Path) -> None:
    with World(tmp_path / "world") as w:
        env = w.process_env() | _broken_nix(tmp_path)
        proc = subprocess.run(
            [*UPDATER, "--repo", str(w.nur_path), "run", "--all", "--no-pr"],
            capture_output=True, text=True, timeout=600, env=env,
        )  # fmt: skip
        branches = subprocess.run(
            ["git", "-C", str(w.nur_path), "branch", "--list", "updater/*"],
            capture_output=True, text=True, env=env, check=True,
        ).stdout  # fmt: skip
    assert proc.returncode == 1
    assert _nix_lines(proc.stderr) == [
        f"updater: error: Nix cannot build: {NO_BUILD_USERS}. {HINT}"
    ]
    assert "updater run" not in proc.stdout  # no table of units failing alike
    assert branches == ""


@pytest.mark.nix
@pytest.mark.slow
def test_demo_exits_1_and_never_says_done_when_nix_cannot_build(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("GIT_", "GITHUB_", "NIX_"))}
    env |= {"GIT_CONFIG_NOSYSTEM": "1", "GIT_CONFIG_GLOBAL": os.devnull}
    env |= _broken_nix(tmp_path)
    proc = subprocess.run(
        [*UPDATER, "demo", "--once", "--dir", str(tmp_path / "demo")],
        capture_output=True, text=True, timeout=600, env=env,
    )  # fmt: skip
    assert proc.returncode == 1, proc.stderr[-2000:]
    out = proc.stdout + proc.stderr
    assert len(_nix_lines(out)) == 1, out
    assert f"Nix cannot build: {NO_BUILD_USERS}. {HINT}" in out
    assert "done in" not in out
    assert "updater demo: failed after" in proc.stderr
