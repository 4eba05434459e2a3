"""With no state store at all, GitHub's PRs (their metadata blocks) say everything needed:
no duplicate PR, no re-proposed declined version."""

from __future__ import annotations

from forge_helpers import OWNER, REPO, World, make_client, situation

from updater.forge.lifecycle import decide, recover_state
from updater.forge.models import ProposedUpdate
from updater.forge.pulls import PullRequests


def proposal(name: str, new: str) -> ProposedUpdate:
    return ProposedUpdate(name=name, old_version="1.0", new_version=new, packages=(name,))


def test_state_rebuilt_from_the_forge_alone(world: World) -> None:
    first_run = PullRequests(make_client(world))
    numbers = {}
    for name in ("foo", "bar", "baz"):
        world.commit_on(f"updater/{name}", name, "2.0")
        numbers[name] = first_run.open(proposal(name, "2.0"))
    world.forge.close_pull(OWNER, REPO, numbers["bar"] or 0)
    world.forge.merge_pull(OWNER, REPO, numbers["baz"] or 0)
    # A PR from a person on another branch is not the bot's.
    world.commit_on("feature/x", "x", "x", email="alice@example.org")
    first_run.client.repo.create_pull(base="main", head="feature/x", title="feature", body="")

    # The store is gone: a new process knows nothing but what the forge says.
    fresh = PullRequests(make_client(world))
    recovered = {r.name: r for r in recover_state(fresh.bot_pulls(), "updater/")}
    assert set(recovered) == {"foo", "bar", "baz"}
    assert (recovered["foo"].open_pull, recovered["foo"].proposed_version) == (
        numbers["foo"],
        "2.0",
    )
    assert recovered["bar"].declined == frozenset({"2.0"}) and recovered["bar"].open_pull is None
    assert recovered["baz"].merged == frozenset({"2.0"})

    world.forge.clear_requests()
    kinds = {
        name: [a.kind for a in decide(situation(fresh, world, name), proposal(name, "2.0"))]
        for name in recovered
    }
    assert kinds == {"foo": ["skip"], "bar": ["skip"], "baz": ["delete-branch", "skip"]}
    assert all(r.method == "GET" for r in world.forge.requests)
    # A newer release still moves forward.
    assert [a.kind for a in decide(situation(fresh, world, "bar"), proposal("bar", "2.1"))] == [
        "open"
    ]
    assert [a.kind for a in decide(situation(fresh, world, "foo"), proposal("foo", "2.1"))] == [
        "update"
    ]
