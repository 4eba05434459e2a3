"""Units and plans, statically, on the fixture NUR (no Nix)."""

from __future__ import annotations

from pathlib import Path

import pytest

from updater.config import Config
from updater.engine.hashes import REFRESHERS
from updater.engine.message import branch_name, commit_message
from updater.engine.plan import PlanRefused, plan_update
from updater.engine.target import Target
from updater.engine.units import Unit, select, units_of
from updater.errors import UsageError
from updater.nixfile.model import PinKind, ScanResult
from updater.nixfile.repository import scan_repository
from updater_sandbox.world import NUR_SOURCE

COMMIT = "a" * 40
LINUX = frozenset({"x86_64-linux"})


@pytest.fixture(scope="module")
def scan() -> ScanResult:
    return scan_repository(Path(NUR_SOURCE))


def unit(scan: ScanResult, uid: str) -> Unit:
    return next(u for u in units_of(scan) if u.id == uid)


def test_a_group_splits_into_strands_that_move_independently(scan: ScanResult) -> None:
    ids = {u.id for u in units_of(scan)}
    # a floating nightly, a pinned archive and a pinned file of one upstream: three units
    assert {
        "github.com/atctl-example/atctl#tools-atctl",
        "github.com/atctl-example/atctl#tools-atctl-static",
        "github.com/atctl-example/atctl#tools-atctl-nightly",
    } <= ids
    # copies join files: the six indigo files are one unit
    indigo = unit(scan, "github.com/indigo-example/indigo")
    assert len(indigo.packages) == 6 and indigo.label == "indigo"
    assert unit(scan, "tangled.org/@knot.example.org/core").label == "knot"


def test_select_by_package_and_unknown_names(scan: ScanResult) -> None:
    units = units_of(scan)
    chosen = select(units, ["indigo-goat"])
    assert [u.id for u in chosen] == ["github.com/indigo-example/indigo"]
    with pytest.raises(UsageError, match="nope"):
        select(units, ["nope"])


def test_plan_edits_the_version_a_rev_template_follows(scan: ScanResult) -> None:
    u = unit(scan, "github.com/bluesky-example/jetstream")
    plan = plan_update(scan, u, Target("0.3.0", tag="v0.3.0", commit=COMMIT), Config(), LINUX)
    assert [(e.pin.kind, e.old, e.new) for e in plan.edits] == [(PinKind.VERSION, "0.2.0", "0.3.0")]
    assert [r.refresher for r in plan.refreshes] == [REFRESHERS[0], REFRESHERS[1]]


def test_plan_refuses_a_tag_the_template_cannot_name(scan: ScanResult) -> None:
    u = unit(scan, "github.com/bluesky-example/jetstream")
    with pytest.raises(PlanRefused, match="release-0.3.0"):
        plan_update(scan, u, Target("0.3.0", tag="release-0.3.0", commit=COMMIT), Config(), LINUX)


def test_plan_refuses_floating_and_branch_commits_for_templates(scan: ScanResult) -> None:
    nightly = unit(scan, "github.com/atctl-example/atctl#tools-atctl-nightly")
    with pytest.raises(PlanRefused, match="floating"):
        plan_update(scan, nightly, Target("1", tag="v1", commit=COMMIT), Config(), LINUX)
    jet = unit(scan, "github.com/bluesky-example/jetstream")
    with pytest.raises(PlanRefused, match="branch commit"):
        plan_update(scan, jet, Target("0.2.0", commit=COMMIT), Config(), LINUX)


def test_plan_refreshes_every_system_of_a_url_map_here(scan: ScanResult) -> None:
    # atctl-static fetches one release binary per system: the hash of a download does not
    # depend on who downloads it, so the other systems' entries are computed here from their
    # URLs (by_url), the local one by its build.
    u = unit(scan, "github.com/atctl-example/atctl#tools-atctl")
    plan = plan_update(scan, u, Target("0.4.1", tag="v0.4.1", commit=COMMIT), Config(), LINUX)
    # a fetchzip source: the other systems' entries are downloads, computed here too
    assert {(r.pin.system, r.by_url) for r in plan.refreshes} == {
        ("x86_64-linux", False),
        ("x86_64-darwin", True),
        ("aarch64-darwin", True),
    }
    assert plan.not_refreshed == ()
    more = plan_update(
        scan, u, Target("0.4.1", tag="v0.4.1", commit=COMMIT), Config(), LINUX | {"aarch64-darwin"}
    )
    # a system with a builder is built, not downloaded
    assert {(r.pin.system, r.by_url) for r in more.refreshes} >= {("aarch64-darwin", False)}


def test_commit_message_and_branch_for_a_group(scan: ScanResult) -> None:
    u = unit(scan, "tangled.org/@knot.example.org/core")
    plan = plan_update(scan, u, Target("unstable-2025-02-01", commit=COMMIT), Config(), LINUX)
    message = commit_message(plan)
    assert message.startswith("knot: unstable-2025-01-23 -> unstable-2025-02-01\n\n")
    assert "- knot-appview\n" in message and "- knot-tap\n" in message
    assert branch_name(plan) == "updater/knot"


def test_nothing_to_change_is_refused(scan: ScanResult) -> None:
    u = unit(scan, "codeberg.org/feeduser/feedgen")
    rev = next(p.value for p in u.pins if p.kind is PinKind.REV)
    with pytest.raises(PlanRefused, match="nothing to change"):
        plan_update(scan, u, Target("1.0.0-rc.5", commit=rev), Config(), LINUX)
