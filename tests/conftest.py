"""Shared test set-up: every test starts with structlog's default configuration."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import structlog


@pytest.fixture(autouse=True)
def _fresh_structlog() -> Iterator[None]:
    # Tests that configure logging (levels, JSON output) must not leak into later tests.
    yield
    structlog.reset_defaults()
