"""Nix: found, a supported version, and able to build a fixed-output derivation for real."""

from __future__ import annotations

import re
import shutil

from updater.doctor.model import CheckResult
from updater.errors import NixError
from updater.nix.probe import nix_error_line, probe_build
from updater.nix.runner import FLAKE_FEATURES, NixRunner

# The versions whose hash-mismatch wording nix/mismatch.py reads and the tests run on.
SUPPORTED = "Nix 2.3 or newer, or Lix"
_MINIMUM = (2, 3)
_VERSION = re.compile(r"\((Nix|Lix)[^)]*\)\s+(\d+)\.(\d+)(?:\.(\d+))?")


def _version(runner: NixRunner) -> CheckResult:
    try:
        result = runner.run("nix-build", ["--version"], settings=False, timeout=30)
    except NixError as exc:
        return CheckResult("nix", "version", "fail", str(exc), "install Nix (Debian: nix-bin)")
    line = result.stdout.strip().splitlines()[0] if result.stdout.strip() else ""
    m = _VERSION.search(line)
    if not result.ok or m is None:
        why = line or nix_error_line(result.stderr) or f"exit code {result.returncode}"
        return CheckResult("nix", "version", "fail", f"cannot read the version: {why}")
    flavour, major, minor = m[1], int(m[2]), int(m[3])
    text = f"{line} (supported: {SUPPORTED})"
    if flavour == "Nix" and (major, minor) < _MINIMUM:
        return CheckResult("nix", "version", "fail", text, "upgrade Nix")
    return CheckResult("nix", "version", "ok", text)


def _sandbox(runner: NixRunner) -> CheckResult:
    """The `sandbox` setting: fixed-output builds fetch from the forges, which a sandbox
    without network or namespaces refuses; the build check shows Nix's own error if so."""
    result = runner.run("nix", [*FLAKE_FEATURES, "show-config"], timeout=30)
    settings = dict(line.split(" = ", 1) for line in result.stdout.splitlines() if " = " in line)
    if not result.ok or "sandbox" not in settings:
        return CheckResult("nix", "sandbox", "skip", "cannot read Nix's settings (nix show-config)")
    value = settings["sandbox"].strip()
    users = settings.get("build-users-group", "").strip() or "(none: builds run as this user)"
    return CheckResult("nix", "sandbox", "ok", f"sandbox = {value}, build-users-group = {users}")


def nix_checks(runner: NixRunner) -> list[CheckResult]:
    path = shutil.which("nix-build", path=runner.env().get("PATH"))
    if path is None:
        return [
            CheckResult(
                "nix",
                "found",
                "fail",
                "nix-build is not on PATH",
                "install Nix (Debian: apt-get install nix-bin), then bash scripts/bootstrap.sh",
            )
        ]
    found = CheckResult("nix", "found", "ok", path)
    version = _version(runner)
    if version.status == "fail":
        return [found, version]
    probe = probe_build(runner)
    if probe.ok:
        build = CheckResult(
            "nix", "builds", "ok", f"built a fixed-output derivation in {probe.seconds:.1f}s"
        )
    else:
        build = CheckResult(
            "nix",
            "builds",
            "fail",
            f"cannot build a fixed-output derivation: {probe.error}",
            "on Debian, bash scripts/bootstrap.sh creates the build users and /etc/nix/nix.conf",
        )
    return [found, version, build, _sandbox(runner)]
