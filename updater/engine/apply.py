"""Apply a plan in a scratch directory: write the new values, then let Nix compute each hash.

1. One transactional edit writes every new rev/tag/version/url and sets every hash to refresh
   to the fake hash (in the notation that pin uses, so `sha256 = "<base32>"` stays base32).
   Faking every one of them first matters: a fixed-output derivation whose name does not
   change with the version would otherwise be found in the store under its old hash and
   silently reused.
2. Then, refresher by refresher (hashes.REFRESHERS: source first), one evaluation describes
   every package of the unit; each hash pin's derivation is found under the sub-attribute the
   refresher names (and must carry the fake hash, or it is not ours); the distinct derivations
   are realised in one call and each got-hash is taken only from the mismatch naming its
   derivation. A source shared by many packages or copied into many files is one derivation:
   it is built once. A derivation with no attribute path is measured by building its package
   when it is the only fake hash left on that package's way. When no package evaluates at all,
   the source hash comes from a direct prefetch instead.
3. The got-hashes are written back (one edit per step), and the next refresher runs.
"""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Sequence
from dataclasses import dataclass, replace
from pathlib import Path

from updater import nixhash
from updater.engine.hashes import REFRESHERS
from updater.engine.plan import HashRefresh, UpdatePlan
from updater.engine.settings import EngineSettings
from updater.engine.sourcehash import prefetch_source
from updater.errors import NixError, UnsafeValueError
from updater.logs import get_logger
from updater.nix.fixing import fix_drvs, fix_hash
from updater.nix.inspect import AttrInfo, FetchInfo, inspect_many
from updater.nix.runner import Installable, NixRunner
from updater.nixfile.edit import apply_edits, edit_for
from updater.nixfile.model import Location, Pin, PinKind, ScanResult
from updater.nixfile.repository import scan_repository
from updater.nixhash import HashAlgo, NixHash

_log = get_logger("updater.engine.apply")


@dataclass(frozen=True)
class HashChange:
    location: Location
    kind: PinKind
    attr: str
    old: str
    new: str  # SRI; the file holds it in the pin's own notation
    how: str  # "build of <attr>", "same derivation as ...", "prefetch"
    drv: str | None = None


@dataclass(frozen=True)
class BuildRecord:
    """One hash-fixing build Nix ran."""

    drv: str
    refresher: str
    seconds: float


@dataclass(frozen=True)
class Applied:
    hashes: tuple[HashChange, ...]
    builds: tuple[BuildRecord, ...]
    evaluations: int
    prefetches: int


def fake_for(pin: Pin, salt: bytes) -> str:
    """A placeholder for `pin`, the same for every copy of its literal and different for every
    other value and every update (see nixhash.placeholder: builds of different units then do
    not share an output path, and copies of one fetcher stay one derivation)."""
    seed = hashlib.sha256(salt + (pin.value or "").encode()).digest()
    nonce = int.from_bytes(seed[: nixhash.PLACEHOLDER_NONCE], "big")
    return nixhash.placeholder(pin.algo or HashAlgo.SHA256, nonce).sri


def _is_fake(text: str | None) -> bool:
    if not text:
        return False
    try:
        return nixhash.is_fake(text)
    except (UnsafeValueError, ValueError):  # a malformed declared hash is simply not ours
        return False


def relocate(scan: ScanResult, pin: Pin) -> Pin:
    """The same pin in a newer scan of the same files (values, not lines, changed)."""
    same = [
        p
        for p in scan.pins
        if (p.file, p.line, p.kind, p.attr, p.system)
        == (pin.file, pin.line, pin.kind, pin.attr, pin.system)
    ]
    if not same:
        raise NixError(f"{pin.location}: the {pin.kind} pin is gone after editing")
    return min(same, key=lambda p: abs(p.start - pin.start))


def _matches_source(info: FetchInfo, plan: UpdatePlan) -> bool:
    """A source derivation is the moved one if it names the target's rev (when it names one)."""
    t = plan.target
    if info.rev:
        names = {t.commit, t.tag, f"refs/tags/{t.tag}" if t.tag else None}
        return info.rev in names or (t.tag is not None and t.tag in info.rev)
    return True


class _Applier:
    def __init__(self, root: Path, plan: UpdatePlan, settings: EngineSettings) -> None:
        self.root = root
        self.plan = plan
        self.settings = settings
        self.salt = secrets.token_bytes(16)
        self.changes: list[HashChange] = []
        self.builds: list[BuildRecord] = []
        self.evaluations = 0
        self.prefetches = 0
        self.got_by_drv: dict[str, NixHash] = {}
        self.done: set[Location] = set()  # original locations of refreshed pins
        # Where each of the unit's pins is now: edits change lengths, so spans move. Tracked
        # from the bytes written instead of re-scanning the repository after every step.
        self.current: dict[Location, Pin] = {p.location: p for p in plan.unit.pins}

    def step(self, name: str) -> None:
        self.settings.on_step(self.plan.unit.id, name)

    def scan(self) -> ScanResult:
        return scan_repository(self.root, self.settings.pkgs_dir)

    def now(self, pin: Pin) -> Pin:
        return self.current[pin.location]

    def write(self, changes: Sequence[tuple[Pin, str]]) -> None:
        """Set each (original) pin to its new value, and follow every pin's span."""
        if not changes:
            return
        edits = [edit_for(self.now(pin), value) for pin, value in changes]
        apply_edits(self.root, edits, hash_format=self.settings.hash_format)
        for rel in sorted({pin.file for pin, _ in changes}):
            self._follow(rel, {pin.location for pin, _ in changes if pin.file == rel})

    def _follow(self, rel: str, edited: set[Location]) -> None:
        data = (self.root / rel).read_bytes()
        in_file = sorted(
            (loc for loc, p in self.current.items() if p.file == rel),
            key=lambda loc: self.current[loc].start,
        )
        delta = 0
        for loc in in_file:
            pin = self.current[loc]
            start = pin.start + delta
            if loc not in edited:
                span = replace(pin.location, start=start, end=pin.end + delta)
                self.current[loc] = replace(pin, location=span)
                continue
            # Values never hold a quote: a literal's content ends at the next one; an
            # expression pin (lib.fakeHash) became a quoted string starting where it stood.
            content = start if pin.literal else start + 1
            end = data.index(b'"', content)
            text = data[content:end].decode()
            span = replace(pin.location, start=content, end=end)
            self.current[loc] = replace(pin, location=span, raw=text, value=text, literal=True)
            delta = (end if pin.literal else end + 1) - pin.end  # positions are absolute

    def runner_for(self, system: str | None) -> NixRunner:
        runner = self.settings.runner
        if system is not None and system != self.settings.system:
            return runner.with_options(system=system)
        return runner

    # -- 1 -----------------------------------------------------------------------------------

    def write_new_values(self) -> None:
        self.step("writing new values")
        changes = [(e.pin, e.new) for e in self.plan.edits]
        for r in self.plan.refreshes:
            if not (r.pin.format is not None and r.pin.format.value == "fake"):
                changes.append((r.pin, fake_for(r.pin, self.salt)))
        self.write(changes)

    # -- 2 -----------------------------------------------------------------------------------

    def refresh_all(self) -> None:
        for refresher in REFRESHERS:
            step = [r for r in self.plan.refreshes if r.refresher is refresher]
            systems = sorted({r.pin.system or self.settings.system for r in step})
            for system in systems:
                todo = [r for r in step if (r.pin.system or self.settings.system) == system]
                self.refresh_step(refresher.name, todo, system)

    def refresh_step(self, name: str, todo: list[HashRefresh], system: str) -> None:
        self.step(f"{name} hash" + ("" if system == self.settings.system else f" ({system})"))
        runner = self.runner_for(system)
        packages = sorted({p for r in todo for p in r.packages})
        try:
            infos = inspect_many(runner, self.root, packages, self.settings.mode)
        except NixError:
            infos = dict.fromkeys(packages)
        self.evaluations += 1
        found: dict[int, tuple[str, str]] = {}  # index in todo -> (drv, attr path)
        for i, r in enumerate(todo):
            hit = self._attribute_path(r, infos)
            if hit is not None:
                found[i] = hit
        fresh = sorted({drv for drv, _ in found.values()} - self.got_by_drv.keys())
        if fresh:
            self.step(f"building {len(fresh)} {name} derivation(s)")
            for drv, fixed in fix_drvs(runner, fresh, self.settings.build_locks).items():
                self.got_by_drv[drv] = fixed.got
                self.builds.append(BuildRecord(drv, name, fixed.seconds))
        built: set[str] = set(fresh)
        results: list[tuple[HashRefresh, NixHash, str, str | None]] = []
        for i, r in enumerate(todo):
            if i in found:
                drv, attr = found[i]
                how = f"build of {attr}" if drv in built else f"same derivation as {attr}"
                built.discard(drv)
                results.append((r, self.got_by_drv[drv], how, drv))
        self.write_hashes(results)
        # Measured through their package: one at a time, each written before the next, so the
        # package build meets no other fake hash.
        for i, r in enumerate(todo):
            if i not in found:
                got, how, consumer = self._without_attribute_path(r, infos, runner, name)
                self.write_hashes([(r, got, how, consumer)])

    def _attribute_path(
        self, r: HashRefresh, infos: dict[str, AttrInfo | None]
    ) -> tuple[str, str] | None:
        for package in r.packages:
            info = infos.get(package)
            if info is None:
                continue
            for attr in r.refresher.attrs:
                dep = info.dep(attr)
                if (
                    dep is not None
                    and dep.drv_path
                    and _is_fake(dep.output_hash)
                    and (r.pin.kind is not PinKind.HASH or _matches_source(dep, self.plan))
                ):
                    return dep.drv_path, f"{package}.{attr}"
        return None

    def _without_attribute_path(
        self,
        r: HashRefresh,
        infos: dict[str, AttrInfo | None],
        runner: NixRunner,
        name: str,
    ) -> tuple[NixHash, str, str | None]:
        evaluable = [p for p in r.packages if infos.get(p) is not None]
        if not evaluable:
            if r.pin.kind is PinKind.HASH:
                return self._prefetch(r, runner), "prefetch", None
            raise NixError(
                f"{r.pin.location}: no package using this {r.pin.kind} evaluates "
                f"({', '.join(r.packages)})"
            )
        pending = [x for x in self.plan.refreshes if x.pin.location not in self.done and x is not r]
        for package in evaluable:
            others = [x for x in pending if package in x.packages]
            if others:
                continue
            info = infos[package]
            assert info is not None
            if info.derivation is None or not info.derivation.drv_path:
                continue
            self.step(f"building {package} for its {name} hash")
            # Its fake dependency's output path is not known here: no other build meanwhile.
            with self.settings.build_locks.everything():
                fixed = fix_hash(
                    runner,
                    Installable(self.root, package, self.settings.mode),
                    allow_dependency=True,
                    expected_drv=info.derivation.drv_path,
                )
            self.builds.append(BuildRecord(fixed.drv_path, name, fixed.seconds))
            return fixed.got, f"build of {package} (no attribute path)", fixed.drv_path
        raise NixError(
            f"{r.pin.location}: this {r.pin.kind} has no attribute path and every package using "
            "it has other hashes still to compute; give the derivation an attribute (passthru) "
            "so it can be built alone"
        )

    def _prefetch(self, r: HashRefresh, runner: NixRunner) -> NixHash:
        srcs = [
            p
            for p in self.plan.unit.pins
            if p.kind is PinKind.SRC
            and p.file == r.pin.file
            and p.start <= r.pin.start < p.end
            or p.kind is PinKind.SRC
            and any(u.file == p.file and p.start <= u.start < p.end for u in r.pin.users)
        ]
        if len(srcs) != 1:
            raise NixError(f"{r.pin.location}: no package evaluates and its fetcher is not found")
        src = srcs[0]
        url = None
        if src.fetcher in ("fetchurl", "fetchzip", "fetchTarball"):
            now = self.scan()
            urls = [
                relocate(now, self.now(p))
                for p in self.plan.unit.pins
                if p.kind is PinKind.URL and p.file == src.file and src.start <= p.start < src.end
            ]
            url = (urls[0].resolved or urls[0].value) if urls else None
        self.step("prefetching the source")
        self.prefetches += 1
        return prefetch_source(runner, src, self.plan.target, url)

    # -- 3 -----------------------------------------------------------------------------------

    def write_hashes(self, results: list[tuple[HashRefresh, NixHash, str, str | None]]) -> None:
        changes = []
        for r, got, how, drv in results:
            changes.append((r.pin, got.sri))
            self.changes.append(
                HashChange(r.pin.location, r.pin.kind, r.pin.attr, r.pin.value, got.sri, how, drv)
            )
            self.done.add(r.pin.location)
        self.write(changes)


def apply_plan(root: Path, plan: UpdatePlan, settings: EngineSettings) -> Applied:
    """Write `plan` into the files under `root` and compute every hash it refreshes."""
    applier = _Applier(root, plan, settings)
    applier.write_new_values()
    applier.refresh_all()
    _log.info(
        "unit applied",
        unit=plan.unit.id,
        hashes=len(applier.changes),
        builds=len(applier.builds),
        evaluations=applier.evaluations,
    )
    return Applied(
        tuple(applier.changes), tuple(applier.builds), applier.evaluations, applier.prefetches
    )
