"""The status page's row of a package its own updateScript moves: a script that found nothing
new is up to date (not outdated: nothing says a newer version exists), a refused one failed with
its reason. A real SQLite store."""

from __future__ import annotations

from pathlib import Path

from updater.engine.target import Work
from updater.engine.units import script_unit
from updater.pipeline.report import UnitReport
from updater.service.cycle import StatusRows
from updater.state.status import package_rows
from updater.state.store import StateStore


def test_script_rows(tmp_path: Path) -> None:
    store = StateStore.open(f"sqlite:///{tmp_path / 'state.db'}")
    rows = StatusRows(store)
    rows.unit_done(Work(script_unit("quiet")), UnitReport(("quiet",), "unchanged", 0.1))
    why = "loud: its updateScript downgrades it (1.0.0 -> 0.9.0)"
    rows.unit_done(
        Work(script_unit("loud")), UnitReport(("loud",), "failed", 0.1, error=why, reason="update")
    )
    got = {r.package: (r.state, r.error) for r in package_rows(store)}
    assert got == {"quiet": ("up to date", None), "loud": ("failed", why)}
    store.close()
