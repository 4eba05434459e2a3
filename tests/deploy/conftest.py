"""Fixtures of the deployment artefact tests (helpers live in deploy_support.py)."""

from __future__ import annotations

from pathlib import Path

import pytest
from deploy_support import CliCheck, cli_check


@pytest.fixture
def cli_accepts(tmp_path: Path) -> CliCheck:
    """Assert that the real `updater` CLI parses a command line written into an artefact."""
    return cli_check(tmp_path)
