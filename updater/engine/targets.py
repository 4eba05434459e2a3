"""Where each unit should move: the upstream check (tracking + policy) or `--version V`.

The policy of `updater check` decides (no downgrades, prereleases, minimum age, ignore lists,
branch mode with the file's placeholder style). `--version V` names the release explicitly;
it is still refused when V is not newer than the pinned version.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from updater.config import Config
from updater.context import AppContext
from updater.engine.target import Target
from updater.engine.tracking import Tracked, check, tracked_of
from updater.engine.units import Unit
from updater.nixfile.model import PinKind, ScanResult
from updater.upstream.connect import tokens_of, upstream_apis
from updater.upstream.http import HttpClient, HttpSettings
from updater.upstream.model import UpstreamSnapshot
from updater.upstream.registry import SourceRequest, UpstreamApis, fetch_all
from updater.version.policy import compare_for_update, version_of_tag


@dataclass(frozen=True)
class Work:
    """A unit and where it goes; or why it does not go anywhere."""

    unit: Unit
    target: Target | None = None
    skip: str | None = None  # not an error: up to date, opted out, floating, refused
    error: str | None = None  # the upstream could not be asked


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


async def find_targets(
    units: Sequence[Unit],
    scan: ScanResult,
    config: Config,
    http: HttpClient,
    apis: UpstreamApis,
    version: str | None = None,
) -> list[Work]:
    """One Work per unit, in order."""
    tracked = {u.id: tracked_of(u, scan, config) for u in units}
    active = [u for u in units if tracked[u.id].problem is None]
    out: dict[str, Work] = {
        u.id: Work(u, skip=tracked[u.id].problem) for u in units if tracked[u.id].problem
    }
    if version is None:
        checked = await check([tracked[u.id] for u in active], http, apis, None)
        for unit, c in zip(active, checked, strict=True):
            if c.error is not None:
                out[unit.id] = Work(unit, error=f"upstream: {c.error}")
                continue
            assert c.decision is not None
            target = Target.from_decision(c.decision, c.tracked.policy.mode)
            if target is None:
                passed = ", ".join(f"{s.version}: {s.reason}" for s in c.decision.skipped[:3])
                why = f"up to date at {c.tracked.current}" + (
                    f" (passed over {passed})" if passed else ""
                )
                out[unit.id] = Work(unit, skip=why)
            else:
                out[unit.id] = Work(unit, target)
    else:
        requests = {}
        for u in active:
            source = tracked[u.id].source
            assert source is not None
            requests[u.id] = SourceRequest(source, "releases")
        answers = await fetch_all(list(requests.values()), http, apis, None)
        for unit in active:
            answer = answers.get(requests[unit.id])
            t = tracked[unit.id]
            if not isinstance(answer, UpstreamSnapshot):
                out[unit.id] = Work(unit, error=f"upstream: {answer or 'no answer'}")
                continue
            refusal = _refusal(version, unit, t)
            target = _release_for(answer, version, t)
            if refusal is not None:
                out[unit.id] = Work(unit, skip=refusal)
            elif target is None:
                out[unit.id] = Work(
                    unit, error=f"no release {version} at {t.source.id if t.source else '?'}"
                )
            else:
                out[unit.id] = Work(unit, target)
    return [out[u.id] for u in units]


async def resolve(
    ctx: AppContext, units: Sequence[Unit], scan: ScanResult, version: str | None
) -> list[Work]:
    """find_targets with the forge endpoints and tokens of the context."""
    async with HttpClient(HttpSettings(one_shot=True), tokens=tokens_of(ctx)) as http:
        return await find_targets(units, scan, ctx.config, http, upstream_apis(ctx), version)
