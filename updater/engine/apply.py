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
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path

from updater import nixhash
from updater.engine.fodsweep import Identity, baseline, identities, marker, sweep
from updater.engine.hashes import REFRESHERS
from updater.engine.lockcopy import LockCopy, proven_copies, refresh_lock_copies
from updater.engine.plan import HashRefresh, UpdatePlan
from updater.engine.settings import EngineSettings
from updater.engine.sourcehash import prefetch_source
from updater.errors import NixError, UnsafeValueError, UpdaterError
from updater.logs import get_logger
from updater.nix import prefetch
from updater.nix.closure import Closure, Fod, closure_of
from updater.nix.fixing import Fixed, fix_drvs, fix_hash
from updater.nix.inspect import (
    AttrInfo,
    FetchInfo,
    drv_paths,
    inspect_many,
    inspect_package_file,
)
from updater.nix.runner import Installable, NixRunner
from updater.nixfile.edit import apply_edits, edit_for
from updater.nixfile.literals import BindingEdit, change_binding, hash_literals
from updater.nixfile.model import Location, Pin, PinKind, ScanResult
from updater.nixfile.repository import scan_repository
from updater.nixhash import HashAlgo, HashFormat, NixHash

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
    system: str | None = None  # the system of a per-platform entry


@dataclass(frozen=True)
class BuildRecord:
    """One hash-fixing build Nix ran."""

    drv: str
    refresher: str
    seconds: float


@dataclass(frozen=True)
class Found:
    """A hash literal the scan did not tie to the unit, refreshed because evaluation showed a
    changed fixed-output derivation takes its hash from it."""

    original: Pin
    final: Pin  # where it is in the written file


@dataclass(frozen=True)
class Restructured:
    """Text added or removed around the pins (an outputHashes entry): where it is in the
    written file, and what stood there before (verification puts it back to compare)."""

    file: str
    start: int
    end: int
    original: str


@dataclass(frozen=True)
class Applied:
    hashes: tuple[HashChange, ...]
    builds: tuple[BuildRecord, ...]
    evaluations: int
    prefetches: int
    # What verification compares the closure with: the derivations before any edit, and the
    # outputs this unit built (by what names their paths).
    base: frozenset[str] = frozenset()
    produced: frozenset[Identity] = frozenset()
    found: tuple[Found, ...] = ()
    restructured: tuple[Restructured, ...] = ()
    # hashes in entries this unit added or removed (the entry is compared as a whole)
    added: frozenset[Location] = frozenset()
    # The line each of the unit's pins is on now, for those an added or removed entry moved.
    lines: Mapping[Location, int] = field(default_factory=dict)
    # The lock files copied into the repository, refreshed from the new source.
    locks: tuple[LockCopy, ...] = ()


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
        self.got_by_url: dict[tuple[str, bool], NixHash] = {}  # (URL, unpacked) -> hash
        self.found: list[Pin] = []
        self.done: set[Location] = set()  # original locations of refreshed pins
        # Where each of the unit's pins is now: edits change lengths, so spans move. Tracked
        # from the bytes written instead of re-scanning the repository after every step.
        self.current: dict[Location, Pin] = {p.location: p for p in plan.unit.pins}
        # Every other hash literal of the files the update may change: what the sweep
        # (fodsweep.py) may find a changed fixed-output derivation's hash in.
        taken = {(p.file, p.start, p.end) for p in plan.unit.pins}
        self.candidates = [
            pin
            for rel in plan.files
            for pin in hash_literals(root, rel)
            if (pin.file, pin.start, pin.end) not in taken
        ]
        self.current.update((p.location, p) for p in self.candidates)
        self.installables = [Installable(root, p, settings.mode) for p in plan.attributes]
        self.locks: tuple[LockCopy, ...] = ()
        self.proven_locks: frozenset[str] = frozenset()
        self.base: frozenset[str] = frozenset()
        # location key of a tracked pin -> (chars before it, chars after it, text it replaced)
        # for inserted entries; zero-width points where an entry was removed
        self.inserted: dict[Location, tuple[int, int, str]] = {}
        self.removed: dict[Location, str] = {}
        self.dropped: set[Location] = set()

    def restructure(self, kind: str, key: str) -> bool:
        """Add (with a fake hash) or remove the cargoLock.outputHashes entry `key`, in the one
        file of the update that has an outputHashes set."""
        files = [r for r in self.plan.files if b"outputHashes" in (self.root / r).read_bytes()]
        if len(files) != 1:
            return False
        self.step(f"{'adding' if kind == 'add' else 'removing'} outputHashes entry {key}")
        value = NixHash(HashAlgo.SHA256, bytes(32)).sri if kind == "add" else None
        try:
            edit = change_binding(self.root, files[0], "outputHashes", key, value)
        except UpdaterError:
            return False
        gone = [
            c
            for c in self.candidates
            if c.file == edit.file
            and edit.start <= self.now(c).start < edit.start + len(edit.removed)
        ]
        for c in gone:
            why = "removed: no git dependency of the lock file is named so any more"
            self.changes.append(HashChange(c.location, c.kind, c.attr, c.value, "", why))
            self.dropped.add(c.location)
        original = self._shift(edit)
        n = len(self.inserted) + len(self.removed) + 1
        if edit.literal is not None:
            start, end = edit.literal
            loc = Location(edit.file, edit.line, start, end)
            pin = Pin(
                loc,
                PinKind.OUTPUT_HASH,
                value or "",
                f'"{key}"',
                True,
                "",
                format=HashFormat.SRI,
                algo=HashAlgo.SHA256,
                raw=value or "",
            )
            self.current[loc] = pin
            self.candidates.append(pin)
            after = edit.start + len(edit.inserted) - end
            self.inserted[loc] = (start - edit.start, after, original)
        else:
            point = Location(edit.file, 0, -n, -n)  # a key no real pin has
            where = Location(edit.file, 0, edit.start, edit.start)
            self.current[point] = Pin(where, PinKind.OUTPUT_HASH, "", "", True, "")
            self.removed[point] = original
        return True

    def _shift(self, edit: BindingEdit) -> str:
        """Follow every tracked pin of the file across an added or removed entry; return what
        the replaced text was before this unit (earlier removals inside it put back)."""
        old_end = edit.start + len(edit.removed)
        original = edit.removed
        inner = sorted(
            (p.start, loc)
            for loc, p in self.current.items()
            if loc in self.removed and p.file == edit.file and edit.start <= p.start <= old_end
        )
        for start, loc in reversed(inner):
            at = start - edit.start
            original = original[:at] + self.removed.pop(loc) + original[at:]
            del self.current[loc]
        if any(
            self.current[loc].file == edit.file and edit.start <= self.current[loc].start < old_end
            for loc in self.inserted
        ):
            raise NixError(f"{edit.file}: an outputHashes entry added by this update is removed")
        for loc, pin in list(self.current.items()):
            if pin.file != edit.file:
                continue
            if pin.start >= old_end and not (pin.start == pin.end == old_end == edit.start):
                span = replace(
                    pin.location,
                    line=pin.line + edit.lines,
                    start=pin.start + edit.delta,
                    end=pin.end + edit.delta,
                )
                self.current[loc] = replace(pin, location=span)
            elif pin.start >= edit.start and pin.end <= old_end:
                if pin not in self.candidates and loc not in self.removed:
                    raise NixError(f"{pin.location}: a pin of the unit is in the removed entry")
                self.candidates[:] = [c for c in self.candidates if c.location != loc]
                del self.current[loc]
            elif pin.start < edit.start and pin.end >= old_end:
                self.current[loc] = replace(
                    pin, location=replace(pin.location, end=pin.end + edit.delta)
                )
        return original

    def restructured(self) -> tuple[Restructured, ...]:
        out = []
        for loc, (before, after, original) in self.inserted.items():
            pin = self.current[loc]
            out.append(Restructured(pin.file, pin.start - before, pin.end + after, original))
        for loc, original in self.removed.items():
            pin = self.current[loc]
            out.append(Restructured(pin.file, pin.start, pin.start, original))
        return tuple(out)

    @property
    def runner(self) -> NixRunner:
        return self.settings.runner

    def on_step(self, name: str) -> None:
        self.step(name)

    def fix(self, drvs: Sequence[str], markers: frozenset[NixHash]) -> dict[str, Fixed]:
        fixed = fix_drvs(self.runner, drvs, self.settings.build_locks, markers)
        for drv, f in fixed.items():
            self.got_by_drv[drv] = f.got
            self.builds.append(BuildRecord(drv, "found by evaluation", f.seconds))
        return fixed

    def record_fixed(self, pin: Pin, fod: Fod, fixed: Fixed) -> None:
        self.changes.append(
            HashChange(
                pin.location,
                pin.kind,
                pin.attr,
                pin.value,
                fixed.got.sri,
                f"build of {fod.name} (found by evaluation)",
                fixed.drv,
            )
        )
        self.found.append(pin)

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
            if refresher is not REFRESHERS[0] and self.plan.lock_copies and not self.locks:
                # After the source, before every hash computed from its lock.
                self.step("refreshing the lock files copied into the repository")
                self.locks = refresh_lock_copies(
                    self.root, self.plan, self.settings, self.proven_locks
                )
            step = [r for r in self.plan.refreshes if r.refresher is refresher]
            systems = sorted({r.pin.system or self.settings.system for r in step})
            for system in systems:
                todo = [r for r in step if (r.pin.system or self.settings.system) == system]
                fetched = [r for r in todo if r.by_url]
                if fetched:
                    self.refresh_by_url(fetched, system)
                built = [r for r in todo if not r.by_url]
                if built:
                    self.refresh_step(refresher.name, built, system)

    def _source_for(
        self, r: HashRefresh, infos: dict[str, AttrInfo | None], runner: NixRunner, system: str
    ) -> FetchInfo:
        """The source whose hash `r` is, as `system` evaluates it: in the repository, or, when
        that does not evaluate for the system, the pin's file called by nixpkgs' callPackage."""

        def ours(info: AttrInfo | None) -> FetchInfo | None:
            dep = info.dep("src") if info is not None else None
            return dep if dep is not None and _is_fake(dep.output_hash) and dep.urls else None

        for p in r.packages:
            found = ours(infos.get(p))
            if found is not None:
                return found
        try:
            found = ours(inspect_package_file(runner, self.root / r.pin.file))
        except NixError:
            found = None
        self.evaluations += 1
        if found is None:
            raise NixError(
                f"{r.pin.location}: no package evaluates for {system} with this hash as its "
                "source's, so the URL to fetch is unknown"
            )
        return found

    def refresh_by_url(self, todo: list[HashRefresh], system: str) -> None:
        """Another system's entries of a source fetched by URL: that system's evaluation names
        the URL, this machine downloads it the fetcher's way (the hash does not depend on who
        fetches). Each distinct URL is fetched once."""
        self.step(f"fetching the source for {system}")
        runner = self.runner_for(system)
        packages = sorted({p for r in todo for p in r.packages})
        try:
            infos = inspect_many(runner, self.root, packages, self.settings.mode)
        except NixError:
            infos = {}
        self.evaluations += 1
        rules = prefetch.insteadof_rules(self.settings.runner)
        got_by_url = self.got_by_url
        results: list[tuple[HashRefresh, NixHash, str, str | None]] = []
        for r in todo:
            src = self._source_for(r, infos, runner, system)
            assert src.urls  # _source_for returns sources with URLs only
            url, unpack = src.urls[0], src.output_hash_mode == "recursive"
            if (url, unpack) not in got_by_url:
                routed = prefetch.rewrite(url, rules)
                fetch = prefetch.prefetch_archive if unpack else prefetch.prefetch_file
                got_by_url[(url, unpack)] = fetch(self.settings.runner, routed)
            results.append((r, got_by_url[(url, unpack)], f"download of {url} ({system})", None))
        self.write_hashes(results)

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
        rest = [r for i, r in enumerate(todo) if i not in found]
        if rest and system == self.settings.system:
            rest = self._by_marker(rest, name)
        # Measured through their package: one at a time, each written before the next, so the
        # package build meets no other fake hash.
        for r in rest:
            got, how, consumer = self._without_attribute_path(r, infos, runner, name)
            self.write_hashes([(r, got, how, consumer)])

    def _by_marker(self, todo: list[HashRefresh], name: str) -> list[HashRefresh]:
        """Hashes with no attribute path, found in the packages' closure by marking (each pin
        gets a marker hash of its own; one evaluation shows which derivation carries which):
        a vendor staging derivation, a yarn cache inside a derivation, a hand-written FOD.
        Each is realised alone unless it is built from a derivation whose hash is still fake.
        Returns the pins this did not refresh, their fake hash back in place."""
        markers = {marker(i, r.pin.algo or HashAlgo.SHA256): r for i, r in enumerate(todo)}
        self.write([(r.pin, m.sri) for m, r in markers.items()])
        packages = sorted({p for r in todo for p in r.packages})
        # A nix-update-script `--subpackage`'s FODs are no input of the package: marked too.
        attrs = packages + [
            s for s in self.plan.subpackages if any(s.startswith(f"{p}.") for p in packages)
        ]
        self.evaluations += 1
        try:
            drvs = drv_paths(
                self.runner, [Installable(self.root, a, self.settings.mode) for a in attrs]
            )
            closure = closure_of(self.runner, drvs)
        except NixError:
            closure = Closure(frozenset(), {}, {})
        carried = {f.drv: markers[f.hash] for f in closure.fods.values() if f.hash in markers}
        blocked = {d for d, f in closure.fods.items() if f.hash.is_fake or f.hash in markers}
        ready = sorted(d for d in carried if not closure.fod_inputs(d) & blocked)
        if ready:
            self.step(f"building {len(ready)} {name} derivation(s) found by evaluation")
            fixed = fix_drvs(self.runner, ready, self.settings.build_locks, frozenset(markers))
            results: list[tuple[HashRefresh, NixHash, str, str | None]] = []
            for drv in ready:
                self.got_by_drv[drv] = fixed[drv].got
                self.builds.append(BuildRecord(drv, name, fixed[drv].seconds))
                how = f"build of {closure.fods[drv].name} (found by evaluation)"
                results.append((carried[drv], fixed[drv].got, how, drv))
            self.write_hashes(results)
        done = {carried[d].pin.location for d in ready}
        rest = [r for r in todo if r.pin.location not in done]
        self.write([(r.pin, fake_for(r.pin, self.salt)) for r in rest])
        return rest

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
                try:
                    fixed = fix_hash(
                        runner,
                        Installable(self.root, package, self.settings.mode),
                        allow_dependency=True,
                        expected_drv=info.derivation.drv_path,
                    )
                except NixError as exc:
                    if "built successfully" not in str(exc):
                        raise
                    # The fake hash is in no derivation the package's build needs.
                    raise NixError(
                        f"{r.pin.location}: this {r.pin.kind} is no fixed-output derivation "
                        f"{package} needs (a passthru sub-package? nix-update-script's "
                        "`--subpackage NAME` ties it to the package)"
                    ) from None
            self.builds.append(BuildRecord(fixed.drv_path, name, fixed.seconds))
            self.got_by_drv[fixed.drv_path] = fixed.got
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
                HashChange(
                    r.pin.location,
                    r.pin.kind,
                    r.pin.attr,
                    r.pin.value,
                    got.sri,
                    how,
                    drv,
                    r.pin.system,
                )
            )
            self.done.add(r.pin.location)
        self.write(changes)


def apply_plan(root: Path, plan: UpdatePlan, settings: EngineSettings) -> Applied:
    """Write `plan` into the files under `root` and compute every hash it refreshes, then every
    hash of a changed fixed-output derivation the plan did not name (fodsweep.py)."""
    applier = _Applier(root, plan, settings)
    applier.step("evaluating the packages as they are")
    base = baseline(settings.runner, applier.installables)
    if plan.lock_copies:
        applier.step("reading the lock files copied into the repository")
        applier.proven_locks = proven_copies(root, plan, settings)
    applier.write_new_values()
    applier.refresh_all()
    produced = identities(settings.runner, applier.got_by_drv)
    sweep(applier, applier.installables, base, produced, applier.candidates)
    produced = identities(settings.runner, applier.got_by_drv)
    _log.info(
        "unit applied",
        unit=plan.unit.id,
        hashes=len(applier.changes),
        builds=len(applier.builds),
        evaluations=applier.evaluations,
    )
    return Applied(
        tuple(applier.changes),
        tuple(applier.builds),
        applier.evaluations,
        applier.prefetches,
        base=base,
        produced=produced,
        found=tuple(
            Found(p, applier.now(p)) for p in applier.found if p.location not in applier.inserted
        ),
        restructured=applier.restructured(),
        locks=applier.locks,
        added=frozenset(applier.inserted) | frozenset(applier.dropped),
        lines={
            p.location: applier.now(p).line for p in plan.unit.pins if applier.now(p).line != p.line
        },
    )
