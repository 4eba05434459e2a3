"""Where each unit moves: the check's decision (tracking + policy) or `--version V`.

The policy of `updater check` decides (no downgrades, prereleases, minimum age, ignore lists,
branch mode with the file's placeholder style). `--version V` names the release explicitly;
it is still refused when V is not newer than the pinned version.
"""

from __future__ import annotations

from collections.abc import Sequence

from updater.config import Config
from updater.context import AppContext
from updater.engine.target import Target, Work
from updater.engine.tracking import Checked, Tracked, check, tracked_of
from updater.engine.units import Unit
from updater.nixfile.model import PinKind, ScanResult
from updater.upstream.connect import tokens_of, upstream_apis
from updater.upstream.http import HttpClient, HttpSettings
from updater.upstream.model import UpstreamSnapshot
from updater.upstream.registry import SourceRequest, UpstreamApis, fetch_all
from updater.version.policy import compare_for_update, version_of_tag


def work_of(unit: Unit, checked: Checked) -> Work:
    """The unit's target from its check: the decision's release or commit, or why none."""
    t = checked.tracked
    if t.problem is not None:
        return Work(unit, skip=t.problem, checked=checked)
    if checked.error is not None:
        return Work(unit, error=f"upstream: {checked.error}", checked=checked)
    assert checked.decision is not None
    target = Target.from_decision(checked.decision, t.policy.mode, checked.release)
    if target is not None:
        return Work(unit, target, checked=checked)
    passed = ", ".join(f"{s.version}: {s.reason}" for s in checked.decision.skipped[:3])
    why = f"up to date at {t.current}" + (f" (passed over {passed})" if passed else "")
    return Work(unit, skip=why, checked=checked)


def _release_for(snapshot: UpstreamSnapshot, version: str, tracked: Tracked) -> Target | None:
    for rel in snapshot.candidates():
        if rel.draft:
            continue
        if rel.tag == version or version_of_tag(rel.tag, tracked.policy) == version:
            return Target.of_release(version, rel.tag, rel.commit, rel.date, rel)
    return None


def _pinned_version(unit: Unit) -> str | None:
    versions = [p.value for p in unit.pins if p.kind is PinKind.VERSION and p.literal]
    return versions[0] if versions else None


def _refusal(version: str, unit: Unit, tracked: Tracked) -> str | None:
    current = tracked.current if tracked.policy.mode == "release" else _pinned_version(unit)
    if current is None or not current[:1].isdigit() and not current[1:2].isdigit():
        return None  # a placeholder ("unstable") orders before any release
    if compare_for_update(version, current.removeprefix("v")) <= 0:
        return f"refused: {version} is not newer than the pinned {current} (no downgrades)"
    return None


async def release_works(
    units: Sequence[Unit],
    tracked: Sequence[Tracked],
    version: str,
    http: HttpClient,
    apis: UpstreamApis,
) -> list[Work]:
    """`--version V`: one Work per unit, moving to release V of its upstream."""
    out: dict[str, Work] = {
        u.id: Work(u, skip=t.problem) for u, t in zip(units, tracked, strict=True) if t.problem
    }
    active = [(u, t) for u, t in zip(units, tracked, strict=True) if t.problem is None]
    requests = {}
    for u, t in active:
        assert t.source is not None
        requests[u.id] = SourceRequest(t.source, "releases")
    answers = await fetch_all(list(requests.values()), http, apis, None)
    for unit, t in active:
        answer = answers.get(requests[unit.id])
        if not isinstance(answer, UpstreamSnapshot):
            out[unit.id] = Work(unit, error=f"upstream: {answer or 'no answer'}")
            continue
        refusal = _refusal(version, unit, t)
        target = _release_for(answer, version, t)
        if refusal is not None:
            out[unit.id] = Work(unit, skip=refusal)
        elif target is None:
            source = t.source.id if t.source else "?"
            out[unit.id] = Work(unit, error=f"no release {version} at {source}")
        else:
            out[unit.id] = Work(unit, target)
    return [out[u.id] for u in units]


async def find_targets(
    units: Sequence[Unit],
    scan: ScanResult,
    config: Config,
    http: HttpClient,
    apis: UpstreamApis,
    version: str | None = None,
) -> list[Work]:
    """One Work per unit, in order: checked now (no store), or release `version`."""
    tracked = [tracked_of(u, scan, config) for u in units]
    if version is not None:
        return await release_works(units, tracked, version, http, apis)
    # Units with a problem are not asked; check() gives them their place in the answer.
    checked = await check(tracked, http, apis, None)
    return [work_of(u, c) for u, c in zip(units, checked, strict=True)]


async def resolve(
    ctx: AppContext, units: Sequence[Unit], scan: ScanResult, version: str | None
) -> list[Work]:
    """find_targets with the upstream APIs and tokens of the context."""
    async with HttpClient(HttpSettings(one_shot=True), tokens=tokens_of(ctx)) as http:
        return await find_targets(units, scan, ctx.config, http, upstream_apis(ctx), version)
