from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from upstream_fixtures import TOKEN

from updater_sandbox.forge.local_forge import LocalForge


@pytest.fixture
def forge(tmp_path: Path) -> Iterator[LocalForge]:
    with LocalForge(tmp_path / "forge", token=TOKEN) as f:
        yield f
