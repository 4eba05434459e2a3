"""Fixtures for the .nix scanner and editor tests: small package repositories on disk."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

RepoWriter = Callable[[dict[str, str]], Path]


@pytest.fixture
def write_repo(tmp_path: Path) -> RepoWriter:
    def write(files: dict[str, str]) -> Path:
        repo = tmp_path / "repo"
        for rel, text in files.items():
            path = repo / rel
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(text.encode())
        return repo

    return write
