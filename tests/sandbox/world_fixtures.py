"""pytest fixtures for the local world. Import them into a test module or a conftest:

from world_fixtures import world, shared_world, nix_build  # noqa: F401
"""

from __future__ import annotations

import re
import shutil
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from updater_sandbox.world import World

NIX_TIMEOUT = 600

_MISMATCH = re.compile(
    r"hash mismatch in fixed-output derivation '(?P<drv>[^']+)':\s*"
    r"specified:\s*(?P<specified>\S+)\s*got:\s*(?P<got>\S+)"
)


@pytest.fixture
def world(tmp_path: Path) -> Iterator[World]:
    """A fresh world for one test (about half a second to start)."""
    with World(tmp_path / "world") as w:
        yield w


@pytest.fixture(scope="module")
def shared_world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    """One world for a module whose tests do not change upstreams."""
    with World(tmp_path_factory.mktemp("world")) as w:
        yield w


def needs_nix() -> None:
    if shutil.which("nix-build") is None:
        pytest.skip("nix-build is not installed")


@dataclass(frozen=True)
class NixResult:
    returncode: int
    stdout: str
    stderr: str

    @property
    def mismatches(self) -> dict[str, tuple[str, str]]:
        """drv path -> (specified, got) for every hash mismatch Nix reported."""
        return {m["drv"]: (m["specified"], m["got"]) for m in _MISMATCH.finditer(self.stderr)}


def run_nix(
    w: World, args: list[str], *, cwd: Path | None = None, timeout: int = NIX_TIMEOUT
) -> NixResult:
    needs_nix()
    proc = subprocess.run(
        args,
        env=w.process_env(),
        cwd=cwd or w.root,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )
    return NixResult(proc.returncode, proc.stdout, proc.stderr)


def instantiate(w: World, expr_file: Path, attrs: list[str]) -> dict[str, str]:
    """attr -> drv path, for the attributes of a Nix file."""
    args = ["nix-instantiate", str(expr_file)]
    for a in attrs:
        args += ["-A", a]
    res = run_nix(w, args)
    assert res.returncode == 0, res.stderr[-3000:]
    drvs = [line for line in res.stdout.splitlines() if line.endswith(".drv")]
    assert len(drvs) == len(attrs), res.stdout
    return dict(zip(attrs, drvs, strict=True))


def build(w: World, expr_file: Path, attrs: list[str], *, keep_going: bool = True) -> NixResult:
    args = ["nix-build", "--no-out-link", str(expr_file)]
    if keep_going:
        args.append("--keep-going")
    for a in attrs:
        args += ["-A", a]
    return run_nix(w, args)
