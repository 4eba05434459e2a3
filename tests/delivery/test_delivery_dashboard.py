"""The dashboard apart from per-result delivery (no Nix): results delivered in several parts
write nothing to the dashboard until `publish_dashboard`, which then shows all of them in one
write; its "Next run" is what the caller says (none when nothing is scheduled), while
`deliver` (what `updater run` calls) still shows when the configured schedule fires next."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from delivery_support import Bot, dashboards, world_environment, writes

from updater.delivery import Delivery
from updater.engine.result import Outcome, UpdateResult
from updater_sandbox.world import World


@pytest.fixture
def world(tmp_path: Path) -> Iterator[World]:
    with World(tmp_path / "world") as w:
        yield w


def _failed(package: str) -> UpdateResult:
    return UpdateResult(
        unit=f"github.com/acme/{package}",
        packages=(package,),
        outcome=Outcome.FAILED,
        reason=f"{package}: hash mismatch",
    )


def test_dashboard_is_written_once_after_results_delivered_in_parts(
    world: World, tmp_path: Path
) -> None:
    bot = Bot(world, tmp_path / "state.db")
    with world_environment(world), Delivery.open(bot.context()) as delivery:
        delivery.sync()
        for package in ("acme-one", "acme-two"):
            report = delivery.deliver_results([_failed(package)])
            assert report.dashboard is None
        assert writes(world) == [] and dashboards(world) == []

        number = delivery.publish_dashboard(None)
        (board,) = dashboards(world)
        assert board.number == number and len(writes(world)) == 1
        assert "acme-one: hash mismatch" in board.body
        assert "acme-two: hash mismatch" in board.body
        assert "Next run: not scheduled." in board.body

        assert delivery.publish_dashboard(datetime(2030, 1, 2, 3, 4, tzinfo=UTC)) == number
        (board,) = dashboards(world)
        assert "Next run: 2030-01-02 03:04 UTC." in board.body

        # `updater run`: deliver publishes too, with the configured schedule's next run.
        report = delivery.deliver([_failed("acme-three")])
        assert report.dashboard == number
        (board,) = dashboards(world)
        assert "acme-three: hash mismatch" in board.body
        assert re.search(r"Next run: \d{4}-\d\d-\d\d \d\d:\d\d UTC\.", board.body)
        assert "2030-01-02" not in board.body
