"""The PR lifecycle decisions, as pure functions over what GitHub says about a branch."""

from __future__ import annotations

from updater.forge.lifecycle import (
    PERSON_PUSHED_MARKER,
    branch_name,
    decide,
    declined_versions,
    limit_reason,
    ownership,
    recover_state,
)
from updater.forge.models import (
    BranchOwnership,
    BranchSituation,
    CommitIdentity,
    ProposedUpdate,
    PullRequestInfo,
    PullState,
    UpdateMetadata,
)

BRANCH = "updater/foo"


def pr(
    number: int, state: PullState, new: str | None, *, branch: str = BRANCH, name: str = "foo"
) -> PullRequestInfo:
    meta = UpdateMetadata(name=name, old_version="1.0", new_version=new) if new else None
    return PullRequestInfo(
        number=number,
        state=state,
        head_ref=branch,
        head_sha="0" * 40,
        base_ref="main",
        title="t",
        url=f"http://forge/pull/{number}",
        author="bot",
        created_at=None,
        metadata=meta,
    )


def proposal(new: str) -> ProposedUpdate:
    return ProposedUpdate(name="foo", old_version="1.0", new_version=new)


def kinds(situation: BranchSituation, new: str) -> list[str]:
    return [a.kind for a in decide(situation, proposal(new))]


def test_nothing_there_opens() -> None:
    assert kinds(BranchSituation(BRANCH), "1.1") == ["open"]


def test_open_pr_with_the_same_version_is_left_alone() -> None:
    situation = BranchSituation(BRANCH, (pr(3, PullState.OPEN, "1.1"),), BranchOwnership.BOT_ONLY)
    (action,) = decide(situation, proposal("1.1"))
    assert action.kind == "skip" and action.pull == 3 and "already proposed" in action.reason


def test_newer_version_updates_the_same_pr_and_comments() -> None:
    situation = BranchSituation(BRANCH, (pr(3, PullState.OPEN, "1.1"),), BranchOwnership.BOT_ONLY)
    (action,) = decide(situation, proposal("1.2"))
    assert action.kind == "update" and action.pull == 3
    assert action.comment is not None and "`1.2`" in action.comment and "`1.1`" in action.comment


def test_open_pr_whose_metadata_was_lost_is_updated() -> None:
    situation = BranchSituation(BRANCH, (pr(3, PullState.OPEN, None),), BranchOwnership.BOT_ONLY)
    assert kinds(situation, "1.2") == ["update"]


def test_person_pushed_comments_once_then_stays_silent() -> None:
    pulls = (pr(3, PullState.OPEN, "1.1"),)
    first = decide(BranchSituation(BRANCH, pulls, BranchOwnership.PERSON_PUSHED), proposal("1.2"))
    assert [a.kind for a in first] == ["comment", "skip"]
    assert (
        first[0].pull == 3
        and first[0].comment is not None
        and PERSON_PUSHED_MARKER in first[0].comment
    )
    again = BranchSituation(
        BRANCH, pulls, BranchOwnership.PERSON_PUSHED, person_comment_posted=True
    )
    assert kinds(again, "1.2") == ["skip"]


def test_closed_unmerged_version_is_declined_but_a_newer_one_opens() -> None:
    situation = BranchSituation(
        BRANCH, (pr(3, PullState.CLOSED_UNMERGED, "1.1"),), BranchOwnership.BOT_ONLY
    )
    (skip,) = decide(situation, proposal("1.1"))
    assert skip.kind == "skip" and "declined" in skip.reason
    assert kinds(situation, "1.2") == ["open"]


def test_declined_versions_from_the_store_count_too() -> None:
    situation = BranchSituation(BRANCH, (), BranchOwnership.ABSENT, declined=frozenset({"1.1"}))
    assert kinds(situation, "1.1") == ["skip"]


def test_a_declined_version_is_not_pushed_onto_an_open_pr() -> None:
    pulls = (pr(2, PullState.CLOSED_UNMERGED, "1.3"), pr(3, PullState.OPEN, "1.2"))
    assert kinds(BranchSituation(BRANCH, pulls, BranchOwnership.BOT_ONLY), "1.3") == ["skip"]


def test_merged_branch_is_deleted_then_a_newer_version_opens() -> None:
    situation = BranchSituation(BRANCH, (pr(3, PullState.MERGED, "1.1"),), BranchOwnership.BOT_ONLY)
    actions = decide(situation, proposal("1.2"))
    assert [a.kind for a in actions] == ["delete-branch", "open"]
    assert actions[0].pull == 3
    assert kinds(situation, "1.1") == ["delete-branch", "skip"]
    gone = BranchSituation(BRANCH, (pr(3, PullState.MERGED, "1.1"),), BranchOwnership.ABSENT)
    assert kinds(gone, "1.2") == ["open"]


def test_closed_branch_with_a_persons_commits_is_not_overwritten() -> None:
    situation = BranchSituation(
        BRANCH, (pr(3, PullState.CLOSED_UNMERGED, "1.1"),), BranchOwnership.PERSON_PUSHED
    )
    assert kinds(situation, "1.2") == ["skip"]


def test_ownership() -> None:
    bot = ["bot@example.org"]
    mine = CommitIdentity("a", "Bot@Example.org", "bot@example.org")
    theirs = CommitIdentity("b", "alice@example.org", "bot@example.org")
    amended = CommitIdentity("c", "bot@example.org", "alice@example.org")
    assert ownership([], bot) is BranchOwnership.ABSENT
    assert ownership([mine, mine], bot) is BranchOwnership.BOT_ONLY
    assert ownership([mine, theirs], bot) is BranchOwnership.PERSON_PUSHED
    assert ownership([amended], bot) is BranchOwnership.PERSON_PUSHED


def test_limits() -> None:
    assert limit_reason(0, 0, 20, 10) is None
    assert "open" in (limit_reason(20, 0, 20, 10) or "")
    assert "last hour" in (limit_reason(1, 10, 20, 10) or "")
    assert limit_reason(0, 0, 0, 10) is not None


def test_branch_names_are_valid_refs() -> None:
    assert branch_name("updater/", "atproto-pds") == "updater/atproto-pds"
    assert branch_name("updater/", "group:atproto src") == "updater/group-atproto-src"
    assert branch_name("updater/", "../x..y/.hidden/z.lock") == "updater/x.y/hidden/z-lock"
    assert branch_name("updater/", "~^:?*[\\") == "updater/unnamed"


def test_state_is_recovered_from_metadata_alone() -> None:
    pulls = [
        pr(1, PullState.CLOSED_UNMERGED, "1.1"),
        pr(2, PullState.MERGED, "1.2"),
        pr(5, PullState.OPEN, "1.4"),
        pr(4, PullState.CLOSED_UNMERGED, "1.3"),
        pr(6, PullState.OPEN, "2.0", branch="updater/bar", name="bar-group"),
        pr(7, PullState.OPEN, "9", branch="feature/unrelated"),
    ]
    bar, foo = recover_state(pulls, "updater/")  # sorted by branch
    assert (foo.name, foo.open_pull, foo.proposed_version) == ("foo", 5, "1.4")
    assert foo.declined == frozenset({"1.1", "1.3"}) == declined_versions(pulls[:4])
    assert foo.merged == frozenset({"1.2"})
    assert (bar.name, bar.branch, bar.open_pull) == ("bar-group", "updater/bar", 6)
