"""Fixtures of the engine tests: one world per module, a fresh NUR clone per test."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from engine_world import clone_nur

from updater_sandbox.world import World


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    if shutil.which("nix-build") is None:
        pytest.skip("nix-build is not installed")
    with World(tmp_path_factory.mktemp("world")) as w:
        yield w


@pytest.fixture
def nur(world: World, tmp_path: Path) -> Path:
    return clone_nur(world, tmp_path / "nur")
