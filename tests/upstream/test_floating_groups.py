"""`updater check` and `updater run` agree on the fixture NUR: a source group with a floating pin
(resolver: `rev = "HEAD"` beside a pinned commit; atctl: a `releases/latest/download` nightly
beside two pinned release assets) is checked unit by unit, as the engine updates it. The
floating units are reported "floating ..., not updated"; the others are outdated or current on
their own."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from updater_sandbox.world import World

FLOATING = {"resolver-handle-resolver", "tools-atctl-nightly", "firehose-explorer"}


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    if shutil.which("nix-build") is None:
        pytest.skip("nix-build is not installed")
    with World(tmp_path_factory.mktemp("floating-world")) as w:
        yield w


def updater(w: World, tmp_path: Path, *args: str) -> list[dict[str, Any]]:
    config = tmp_path / "updater.toml"
    config.write_text(
        f'[state]\nurl = "sqlite:///{tmp_path / "state.db"}"\n'
        f'[forges."codeberg.org"]\ntype = "forgejo"\napi_url = "{w.forge.url}/api/v1"\n'
        f'[forges."gitlab.com"]\ntype = "gitlab"\napi_url = "{w.forge.url}/api/v4"\n'
    )
    proc = subprocess.run(
        [sys.executable, "-m", "updater", "--repo", str(w.nur_path), "--config", str(config),
         "--log-format", "json", "-q", *args],
        capture_output=True, text=True, timeout=600, env=w.process_env(), check=False,
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr[-3000:]
    data = json.loads(proc.stdout)
    assert isinstance(data, list)
    return data


def rows_of(data: list[dict[str, Any]]) -> dict[str, list[dict[str, Any]]]:
    out: dict[str, list[dict[str, Any]]] = {}
    for row in data:
        out.setdefault(row["package"], []).append(row)
    return out


def test_check_decides_beside_a_floating_pin_and_reports_it_apart(
    world: World, tmp_path: Path
) -> None:
    rows = rows_of(updater(world, tmp_path, "check", "--json"))
    # The pinned commit beside `rev = "HEAD"` is followed (its branch moved).
    (did,) = rows["resolver-did-resolver"]
    assert (
        did["outdated"]
        and did["problem"] is None
        and did["source"] == ("git:git.example.org/tools/handle-resolver")
    )
    assert did["rev"] is not None and len(did["rev"]) == 40
    # The release assets beside the nightly: one behind, one current, each on its own.
    (atctl,) = rows["tools-atctl"]
    assert (atctl["outdated"], atctl["current"], atctl["latest"], atctl["rev"]) == (
        True,
        "0.4.0",
        "0.4.1",
        "v0.4.1",
    )
    assert atctl["source"] == "github:atctl-example/atctl"
    (static,) = rows["tools-atctl-static"]
    assert (static["outdated"], static["current"], static["problem"]) == (False, "0.4.1", None)
    # The floating pins: reported apart, never outdated.
    for name in ("resolver-handle-resolver", "tools-atctl-nightly"):
        (row,) = rows[name]
        assert not row["outdated"] and row["latest"] is None
        assert "floating" in row["problem"] and "not updated" in row["problem"], row
    # Asking for one package of such a group checks that unit alone.
    (only,) = updater(world, tmp_path, "check", "--json", "--package", "tools-atctl")
    assert only["package"] == "tools-atctl" and only["outdated"]


@pytest.mark.nix
def test_check_outdated_is_what_run_updates(world: World, tmp_path: Path) -> None:
    checked = rows_of(updater(world, tmp_path, "check", "--json"))
    ran = updater(world, tmp_path, "run", "--all", "--dry-run", "--no-pr", "--json")
    # A package is updated by run when a unit feeding it was attempted (updated, or failed
    # while trying); check calls it outdated when a unit feeding it has a newer version.
    attempted: dict[str, bool] = {}
    reasons: dict[str, list[str]] = {}
    for result in ran:
        for name in result["packages"]:
            tried = result["outcome"] != "skipped"
            attempted[name] = attempted.get(name, False) or tried
            reasons.setdefault(name, []).append(result["reason"] or "")
    outdated = {name: any(r["outdated"] for r in rs) for name, rs in checked.items()}
    assert set(outdated) == set(attempted)
    assert {n for n, o in outdated.items() if o} == {n for n, a in attempted.items() if a}
    # Both directions on the groups that hold a floating pin.
    assert outdated["resolver-did-resolver"] and attempted["resolver-did-resolver"]
    assert outdated["tools-atctl"] and attempted["tools-atctl"]
    assert not outdated["tools-atctl-static"] and not attempted["tools-atctl-static"]
    for name in FLOATING:
        assert any("floating" in (r["problem"] or "") for r in checked[name])
        assert any("floating" in reason for reason in reasons[name]), reasons[name]
    assert not attempted["resolver-handle-resolver"] and not attempted["tools-atctl-nightly"]


def test_the_service_cycle_plans_the_same_units_as_check_and_run(world: World) -> None:
    from updater.config import Config, Endpoints, Secrets
    from updater.context import AppContext
    from updater.engine.tracking import tracked_units
    from updater.errors import UsageError
    from updater.nixfile.repository import scan_repository
    from updater.pipeline.selection import select_units
    from updater.pipeline.shard import Shard
    from updater.service.cycle import PipelineCycle

    ctx = AppContext(
        repo=world.nur_path,
        config=Config(),
        config_path=None,
        secrets=Secrets(),
        endpoints=Endpoints.resolve(Config(), {}),
    )
    expected = tracked_units(scan_repository(world.nur_path), ctx.config)
    whole = select_units(ctx, shard=Shard())
    assert [t.packages for t in whole.tracked] == [t.packages for t in expected]
    # A group split into units (atctl: nightly, archive, static) stays on one shard.
    parts = [select_units(ctx, shard=Shard(i, 2)).tracked for i in (1, 2)]
    groups = [{t.group for t in part} for part in parts]
    assert not groups[0] & groups[1]
    assert sorted(p for part in parts for t in part for p in t.packages) == sorted(
        p for t in expected for p in t.packages
    )
    cycle = PipelineCycle(ctx, None, Shard(1, 2), None)  # type: ignore[arg-type]
    assert set(cycle.package_names()) == {p for t in parts[0] for p in t.packages}
    with pytest.raises(UsageError, match="no-such-package"):
        select_units(ctx, ("no-such-package",))
