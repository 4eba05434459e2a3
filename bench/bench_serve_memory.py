"""Benchmark: memory of `updater serve`.

1. Idle: a generated package repository with 1,000 package files (one organization, GitHub
   tags), `updater serve` started, /healthz and the status page asked once; its resident memory
   is read from /proc (target: under 150 MB).
2. One full cycle over the fixture NUR of the local world (`updater serve --once`): the peak
   resident memory of the process (wait4's ru_maxrss): the check of every upstream, then the
   engine's update of every outdated source group (Nix runs in child processes, not counted).
   Pushing branches and opening PRs is not wired into the service yet.

    .venv/bin/python bench/bench_serve_memory.py [--packages 1000] [--skip-cycle]
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

TARGET_MB = 150.0
PACKAGE = """{{ stdenv, fetchFromGitHub }}:
stdenv.mkDerivation rec {{
  pname = "p{i}";
  version = "1.{i}.0";
  src = fetchFromGitHub {{
    owner = "bench-owner{owner}";
    repo = "p{i}";
    rev = "v${{version}}";
    hash = "sha256-AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=";
  }};
}}
"""


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _git(args: list[str], cwd: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("GIT_")}
    env.update(GIT_CONFIG_NOSYSTEM="1", GIT_CONFIG_GLOBAL=os.devnull)
    subprocess.run(["git", *args], cwd=cwd, env=env, check=True, capture_output=True, timeout=120)


def generate_nur(repo: Path, n: int) -> None:
    org = repo / "pkgs" / "bench"
    org.mkdir(parents=True)
    entries = "".join(f"  p{i} = callPackage ./p{i}.nix {{ }};\n" for i in range(n))
    (org / "default.nix").write_text("{ callPackage }:\n{\n" + entries + "}\n")
    for i in range(n):
        (org / f"p{i}.nix").write_text(PACKAGE.format(i=i, owner=i % 50))
    _git(["init", "-q", "-b", "main"], repo)
    _git(["add", "."], repo)
    _git(["-c", "user.name=b", "-c", "user.email=b@b", "commit", "-qm", "bench"], repo)


def _rss_mb(pid: int) -> tuple[float, float]:
    """(VmRSS, VmHWM) of a live process in MB."""
    fields: dict[str, float] = {}
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        key, _, value = line.partition(":")
        if key in ("VmRSS", "VmHWM"):
            fields[key] = int(value.split()[0]) / 1024
    return fields["VmRSS"], fields["VmHWM"]


def _get(url: str) -> bytes:
    with urllib.request.urlopen(url, timeout=30) as resp:
        return bytes(resp.read())


def idle(n: int) -> float:
    with tempfile.TemporaryDirectory(prefix="bench-serve-") as tmp:
        root = Path(tmp)
        repo = root / "nur"
        generate_nur(repo, n)
        port = _free_port()
        config = root / "updater.toml"
        config.write_text(f'[serve]\nlisten = "127.0.0.1:{port}"\n[schedule]\ncron = "0 0 1 1 *"\n')
        env = {k: v for k, v in os.environ.items() if not k.startswith(("GIT_", "GITHUB_"))}
        started = time.monotonic()
        proc = subprocess.Popen(
            [sys.executable, "-m", "updater", "--repo", str(repo), "--config", str(config),
             "--log-format", "json", "serve"],
            env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )  # fmt: skip
        try:
            base = f"http://127.0.0.1:{port}"
            health = None
            while time.monotonic() - started < 300 and proc.poll() is None:
                try:
                    health = json.loads(_get(base + "/healthz"))
                    break
                except OSError:
                    time.sleep(0.1)
            if health is None:
                raise SystemExit("updater serve did not come up")
            ready = time.monotonic() - started
            page = _get(base + "/")
            time.sleep(1.0)
            rss, hwm = _rss_mb(proc.pid)
        finally:
            proc.send_signal(signal.SIGTERM)
            code = proc.wait(60)
        rows = page.count(b"<tr><td")
        print(
            f"idle serve, {n} package files: tracked {health['packages']}, page rows {rows}, "
            f"ready in {ready:.1f}s, RSS {rss:.1f} MB (peak {hwm:.1f} MB), "
            f"target < {TARGET_MB:.0f} MB: {'OK' if rss < TARGET_MB else 'OVER'}; exit {code}"
        )
        return rss


def cycle() -> None:
    from updater_sandbox.world import World

    with tempfile.TemporaryDirectory(prefix="bench-cycle-") as tmp, World(Path(tmp) / "w") as w:
        env = w.process_env()
        # Forgejo's and GitLab's APIs live on the local forge too (git itself goes by insteadOf).
        config = Path(tmp) / "updater.toml"
        config.write_text(
            f'[forges."codeberg.org"]\ntype = "forgejo"\napi_url = "{w.forge.url}/api/v1"\n'
            f'[forges."gitlab.com"]\ntype = "gitlab"\napi_url = "{w.forge.url}/api/v4"\n'
        )
        started = time.monotonic()
        proc = subprocess.Popen(
            [sys.executable, "-m", "updater", "--repo", str(w.nur_path), "--config", str(config),
             "--log-format", "json", "serve", "--once"],
            env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
        )  # fmt: skip
        _pid, status, usage = os.wait4(proc.pid, 0)
        took = time.monotonic() - started
        assert proc.stderr is not None
        summary = [ln for ln in proc.stderr.read().splitlines() if "serve --once" in ln]
        proc.returncode = os.waitstatus_to_exitcode(status)
        line = summary[-1] if summary else "no summary"
        kind = "check + engine updates, no PR delivery yet"
        print(
            f"one cycle over the fixture NUR ({kind}): peak RSS {usage.ru_maxrss / 1024:.1f} MB, "
            f"{took:.1f}s, exit {proc.returncode}; {line}"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--packages", type=int, default=1000)
    parser.add_argument("--skip-cycle", action="store_true")
    args = parser.parse_args()
    rss = idle(args.packages)
    if not args.skip_cycle:
        cycle()
    if rss >= TARGET_MB:
        raise SystemExit(1)


if __name__ == "__main__":
    main()
