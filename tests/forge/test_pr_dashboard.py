"""The dashboard issue: one, found again by its marker, updated in place, never duplicated."""

from __future__ import annotations

import re
from datetime import UTC, datetime

from forge_helpers import OWNER, REPO, World, make_client

from updater.forge.dashboard import DASHBOARD_MARKER, Dashboard, render_dashboard
from updater.forge.models import (
    DashboardData,
    DeclinedEntry,
    FailureEntry,
    OpenPullEntry,
    OutdatedPackage,
)

KEY = ("github.com", OWNER, REPO)

DATA = DashboardData(
    outdated=(OutdatedPackage("foo", "1.0", "1.2"),),
    open_pulls=(OpenPullEntry("foo", 4, "http://x/pull/4", "1.2"),),
    failures=(FailureEntry("bar", "hash mismatch <b>@alice</b> see #12"),),
    declined=(DeclinedEntry("baz", "3.0", 2),),
    next_run=datetime(2030, 1, 2, 3, 4, tzinfo=UTC),
)


def dashboards(world: World) -> list[int]:
    return [
        i.number
        for i in world.forge.state.issues(KEY)
        if i.body and DASHBOARD_MARKER in i.body and not i.is_pull
    ]


def test_render_lists_everything_safely() -> None:
    body = render_dashboard(DATA)
    assert body.startswith(DASHBOARD_MARKER)
    assert "- `foo`: `1.0` → `1.2`" in body
    assert "- `foo` → `1.2`: #4" in body
    assert "- `baz` `3.0` (#2 closed)" in body
    assert "Next run: 2030-01-02 03:04 UTC." in body
    failure = next(line for line in body.splitlines() if line.startswith("- `bar`"))
    assert "<b>" not in failure
    assert not re.search(r"(?<![\w`])@[a-z]", failure) and not re.search(r"(?<!\w)#[0-9]", failure)
    assert "Every package is up to date." in render_dashboard(DashboardData())


def test_created_once_then_updated_in_place(world: World) -> None:
    client = make_client(world)
    first = Dashboard(client).publish(DashboardData())
    assert first is not None
    second = Dashboard(client).publish(DATA)
    assert second == first
    # A new process with no memory (state store lost) finds the same issue.
    third = Dashboard(make_client(world)).publish(
        DashboardData(outdated=(OutdatedPackage("x", "1", "2"),))
    )
    assert third == first
    assert dashboards(world) == [first]
    issue = world.forge.state.issue(KEY, first)
    assert issue is not None and "`x`" in (issue.body or "")


def test_unchanged_dashboard_sends_no_write(world: World) -> None:
    client = make_client(world)
    Dashboard(client).publish(DATA)
    world.forge.clear_requests()
    Dashboard(client).publish(DATA)
    assert [r.method for r in world.forge.requests] == ["GET"]


def test_known_number_skips_the_scan_and_wrong_numbers_fall_back(world: World) -> None:
    client = make_client(world)
    number = Dashboard(client).publish(DashboardData())
    assert number is not None
    world.forge.clear_requests()
    assert Dashboard(client).find(known_number=number).number == number
    assert [r.path for r in world.forge.requests] == [
        f"/api/v3/repos/{OWNER}/{REPO}/issues/{number}"
    ]
    assert Dashboard(client).find(known_number=999).number == number


def test_pull_requests_and_copies_do_not_hijack_it(world: World) -> None:
    client = make_client(world)
    number = Dashboard(client).publish(DashboardData())
    # Someone opens a PR and a newer issue quoting the marker: the oldest real issue stays the one.
    world.commit_on("feature", "f", "x", email="alice@example.org")
    client.repo.create_pull(base="main", head="feature", title="t", body=DASHBOARD_MARKER)
    client.repo.create_issue(title="copy", body=DASHBOARD_MARKER + " copied")
    assert Dashboard(client).publish(DATA) == number


def test_a_closed_dashboard_is_updated_but_not_reopened(world: World) -> None:
    client = make_client(world)
    number = Dashboard(client).publish(DashboardData())
    assert number is not None
    client.repo.get_issue(number).edit(state="closed")
    assert Dashboard(client).publish(DATA) == number
    issue = world.forge.state.issue(KEY, number)
    assert issue is not None and issue.state == "closed" and "`baz`" in (issue.body or "")
    assert dashboards(world) == [number]
