"""Delivery's rows in the state store, declined versions handed to the version policy, and the
PR names and links built from the engine's results (no Nix, no forge)."""

from __future__ import annotations

import fnmatch
from pathlib import Path

from alembic.config import Config as AlembicConfig
from alembic.script import ScriptDirectory

from updater.config import PackageConfig, PolicyConfig, parse_config
from updater.delivery.proposal import name_of, proposal_of, release_links
from updater.delivery.sync import ignoring_declined
from updater.engine.result import Outcome, PinChange, UpdateResult
from updater.nixfile.model import Location, PinKind
from updater.state.delivery import (
    DeclinedRecord,
    PullRecord,
    UnitOutcome,
    dashboard_number,
    declined_for,
    declined_records,
    open_pull_of,
    pull_records,
    save_dashboard_number,
    save_declined,
    save_outcomes,
    save_pull,
    unit_outcomes,
)
from updater.state.store import MIGRATIONS, StateStore


def _store(tmp_path: Path) -> StateStore:
    return StateStore.open(f"sqlite:///{tmp_path / 'state.db'}")


def test_the_delivery_revision_is_the_single_head_after_the_service_tables() -> None:
    cfg = AlembicConfig()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    scripts = ScriptDirectory.from_config(cfg)
    assert len(scripts.get_heads()) == 1
    revision = scripts.get_revision("0003_delivery")
    assert revision is not None and revision.down_revision == "0002_service"


def test_pull_rows_keep_what_github_does_not_say(tmp_path: Path) -> None:
    with _store(tmp_path) as store:
        save_pull(
            store,
            PullRecord(
                3, "foo", "updater/foo", "open", "1", "2", "u3", unit="g/foo", packages=("foo",)
            ),
        )
        # Rebuilt from a PR's metadata block: no unit; the one known stays.
        save_pull(store, PullRecord(3, "foo", "updater/foo", "closed", "1", "2", "u3"))
        (row,) = pull_records(store)
        assert (row.state, row.unit, row.packages) == ("closed", "g/foo", ("foo",))
        save_pull(store, PullRecord(5, "foo", "updater/foo", "open", "1", "3", "u5", unit="g/foo"))
        found = open_pull_of(store, unit="g/foo")
        assert found is not None and found.number == 5
        assert open_pull_of(store, name="bar") is None


def test_declined_versions_by_name_unit_or_package(tmp_path: Path) -> None:
    with _store(tmp_path) as store:
        assert save_declined(store, DeclinedRecord("foo", "2.0", packages=("foo", "foo-cli")))
        assert not save_declined(store, DeclinedRecord("foo", "2.0", unit="g/foo"))
        assert declined_for(store, name="foo") == {"2.0"}
        assert declined_for(store, unit="g/foo") == {"2.0"}
        assert declined_for(store, packages=["foo-cli"]) == {"2.0"}
        assert declined_for(store, unit="other", packages=["bar"]) == frozenset()
        assert [d.unit for d in declined_records(store)] == ["g/foo"]


def test_outcomes_replace_per_unit_and_prune_on_a_complete_run(tmp_path: Path) -> None:
    with _store(tmp_path) as store:
        save_outcomes(store, [UnitOutcome("a", "updated", new="2"), UnitOutcome("b", "failed")])
        save_outcomes(store, [UnitOutcome("a", "skipped")])
        assert [(o.unit, o.outcome) for o in unit_outcomes(store)] == [
            ("a", "skipped"),
            ("b", "failed"),
        ]
        save_outcomes(store, [UnitOutcome("c", "skipped")], prune_others=True)
        assert [o.unit for o in unit_outcomes(store)] == ["c"]
        assert dashboard_number(store, "o/r") is None
        save_dashboard_number(store, "o/r", 7)
        save_dashboard_number(store, "o/r", 9)
        assert dashboard_number(store, "o/r") == 9


def _ignored(config_packages: dict[str, PackageConfig], name: str, version: str) -> bool:
    patterns = config_packages[name].ignore if name in config_packages else []
    return any(fnmatch.fnmatchcase(version, p) for p in patterns)


def test_declined_versions_reach_the_policy_as_literal_ignore_patterns() -> None:
    config = parse_config({"policy": {"ignore": ["*-beta"]}}, "test")
    declined = [
        DeclinedRecord("foo", "1.0[rc]", packages=("foo", "foo-cli")),
        DeclinedRecord("bar", "2.*", packages=("bar",)),
    ]
    out = ignoring_declined(config, declined)
    assert out.policy == PolicyConfig(ignore=["*-beta"])
    for name in ("foo", "foo-cli"):
        assert _ignored(out.packages, name, "1.0[rc]")
        assert not _ignored(out.packages, name, "1.0r")
    assert _ignored(out.packages, "bar", "2.*") and not _ignored(out.packages, "bar", "2.1")
    assert config.packages == {}  # the original is left alone
    assert ignoring_declined(config, []) is config


def test_declined_versions_join_an_existing_package_table() -> None:
    config = parse_config(
        {"packages": {"github.com/o/foo": {"ignore": ["0.9"], "tag_prefix": "foo-"}}}, "test"
    )
    out = ignoring_declined(
        config, [DeclinedRecord("foo", "1.0", unit="github.com/o/foo#foo", packages=("foo",))]
    )
    # The group's table is the one the policy finds: extended in place, none added before it.
    assert set(out.packages) == {"github.com/o/foo"}
    assert out.packages["github.com/o/foo"].ignore == ["0.9", "1.0"]
    assert out.packages["github.com/o/foo"].tag_prefix == "foo-"


def _result(unit: str, packages: tuple[str, ...], **kw: object) -> UpdateResult:
    return UpdateResult(unit, packages, Outcome.UPDATED, **kw)  # type: ignore[arg-type]


def test_pr_names_follow_the_engines_branches_even_in_a_dry_run() -> None:
    committed = _result("github.com/o/jetstream", ("jetstream",), branch="updater/jetstream")
    assert name_of(committed, "updater/") == "jetstream"
    assert name_of(_result("github.com/o/jetstream", ("jetstream",)), "updater/") == "jetstream"
    group = ("knot-appview", "knot-avatar", "knot-camo")
    assert name_of(_result("tangled.org/@k.org/core", group), "updater/") == "knot"
    unrelated = ("alpha", "beta")
    assert name_of(_result("tangled.org/@k.org/core", unrelated), "updater/") == "core"


def test_links_and_pins_of_a_proposal() -> None:
    config = parse_config({}, "test")
    rev = PinChange(Location("pkgs/a.nix", 9, 0, 1), PinKind.REV, "rev", "a" * 40, "b" * 40)
    result = _result(
        "github.com/o/r",
        ("r",),
        tag="v1.2.0",
        old="1.1.0",
        new="1.2.0",
        changes=(rev,),
        verified=True,
        builds=2,
    )
    links = release_links(result, config)
    assert links.release == "https://github.com/o/r/releases/tag/v1.2.0"
    assert links.compare == f"https://github.com/o/r/compare/{'a' * 40}...{'b' * 40}"
    hostile = _result("github.com/o/r", ("r",), tag="v1)](javascript:alert(1)")
    assert release_links(hostile, config).release is None
    assert release_links(_result("tangled.org/@x/r", ("r",), tag="v1"), config).release is None
    gitlab = release_links(_result("gitlab.com/g/r", ("r",), tag="v1", changes=(rev,)), config)
    assert gitlab.release == "https://gitlab.com/g/r/-/releases/v1"
    assert gitlab.compare is not None and "/-/compare/" in gitlab.compare
    proposal = proposal_of(result, "r", config)
    assert (proposal.old_version, proposal.new_version) == ("1.1.0", "1.2.0")
    assert [(p.file, p.line, p.attribute) for p in proposal.pins] == [("pkgs/a.nix", 9, "rev")]
    assert [s.passed for s in proposal.verification] == [True, True, None]
