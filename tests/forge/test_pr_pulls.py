"""Pull requests on the local forge: open, find again, update, comment, close, delete the branch."""

from __future__ import annotations

from forge_helpers import OWNER, REPO, World, make_client
from forge_helpers import situation as situation_of

from updater.forge.lifecycle import decide
from updater.forge.models import BranchOwnership, PinChange, ProposedUpdate, PullState
from updater.forge.pulls import PullRequests


def proposal(new: str = "1.1", old: str = "1.0") -> ProposedUpdate:
    return ProposedUpdate(
        name="foo",
        old_version=old,
        new_version=new,
        packages=("foo",),
        pins=(PinChange("pkgs/acme/foo.nix", 3, "rev", "a" * 40, "b" * 40),),
        release_notes="thanks @alice, fixes #1",
    )


def test_open_find_again_and_read_metadata(world: World) -> None:
    client = make_client(
        world, labels=["dependencies", "nix"], reviewers=["maintainer"], assignees=["maintainer"]
    )
    pulls = PullRequests(client)
    branch = pulls.branch("foo")
    assert branch == "updater/foo"
    world.commit_on(branch, "foo.txt", "1.1")
    number = pulls.open(proposal())
    assert number is not None
    (found,) = pulls.for_branch(branch)
    assert found.number == number and found.state is PullState.OPEN
    assert found.title == "foo: 1.0 -> 1.1"
    assert found.metadata is not None and found.metadata.new_version == "1.1"
    key = ("github.com", OWNER, REPO)
    issue = world.forge.state.issue(key, number)
    assert issue is not None
    assert set(issue.labels) == {"dependencies", "nix"}
    assert issue.assignees == ("maintainer",)
    pull = world.forge.state.pull(key, number)
    assert pull is not None and pull.requested_reviewers == ("maintainer",)
    # Another branch's PRs are not mixed in.
    world.commit_on("updater/bar", "bar.txt", "x")
    assert [p.number for p in pulls.for_branch(branch)] == [number]


def test_situation_drives_the_lifecycle(world: World) -> None:
    client = make_client(world)
    pulls = PullRequests(client)
    branch = pulls.branch("foo")
    assert situation_of(pulls, world, "foo").ownership is BranchOwnership.ABSENT
    assert [a.kind for a in decide(situation_of(pulls, world, "foo"), proposal())] == ["open"]

    world.commit_on(branch, "foo.txt", "1.1")
    number = pulls.open(proposal())
    situation = situation_of(pulls, world, "foo")
    assert situation.ownership is BranchOwnership.BOT_ONLY
    assert [a.kind for a in decide(situation, proposal("1.1"))] == ["skip"]

    # Newer upstream: the engine force-pushes, then updates the PR and comments.
    (action,) = decide(situation, proposal("1.2"))
    assert action.kind == "update" and action.pull == number
    world.commit_on(branch, "foo.txt", "1.2", force=True)
    pulls.update(number or 0, proposal("1.2", "1.0"))
    pulls.comment(number or 0, action.comment or "")
    (again,) = pulls.for_branch(branch)
    assert again.metadata is not None and again.metadata.new_version == "1.2"
    assert again.title == "foo: 1.0 -> 1.2"

    # A person pushes: comment once, then stay silent.
    world.commit_on(branch, "fix.txt", "by hand", email="alice@example.org")
    situation = situation_of(pulls, world, "foo")
    assert (
        situation.ownership is BranchOwnership.PERSON_PUSHED and not situation.person_comment_posted
    )
    first = decide(situation, proposal("1.3"))
    assert [a.kind for a in first] == ["comment", "skip"]
    pulls.comment(number or 0, first[0].comment or "")
    assert situation_of(pulls, world, "foo").person_comment_posted
    assert [a.kind for a in decide(situation_of(pulls, world, "foo"), proposal("1.3"))] == ["skip"]


def test_closed_pr_declines_its_version(world: World) -> None:
    client = make_client(world)
    pulls = PullRequests(client)
    world.commit_on("updater/foo", "foo.txt", "1.1")
    number = pulls.open(proposal())
    assert number is not None
    world.forge.close_pull(OWNER, REPO, number)
    situation = situation_of(pulls, world, "foo")
    assert situation.pulls[0].state is PullState.CLOSED_UNMERGED
    assert [a.kind for a in decide(situation, proposal("1.1"))] == ["skip"]
    assert [a.kind for a in decide(situation, proposal("1.2"))] == ["open"]


def test_merged_pr_branch_is_deleted_only_while_unchanged(world: World) -> None:
    client = make_client(world)
    pulls = PullRequests(client)
    head = world.commit_on("updater/foo", "foo.txt", "1.1")
    number = pulls.open(proposal())
    assert number is not None
    world.forge.merge_pull(OWNER, REPO, number)
    situation = situation_of(pulls, world, "foo")
    (merged,) = situation.pulls
    assert merged.state is PullState.MERGED
    assert [a.kind for a in decide(situation, proposal("1.2"))] == ["delete-branch", "open"]
    assert pulls.delete_branch("updater/foo", expected_sha="f" * 40) is False
    assert pulls.branch_sha("updater/foo") == head
    assert pulls.delete_branch("updater/foo", expected_sha=merged.head_sha) is True
    assert pulls.branch_sha("updater/foo") is None
    assert situation_of(pulls, world, "foo").ownership is BranchOwnership.ABSENT
