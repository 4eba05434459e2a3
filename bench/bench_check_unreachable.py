"""Benchmark: `updater check` on a 500-package repository whose forge does not answer.

Every package is a GitHub source of its own; the GitHub API is a local port nothing listens on
(bound, then closed), so every connection is refused. Without the HTTP layer's per-host
circuit each source was retried with back-off (measured on a 480-package NUR: 577 s, 3,128 log
lines); with it the first few refusals close the host for the rest of the run.

Runs `check` twice: without a token (REST, one request per source) and with one (GraphQL,
batched). Prints, per mode: wall seconds, exit code, stderr lines, and the lines naming the
host; the target is < 60 s and one line naming the host.

    .venv/bin/python bench/bench_check_unreachable.py [--packages 500]
"""

from __future__ import annotations

import argparse
import os
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

FAKE_HASH = "sha256-" + "A" * 43 + "="
TOKEN = "ghp_" + "benchTokenNotRealAnywhere".ljust(36, "0")
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


def closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def make_repo(root: Path, count: int, port: int) -> Path:
    pkgs = root / "pkgs"
    pkgs.mkdir(parents=True)
    lines = ["{ pkgs ? import <nixpkgs> { } }:", "{"]
    for i in range(count):
        (pkgs / f"p{i}.nix").write_text(PACKAGE.replace("NAME", f"p{i}").replace("HASH", FAKE_HASH))
        lines.append(f"  p{i} = pkgs.callPackage ./p{i}.nix {{ }};")
    (pkgs / "default.nix").write_text("\n".join([*lines, "}"]) + "\n")
    api = f"http://127.0.0.1:{port}"
    (root / "updater.toml").write_text(
        f'[github]\napi_url = "{api}"\ngraphql_url = "{api}/graphql"\n'
    )
    git = ["git", "-c", "user.name=b", "-c", "user.email=b@example.org"]
    subprocess.run([*git, "init", "-q", str(root)], check=True)
    subprocess.run([*git, "-C", str(root), "add", "-A"], check=True)
    subprocess.run([*git, "-C", str(root), "commit", "-qm", "init"], check=True)
    return root


def run(root: Path, token: str | None, state: Path) -> tuple[float, int, list[str]]:
    """One check with a fresh state store (a failing source is backed off across runs)."""
    config = state.with_suffix(".toml")
    config.write_text((root / "updater.toml").read_text() + f'[state]\nurl = "sqlite:///{state}"\n')
    env = {k: v for k, v in os.environ.items() if not k.startswith(("GITHUB_", "GH_"))}
    if token:
        env["GITHUB_TOKEN"] = token
    started = time.monotonic()
    proc = subprocess.run(
        [sys.executable, "-m", "updater", "--repo", str(root), "--config", str(config), "check"],
        capture_output=True, text=True, env=env, timeout=900,
    )  # fmt: skip
    return time.monotonic() - started, proc.returncode, proc.stderr.splitlines()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--packages", type=int, default=500)
    args = parser.parse_args()
    port = closed_port()
    ok = True
    with tempfile.TemporaryDirectory(prefix="bench-unreachable-") as tmp:
        root = make_repo(Path(tmp) / "nur", args.packages, port)
        host = f"127.0.0.1:{port}"
        for i, (label, token) in enumerate((("REST, no token", None), ("GraphQL, token", TOKEN))):
            seconds, code, lines = run(root, token, Path(tmp) / f"state{i}.db")
            naming = [line for line in lines if host in line]
            print(
                f"{label:16} {args.packages} packages: {seconds:6.1f} s, exit {code}, "
                f"{len(lines)} stderr line(s), {len(naming)} naming {host}"
            )
            for line in naming:
                print(f"    {line}")
            ok = ok and seconds < 60 and code == 1 and len(naming) == 1
    print("target (< 60 s, exit 1, one line naming the host):", "met" if ok else "NOT met")
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
