"""Fixtures of the Nix tests; the world itself is built in nixworld.py."""

from __future__ import annotations

import shutil
from collections.abc import Iterator

import pytest
from nixworld import NixWorld, nix_world_in_tmp


@pytest.fixture
def nix_world() -> Iterator[NixWorld]:
    if shutil.which("nix-build") is None:
        pytest.skip("nix-build is not installed")
    yield from nix_world_in_tmp()
