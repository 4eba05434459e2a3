"""Tracking: from the scanned pins, the config and the upstreams to one decision per unit.

This is where the pin model (nixfile), the version policy (version) and the sources of versions
(upstream) meet; none of them knows the others.

For each group of pins (one upstream source, maybe several packages): infer the source from
the fetcher (or take the config's `source`), read the current version and rev, build the policy
(config.policy defaults, then per-package overrides), skip sources still backed off after
repeated failures, fetch everything concurrently, decide, and remember results and failures.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from pathlib import Path

from updater.config import Config, PackageConfig
from updater.engine.units import Unit, select, units_of
from updater.errors import (
    ConfigError,
    HostUnreachableError,
    RateLimitedError,
    TokenRejectedError,
    UpstreamError,
)
from updater.nixfile.literals import nix_update_args
from updater.nixfile.model import Pin, PinKind, ScanResult, SourceGroup
from updater.state.store import (
    CheckRecord,
    SkippedRecord,
    SourceAnswered,
    SourceFailed,
    StateStore,
)
from updater.upstream import assets
from updater.upstream.http import HttpClient
from updater.upstream.model import (
    COMMIT_RE,
    RefusedTag,
    SourceKind,
    SourceSpec,
    UpstreamRelease,
    UpstreamSnapshot,
)
from updater.upstream.registry import SourceAnswer, SourceRequest, UpstreamApis, fetch_all
from updater.version.nixupdate import NixUpdateArgs, parse_nix_update_args
from updater.version.policy import (
    Candidate,
    Decision,
    Head,
    Policy,
    decide_branch,
    decide_release,
    version_of_tag,
)
from updater.weblinks import repository

_DAY_IN_VERSION = re.compile(r"(\d{4})-(\d{2})-(\d{2})$")

_KINDS: dict[str, SourceKind] = {
    "github": "github",
    "tangled": "tangled",
    "git": "git",
    "forgejo": "forgejo",
    "gitea": "gitea",
    "gitlab": "gitlab",
}
_OVERRIDE = re.compile(r"^(?P<kind>github|tangled|git|forgejo|gitea|gitlab):(?P<rest>\S+)$")


@dataclass(frozen=True)
class Tracked:
    """One source group to check and the packages it feeds."""

    group: str
    packages: tuple[str, ...]
    source: SourceSpec | None
    current: str | None
    current_rev: str | None
    policy: Policy
    problem: str | None = None

    @property
    def request(self) -> SourceRequest | None:
        if self.source is None:
            return None
        if self.policy.mode == "branch":
            known = self.current_rev.lower() if self.current_rev else None
            return SourceRequest(self.source, "branch", self.policy.branch, known)
        tag = self.current_rev if self.current_rev and "${" not in self.current_rev else None
        return SourceRequest(self.source, "releases", known_tag=tag)


@dataclass(frozen=True)
class Checked:
    tracked: Tracked
    decision: Decision | None
    error: str | None = None
    # The upstream's release the decision picked (its notes and page), when it has one.
    release: UpstreamRelease | None = None
    # Tags the upstream offered that were refused (hostile names), reported by run and check.
    refused: tuple[RefusedTag, ...] = ()
    # When the pinned revision was released or committed, when the upstream says.
    current_date: datetime | None = None

    @property
    def compare_url(self) -> str | None:
        """The upstream's view of what changed from the pinned revision to the decided one."""
        t, d = self.tracked, self.decision
        if t.source is None or d is None or not d.rev:
            return None
        s = t.source
        return (
            repo.compare(t.current_rev, d.rev)
            if (repo := repository(s.kind, s.domain, s.owner, s.repo)) is not None
            else None
        )

    def records(self, now: datetime) -> list[CheckRecord]:
        t, d = self.tracked, self.decision
        skipped = tuple(SkippedRecord(s.tag, s.version, s.reason) for s in (d.skipped if d else ()))
        compare = self.compare_url
        return [
            CheckRecord(
                package=name,
                current=t.current,
                latest=d.shown if d and d.latest else (t.current if d else None),
                outdated=bool(d and d.outdated),
                source=t.source.id if t.source else None,
                skipped=skipped,
                error=self.error or t.problem,
                checked_at=now,
                mode=t.policy.mode,
                current_rev=t.current_rev,
                latest_rev=d.rev if d and d.latest else None,
                current_date=self.current_date,
                latest_date=d.date if d and d.latest else None,
                compare_url=compare,
            )
            for name in (t.packages or (t.group,))
        ]


def _package_config(config: Config, names: Sequence[str]) -> PackageConfig:
    for name in names:
        if name in config.packages:
            return config.packages[name]
    return PackageConfig()


def parse_source_override(text: str, origin: str) -> SourceSpec:
    try:
        return _parse_override(text, origin)
    except UpstreamError as exc:
        raise ConfigError(f"{origin}: source {text!r}: {exc}") from None


def _parse_override(text: str, origin: str) -> SourceSpec:
    """`github:owner/repo`, `forgejo:codeberg.org/owner/repo`, `git:https://host/x.git`."""
    m = _OVERRIDE.match(text)
    if m is None:
        raise ConfigError(
            f"{origin}: source {text!r}: expected kind:location, e.g. github:owner/repo"
        )
    kind, rest = _KINDS[m["kind"]], m["rest"]
    if kind == "git":
        if not rest.startswith(("https://", "http://", "git://", "ssh://")):
            raise ConfigError(f"{origin}: source {text!r}: git needs a URL")
        tail = rest.rstrip("/").removesuffix(".git").split("/")
        return SourceSpec("git", rest.split("/")[2], tail[-2], tail[-1], rest)
    parts = rest.split("/")
    if kind == "github" and len(parts) == 2:
        return SourceSpec.github(parts[0], parts[1]).validate()
    if len(parts) != 3:
        raise ConfigError(f"{origin}: source {text!r}: expected {kind}:domain/owner/repo")
    domain, owner, repo = parts
    return SourceSpec(kind, domain, owner, repo, f"https://{domain}/{owner}/{repo}").validate()


# Forges by host when neither the config's [forges] nor the fetcher names one.
_FORGE_OF_HOST = {"github.com": "github", "gitlab.com": "gitlab", "codeberg.org": "forgejo"}
# Which forge kinds serve release downloads in each URL shape (assets.ReleaseAsset.shape).
_ASSET_KINDS: dict[str, frozenset[SourceKind]] = {
    "releases": frozenset({"github", "forgejo", "gitea"}),
    "gitlab": frozenset({"gitlab"}),
}


def _asset_source(group: SourceGroup, src: Pin, config: Config) -> SourceSpec | None:
    """The repository whose releases a pinned release-download URL follows.

    The URL is read as it resolves (`v${version}` filled in), so the tag in it is the current
    release's; the version literal moves and the URL follows by interpolation. A host whose
    forge is unknown is still followed through its git tags (kind `release-asset`).
    """
    urls = [src.value] + [p.resolved or p.value for p in group.pins_of(PinKind.URL)]
    asset = next((a for a in map(assets.release_asset_of, urls) if a is not None), None)
    if asset is None:
        return None
    forge = (
        config.forges[asset.domain].type
        if asset.domain in config.forges
        else _FORGE_OF_HOST.get(asset.domain, group.forge if group.domain == asset.domain else None)
    )
    kind = _KINDS.get(forge or "")
    if kind is None or kind not in _ASSET_KINDS[asset.shape]:
        kind = "release-asset"
    base = f"https://{asset.domain}/{asset.owner}/{asset.repo}"
    try:
        if kind == "github" and asset.domain == "github.com":
            return SourceSpec.github(asset.owner, asset.repo).validate()
        return SourceSpec(kind, asset.domain, asset.owner, asset.repo, base).validate()
    except UpstreamError:
        return None


def _source_of(group: SourceGroup, src: Pin | None, config: Config) -> SourceSpec | None:
    forge, domain, owner, repo, url = group.forge, group.domain, group.owner, group.repo, group.url
    if domain and domain in config.forges:
        forge = config.forges[domain].type
    if src is not None and src.fetcher in ("fetchurl", "fetchzip", "fetchTarball"):
        return _asset_source(group, src, config)
    if forge is None or forge not in _KINDS or not domain or not owner or not repo:
        if forge == "git" and url and owner and repo and domain:
            return SourceSpec("git", domain, owner, repo, url)
        return None
    kind = _KINDS[forge]
    base = url if kind == "git" and url else f"https://{domain}/{owner}/{repo}"
    try:
        return SourceSpec(kind, domain, owner, repo, base).validate()
    except UpstreamError:
        return None


def track(scan: ScanResult, config: Config, only: Sequence[str] = ()) -> list[Tracked]:
    """One Tracked per source group feeding a wanted package (all when `only` is empty)."""
    wanted = set(only)
    return [
        _tracked(group, config, Path(scan.repo) if scan.repo else None)
        for group in scan.groups()
        if not wanted or wanted & set(group.packages) or group.id in wanted
    ]


def _nix_update_of(group: SourceGroup, root: Path | None) -> NixUpdateArgs | None:
    """The group's `passthru.updateScript = nix-update-script { extraArgs }`, read natively."""
    if root is None:
        return None
    for rel in dict.fromkeys(p.file for p in group.pins):
        args = nix_update_args(root, rel)
        if args is not None:
            return parse_nix_update_args(args)
    return None


def _tracked(group: SourceGroup, config: Config, root: Path | None = None) -> Tracked:
    pkg = _package_config(config, (*group.packages, group.id))
    nix_update = _nix_update_of(group, root)
    src = (group.pins_of(PinKind.SRC) or (None,))[0]
    rev = (group.pins_of(PinKind.REV) or group.pins_of(PinKind.TAG) or (None,))[0]
    version_pin = (group.pins_of(PinKind.VERSION) or (None,))[0]
    rev_value = (rev.resolved or rev.value) if rev is not None else None
    commit_pinned = rev_value is not None and bool(COMMIT_RE.match(rev_value))
    current = version_pin.value if version_pin is not None else None
    inferred = None if commit_pinned else inferred_prefix(rev_value, current)
    policy = _with_directives(_policy(config, pkg, commit_pinned, inferred, nix_update), group, pkg)
    if current is None and rev_value and not commit_pinned and "${" not in rev_value:
        current = version_of_tag(rev_value, policy) or version_of_tag(rev_value, Policy())
    source: SourceSpec | None
    if pkg.source:
        origin = f"config packages.{group.packages[0] if group.packages else group.id}"
        source = parse_source_override(pkg.source, origin)
    else:
        source = _source_of(group, src, config)
    problem = _problem(group, pkg, source, current, policy)
    if problem is None and nix_update is not None and nix_update.skip:
        problem = "skipped: its nix-update-script says --version=skip"
    if policy.mode == "branch" and current is None:
        current = rev_value[:12] if rev_value else None
    return Tracked(
        group=group.id,
        packages=group.packages,
        source=source,
        current=current,
        current_rev=rev_value,
        policy=policy,
        problem=problem,
    )


# What may stand before the version in a tag we infer a prefix from (`loom-`, `loom/v`).
_PREFIX = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._+@/\-]{0,99}$")


def inferred_prefix(tag: str | None, version: str | None) -> str | None:
    """A monorepo's tag prefix, read off the pin: `tag = "loom-1.3.0"` (or `rev =
    "loom-${version}"`, resolved) with `version = "1.3.0"` follows the tags starting `loom-`.
    None for a plain `1.3.0` or `v1.3.0`, which need no prefix."""
    if not tag or not version or "${" in tag or len(tag) <= len(version):
        return None
    if not tag.endswith(version):
        return None
    prefix = tag[: -len(version)]
    if prefix in ("v", "V") or not _PREFIX.match(prefix):
        return None
    return prefix


def _policy(
    config: Config,
    pkg: PackageConfig,
    commit_pinned: bool,
    inferred: str | None = None,
    nu: NixUpdateArgs | None = None,
) -> Policy:
    """config.policy's defaults, then the package's nix-update-script extraArgs, then the
    package's overrides in the configuration; a prefix read off the pin unless the package (or
    its nix-update-script) names a prefix or a regex itself."""
    nu = nu or NixUpdateArgs()
    prereleases = pkg.prereleases if pkg.prereleases is not None else nu.prereleases
    regex = pkg.tag_regex or (nu.version_regex if not pkg.tag_prefix else None)
    explicit = pkg.tag_prefix is not None or regex is not None
    return Policy(
        mode=pkg.mode or nu.mode or ("branch" if commit_pinned else "release"),
        prereleases=prereleases if prereleases is not None else config.policy.prereleases,
        tag_prefix=pkg.tag_prefix if explicit else inferred,
        tag_regex=regex,
        same_shape=pkg.version_shape == "pinned",
        ignore=tuple(config.policy.ignore) + tuple(pkg.ignore),
        min_age_days=pkg.min_age_days
        if pkg.min_age_days is not None
        else config.policy.min_age_days,
        branch=pkg.branch or nu.branch,
    )


def _with_directives(policy: Policy, group: SourceGroup, pkg: PackageConfig) -> Policy:
    """The group's `# updater:` directives (docs/DIRECTIVES.md) on top of the defaults; the
    configuration's own setting for the package wins where it has one."""
    found = [d for p in group.pins for d in p.directives]
    if not found:
        return policy
    branches = [d.argument for d in found if d.name == "branch"]
    wants_pre = pkg.prereleases is None and any(d.name == "prereleases" for d in found)
    return replace(
        policy,
        prereleases=policy.prereleases or wants_pre,
        tags=(*policy.tags, *dict.fromkeys(d.argument for d in found if d.name == "tags")),
        ignore=(*policy.ignore, *dict.fromkeys(d.argument for d in found if d.name == "ignore")),
        branch=pkg.branch or (branches[0] if branches else policy.branch),
    )


_MOVABLE = frozenset({PinKind.REV, PinKind.TAG, PinKind.URL, PinKind.VERSION})


def _problem(
    group: SourceGroup,
    pkg: PackageConfig,
    source: SourceSpec | None,
    current: str | None,
    policy: Policy,
) -> str | None:
    """Why the group is not checked at all, if it is not."""
    if pkg.skip or any(p.skipped for p in group.pins):
        return "skipped by config or directive"
    if any(p.floating for p in group.pins if p.kind in (PinKind.REV, PinKind.URL, PinKind.SRC)):
        return "floating reference (HEAD, latest), not updated: pin it to check it"
    if source is None:
        if not any(p.kind in _MOVABLE for p in group.pins):
            # A helper's fetcher call (`fetchGoModules { inherit src; hash; }`) or an
            # outputHashes set: nothing of its own to follow.
            return "only hashes here: they are refreshed when the package's source moves"
        where = group.domain or group.url
        return f"no known source for {group.forge or 'this fetcher'}" + (
            f" at {where}" if where else ""
        )
    if current is None and policy.mode == "release":
        return "no version pin to compare with"
    return None


def tracked_of(unit: Unit, scan: ScanResult, config: Config) -> Tracked:
    (tracked,) = track(unit.scan(scan), config)
    return tracked


def tracked_units(scan: ScanResult, config: Config, packages: Sequence[str] = ()) -> list[Tracked]:
    """One Tracked per unit feeding the named packages (all when none named), exactly as
    `updater run` plans them: `check`, the service and `run --shard` decide per unit too."""
    return [tracked_of(u, scan, config) for u in select(units_of(scan), packages, scan)]


async def check(
    tracked: Sequence[Tracked],
    http: HttpClient,
    apis: UpstreamApis,
    store: StateStore | None,
    now: datetime | None = None,
    on_done: Callable[[int], None] | None = None,
) -> list[Checked]:
    """One Checked per Tracked, in order. With a store: answers are cached, sources that failed
    repeatedly are not asked until their retry time, failures and last versions are kept."""
    now = now or datetime.now(UTC)
    requests, backed = _requests(tracked, store, now)
    results = await fetch_all(requests, http, apis, store, on_done)
    out: list[Checked] = []
    learnt = _Learnt()
    for t in tracked:
        req = t.request
        if t.problem is not None or req is None:
            out.append(Checked(t, None, None))
        elif req.source.id in backed:
            out.append(Checked(t, None, backed[req.source.id]))
        else:
            out.append(_checked(t, req, results.get(req), learnt, now))
    if store is not None:
        store.record_check(list(learnt.failed.values()), list(learnt.answered.values()), now)
    return out


def _requests(
    tracked: Sequence[Tracked], store: StateStore | None, now: datetime
) -> tuple[list[SourceRequest], dict[str, str]]:
    """The requests to send, and why each backed-off source is not asked (by source id)."""
    asked = [t.request for t in tracked if t.problem is None and t.request is not None]
    resting = store.backed_off_many([r.source.id for r in asked], now) if store else {}
    backed = {
        sid: f"backed off after {f.count} failure(s) until {f.retry_at:%Y-%m-%d %H:%M} UTC: {f.reason}"
        for sid, f in resting.items()
    }
    return [r for r in asked if r.source.id not in backed], backed


@dataclass
class _Learnt:
    """What a check learnt about its sources, written to the store once at its end (one
    transaction, not three per source). Keyed by source id: packages sharing a source agree."""

    failed: dict[str, SourceFailed] = field(default_factory=dict)
    answered: dict[str, SourceAnswered] = field(default_factory=dict)


def _checked(
    t: Tracked,
    req: SourceRequest,
    result: SourceAnswer | None,
    learnt: _Learnt,
    now: datetime,
) -> Checked:
    if result is None or isinstance(result, UpstreamError):
        message = str(result) if result is not None else "no answer"
        retry_at = None
        if isinstance(result, RateLimitedError) and result.retry_at is not None:
            retry_at = datetime.fromtimestamp(result.retry_at, UTC)
            message = f"{message} (retry after {retry_at:%H:%M:%S} UTC)"
        # A host that is down or refuses the token is the run's failure, not the source's:
        # backing each of its sources off would keep them unchecked once the host is back.
        if not isinstance(result, HostUnreachableError | TokenRejectedError):
            learnt.failed[req.source.id] = SourceFailed(req.source.id, message, retry_at)
        return Checked(t, None, message)
    decision, release = decide(t, result, now)
    latest = decision.newest or decision.latest or t.current
    learnt.answered[req.source.id] = SourceAnswered(req.source.id, latest)
    return Checked(
        t, decision, release=release, refused=result.refused, current_date=current_date(t, result)
    )


def current_date(t: Tracked, snapshot: UpstreamSnapshot) -> datetime | None:
    """When the pinned revision was made: its release's date, the branch head's when the pin is
    the head, else the day a placeholder version (`unstable-2025-01-02`) names."""
    rev = (t.current_rev or "").lower()
    if t.policy.mode == "branch":
        known = snapshot.date_of(rev) if rev else None  # the head, or the pinned commit asked
        if known is not None:
            return known
        m = _DAY_IN_VERSION.search(t.current or "")
        try:
            return datetime(int(m[1]), int(m[2]), int(m[3]), tzinfo=UTC) if m else None
        except ValueError:
            return None
    for r in snapshot.candidates():
        if r.date is not None and (r.tag == t.current_rev or (r.commit and r.commit == rev)):
            return r.date
    return None


def decide(
    tracked: Tracked, snapshot: UpstreamSnapshot, now: datetime
) -> tuple[Decision, UpstreamRelease | None]:
    """The policy's decision on what `snapshot` offers, and the release it picked."""
    t = tracked
    assert t.current is not None
    if t.policy.mode == "branch":
        found = snapshot.branch_head(t.policy.branch)
        head = Head(found.commit, found.date) if found is not None else None
        return decide_branch(t.current, t.current_rev or "", head, t.policy, now), None
    offered = snapshot.candidates()
    candidates = [
        Candidate(r.tag, r.commit, r.date, r.prerelease, r.draft, bare=not r.is_release)
        for r in offered
    ]
    decision = decide_release(t.current, candidates, t.policy, now)
    release = next((r for r in offered if r.tag == decision.rev), None)
    return decision, release if decision.latest is not None else None


def failed(results: Sequence[Checked]) -> bool:
    return any(c.error is not None for c in results)
