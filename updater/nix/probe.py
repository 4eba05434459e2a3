"""Can Nix build at all? One tiny fixed-output derivation, new each time, built through the runner.

The bot's every hash comes from a fixed-output build, so this is the question behind all of
them: missing build users, a read-only store, no daemon or a sandbox that cannot start all
fail here the same way they would fail every unit. The derivation's content carries a fresh
nonce, so an output left in the store by an earlier probe cannot stand in for a build (the
same shape as scripts/bootstrap.sh's probe). Its builder is /bin/sh, so nothing is fetched.
"""

from __future__ import annotations

import base64
import hashlib
import os
import secrets
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from updater.errors import NixError
from updater.nix.runner import NixResult, NixRunner

_PROBE_NIX = """\
{ nonce, hash }:
derivation {
  name = "updater-probe";
  system = builtins.currentSystem;
  builder = "/bin/sh";
  args = [ "-c" "echo updater probe ${nonce} > $out" ];
  outputHashMode = "flat";
  outputHashAlgo = "sha256";
  outputHash = hash;
}
"""

# A probe that takes longer than this is as good as failed (a daemon that does not answer).
PROBE_TIMEOUT = 120.0


@dataclass(frozen=True)
class ProbeResult:
    """What building the probe gave: ok, or Nix's own error line (and the log's tail)."""

    ok: bool
    seconds: float
    error: str = ""
    log_tail: str = ""


def _sri(content: bytes) -> str:
    return "sha256-" + base64.b64encode(hashlib.sha256(content).digest()).decode()


def nix_error_line(stderr: str) -> str:
    """The first `error:` line of Nix's output (its cause; later ones repeat it), else its
    last line."""
    lines = [line.strip() for line in stderr.splitlines() if line.strip()]
    for line in lines:
        if line.startswith("error:"):
            return line[:300]
    return lines[-1][:300] if lines else ""


def probe_build(runner: NixRunner, timeout: float = PROBE_TIMEOUT) -> ProbeResult:
    """Build a fresh fixed-output derivation; never raises for Nix's failure, only reports it."""
    nonce = f"{time.time_ns()}-{os.getpid()}-{secrets.token_hex(4)}"
    expected = _sri(f"updater probe {nonce}\n".encode())
    started = time.monotonic()
    with tempfile.TemporaryDirectory(prefix="updater-probe-") as tmp:
        path = Path(tmp) / "probe.nix"
        path.write_text(_PROBE_NIX)
        # Built here, never substituted: the question is whether this machine can build.
        args = [str(path), "--no-out-link", "--option", "substitute", "false"]
        args += ["--argstr", "nonce", nonce, "--argstr", "hash", expected]
        try:
            result = runner.run("nix-build", args, timeout=timeout)
        except NixError as exc:
            took = time.monotonic() - started
            return ProbeResult(False, took, str(exc), exc.log_tail)
    return _judge(result, time.monotonic() - started)


def _judge(result: NixResult, took: float) -> ProbeResult:
    if result.ok and result.stdout.strip().startswith("/"):
        return ProbeResult(True, took)
    error = nix_error_line(result.stderr) or f"nix-build exited with {result.returncode}"
    return ProbeResult(False, took, error, result.tail())
