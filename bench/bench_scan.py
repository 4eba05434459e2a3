"""Benchmark: scan 1,000 generated package files (target: under 2 s). Prints the figure.

Run: .venv/bin/python bench/bench_scan.py [--files N]
"""

from __future__ import annotations

import argparse
import base64
import hashlib
import os
import tempfile
import time
from pathlib import Path

from updater.nixfile.repository import scan_repository

PACKAGE = """{{ lib, buildGoModule, fetchFromGitHub }}:
let
  version = "0.{n}.0";
in
buildGoModule {{
  pname = "pkg{n}";
  inherit version;
  src = fetchFromGitHub {{
    owner = "org{org}";
    repo = "pkg{n}";
    rev = "{rev}"; # pinned
    hash = "{hash}";
  }};
  vendorHash = "{vendor}";
  subPackages = [ "cmd/pkg{n}" ];
  meta = {{
    description = "generated package {n}";
    license = lib.licenses.mit;
  }};
}}
"""


def _sri(seed: str) -> str:
    return "sha256-" + base64.b64encode(hashlib.sha256(seed.encode()).digest()).decode()


def generate(root: Path, count: int, per_org: int = 20) -> None:
    orgs: dict[int, list[int]] = {}
    for n in range(count):
        orgs.setdefault(n // per_org, []).append(n)
    for org, members in orgs.items():
        directory = root / "pkgs" / f"org{org}"
        directory.mkdir(parents=True)
        calls = "".join(f"  pkg{n} = callPackage ./pkg{n}.nix {{ }};\n" for n in members)
        (directory / "default.nix").write_text(f"{{ callPackage }}:\n{{\n{calls}}}\n")
        for n in members:
            text = PACKAGE.format(
                n=n,
                org=org,
                rev=hashlib.sha1(str(n).encode()).hexdigest(),
                hash=_sri(f"src{n}"),
                vendor=_sri(f"vendor{n}"),
            )
            (directory / f"pkg{n}.nix").write_text(text)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--files", type=int, default=1000)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="updater-bench-") as tmp:
        root = Path(tmp)
        generate(root, args.files)
        started, cpu_started = time.perf_counter(), time.process_time()
        result = scan_repository(root)
        elapsed = time.perf_counter() - started
        cpu = time.process_time() - cpu_started
    verdict = "OK" if elapsed < 2.0 else "SLOW"
    load = os.getloadavg()[0]
    print(
        f"scan of {args.files} package files: {elapsed:.3f} s wall, {cpu:.3f} s CPU, "
        f"{len(result.pins)} pins, {len(result.warnings)} warnings "
        f"(target < 2 s: {verdict}; load average {load:.1f} on {os.cpu_count()} CPUs)"
    )


if __name__ == "__main__":
    main()
