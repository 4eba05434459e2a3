"""Carrying out the lifecycle's steps: push (through the engine's callback), open, update, limits."""

from __future__ import annotations

from forge_helpers import OWNER, REPO, World, make_client, situation

from updater.forge.lifecycle import decide
from updater.forge.models import ForgeOutcome, ProposedUpdate
from updater.forge.pulls import PullRequests

KEY = ("github.com", OWNER, REPO)


def proposal(new: str, name: str = "foo") -> ProposedUpdate:
    return ProposedUpdate(name=name, old_version="1.0", new_version=new)


class Pusher:
    """Stands in for gitops' push: a real commit pushed to the forge, calls remembered."""

    def __init__(self, world: World, version: str) -> None:
        self.world = world
        self.version = version
        self.calls: list[tuple[str, bool]] = []

    def __call__(self, branch: str, force: bool) -> None:
        self.calls.append((branch, force))
        self.world.commit_on(branch, "version", self.version, force=force)


def run(
    pulls: PullRequests, world: World, new: str, name: str = "foo"
) -> tuple[ForgeOutcome, Pusher]:
    pusher = Pusher(world, new)
    seen = situation(pulls, world, name)
    outcome = pulls.carry_out(seen, decide(seen, proposal(new, name)), proposal(new, name), pusher)
    return outcome, pusher


def test_open_then_update_then_nothing(world: World) -> None:
    pulls = PullRequests(make_client(world))
    outcome, pusher = run(pulls, world, "1.1")
    assert outcome.done == ("open",) and outcome.pull == 1
    assert pusher.calls == [("updater/foo", False)]
    outcome, pusher = run(pulls, world, "1.2")
    assert outcome.done == ("update",) and outcome.pull == 1
    assert pusher.calls == [("updater/foo", True)]
    comments = world.forge.state.comments(KEY, 1)
    assert len(comments) == 1 and "`1.2`" in comments[0].body
    outcome, pusher = run(pulls, world, "1.2")
    assert outcome.skipped and pusher.calls == []
    assert len([p for p, _ in world.forge.state.pulls(KEY)]) == 1


def test_limits_are_checked_before_pushing(world: World) -> None:
    pulls = PullRequests(make_client(world, max_open=0))
    outcome, pusher = run(pulls, world, "1.1")
    assert outcome.skipped and "limit 0" in outcome.reason
    assert pusher.calls == []
    assert pulls.branch_sha("updater/foo") is None


def test_merged_then_newer_deletes_and_opens_afresh(world: World) -> None:
    pulls = PullRequests(make_client(world))
    run(pulls, world, "1.1")
    world.forge.merge_pull(OWNER, REPO, 1)
    outcome, pusher = run(pulls, world, "1.2")
    assert outcome.done == ("delete-branch", "open") and outcome.pull == 2
    assert pusher.calls == [("updater/foo", False)]


def test_person_pushed_is_never_force_pushed(world: World) -> None:
    pulls = PullRequests(make_client(world))
    run(pulls, world, "1.1")
    theirs = world.commit_on("updater/foo", "fix", "by hand", email="alice@example.org")
    outcome, pusher = run(pulls, world, "1.2")
    assert outcome.done == ("comment", "skip") and pusher.calls == []
    outcome, pusher = run(pulls, world, "1.3")
    assert outcome.done == ("skip",) and pusher.calls == []
    assert pulls.branch_sha("updater/foo") == theirs
    assert len(world.forge.state.comments(KEY, 1)) == 1


def test_dry_run_pushes_nothing_and_writes_nothing(world: World) -> None:
    client = make_client(world, dry_run=True)
    pulls = PullRequests(client)
    world.forge.clear_requests()
    outcome, pusher = run(pulls, world, "1.1")
    assert outcome.done == ("open",) and outcome.pull is None
    assert pusher.calls == []
    assert all(r.method == "GET" for r in world.forge.requests)
    assert [i.describe() for i in client.intents][
        0
    ] == "[dry-run] would PUSH refs/heads/updater/foo: push updater/foo"
