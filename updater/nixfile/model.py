"""The pin model: what `scan` finds in .nix files and what the engine plans edits against.

Every type is a frozen dataclass; a scan produces new values, nothing is mutated afterwards.
Spans are byte offsets into the file as stored on disk (UTF-8, CRLF kept), covering the
CONTENT of a string literal (inside the quotes), so an edit replaces exactly that content.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum

from updater.nixhash import HashAlgo, HashFormat

__all__ = [
    "Directive",
    "HashAlgo",
    "HashFormat",
    "Location",
    "ManagedSource",
    "PackageRef",
    "Pin",
    "PinKind",
    "ScanError",
    "ScanResult",
    "ScanWarning",
    "SourceGroup",
]


class PinKind(StrEnum):
    """What a pinned value is; the values are the jsonl `kind` field."""

    SRC = "src"
    REV = "rev"
    TAG = "tag"
    HASH = "hash"
    VERSION = "version"
    VENDOR_HASH = "vendorHash"
    NPM_DEPS_HASH = "npmDepsHash"
    CARGO_HASH = "cargoHash"
    PNPM_DEPS_HASH = "pnpmDepsHash"
    OUTPUT_HASH = "outputHash"
    URL = "url"

    @property
    def is_hash(self) -> bool:
        return self in _HASH_KINDS

    @property
    def is_dependency_hash(self) -> bool:
        return self in _HASH_KINDS and self is not PinKind.HASH


_HASH_KINDS = frozenset(
    {
        PinKind.HASH,
        PinKind.VENDOR_HASH,
        PinKind.NPM_DEPS_HASH,
        PinKind.CARGO_HASH,
        PinKind.PNPM_DEPS_HASH,
        PinKind.OUTPUT_HASH,
    }
)


@dataclass(frozen=True, order=True)
class Location:
    """A place in a file: relative path, 1-based line, byte span [start, end)."""

    file: str
    line: int
    start: int
    end: int

    def __str__(self) -> str:
        return f"{self.file}:{self.line}"


@dataclass(frozen=True)
class Directive:
    """One `# updater: <name> [argument]` comment that applies to a pin."""

    name: str
    argument: str
    file: str
    line: int


@dataclass(frozen=True)
class Pin:
    """One pinned value at one exact place.

    `literal` is True when the span is the content of a plain string literal (editable in
    place); otherwise `value` is the expression text and the span covers the expression.
    `users` are the places that use a let-bound (or argument-passed) value: the pin itself is
    the definition. `value` is the logical value (`"sha256:" + "x"` reads `sha256:x`), `raw`
    the exact text at the span. `copies` are the other pins holding the same literal for the same upstream
    source: they must move together. `depends_on` names the pins a derived value follows
    (`rev = "v${version}"` -> the version literal); edit those, not this one.
    """

    location: Location
    kind: PinKind
    value: str
    attr: str
    literal: bool
    group: str
    format: HashFormat | None = None
    algo: HashAlgo | None = None
    fetcher: str | None = None
    forge: str | None = None
    domain: str | None = None
    owner: str | None = None
    repo: str | None = None
    url: str | None = None
    system: str | None = None
    packages: tuple[str, ...] = ()
    aliases: tuple[str, ...] = ()  # other exported names that also build them (aliases, joins)
    floating: bool = False
    resolved: str | None = None
    directives: tuple[Directive, ...] = ()
    users: tuple[Location, ...] = ()
    copies: tuple[Location, ...] = ()
    depends_on: tuple[Location, ...] = ()
    raw: str = ""  # the exact text at the span: what an Edit of this pin expects there
    managed_by: str | None = None  # "nvfetcher": the tool that writes this file, never hand-edited
    # Found by its name only: in a call the bot does not know (its name), or in plain data ("")
    unknown_call: str | None = None

    @property
    def file(self) -> str:
        return self.location.file

    @property
    def line(self) -> int:
        return self.location.line

    @property
    def start(self) -> int:
        return self.location.start

    @property
    def end(self) -> int:
        return self.location.end

    @property
    def skipped(self) -> bool:
        return self.managed_by is not None or any(d.name == "skip" for d in self.directives)

    @property
    def refresh(self) -> str:
        """Whether the bot can refresh this hash and how, or why not (empty for non-hashes)."""
        if not self.kind.is_hash:
            return ""
        if self.managed_by is not None:
            return f"no: managed by {self.managed_by}"
        if any(d.name == "skip" for d in self.directives):
            return "no: skipped by a directive"
        if not self.literal and self.format is not HashFormat.FAKE:
            return "no: not a literal (an expression)"
        if self.format is HashFormat.MALFORMED:
            return "yes: malformed, replaced by the hash Nix computes"
        if self.unknown_call == "":
            return "no: in plain data; the bot does not know what builds it"
        if self.unknown_call is not None:
            return f"no: in {self.unknown_call}, a call the bot has no refresher for"
        if self.system is not None:
            return f"yes: hash-fixing build on {self.system} (needs a builder for it)"
        if self.kind is PinKind.HASH:
            return "yes: source hash (fixed-output build or prefetch)"
        return f"yes: {self.kind.value} (hash-fixing build)"


@dataclass(frozen=True)
class SourceGroup:
    """One upstream source and every pin that follows it, across files."""

    id: str
    forge: str | None
    domain: str | None
    owner: str | None
    repo: str | None
    url: str | None
    pins: tuple[Pin, ...]
    packages: tuple[str, ...]

    def pins_of(self, kind: PinKind) -> tuple[Pin, ...]:
        return tuple(p for p in self.pins if p.kind is kind)


@dataclass(frozen=True)
class PackageRef:
    """An exported package attribute and the file that defines it."""

    name: str
    file: str
    line: int
    key: str
    organization: str | None = None
    aliases: tuple[str, ...] = ()


@dataclass(frozen=True)
class ManagedSource:
    """A source another tool pins (nvfetcher, npins): reported with what to run, not edited."""

    tool: str
    name: str
    file: str
    line: int
    packages: tuple[str, ...] = ()
    command: str = ""  # what updates just this entry


@dataclass(frozen=True)
class ScanWarning:
    """Something the scan could not read fully (parse error, unknown directive)."""

    file: str
    line: int
    message: str

    def __str__(self) -> str:
        return f"{self.file}:{self.line}: {self.message}"


@dataclass(frozen=True)
class ScanError:
    """A real syntax error: the file is not valid Nix (`nix-instantiate --parse` agrees)."""

    file: str
    line: int
    column: int
    message: str

    def __str__(self) -> str:
        return f"{self.file}:{self.line}:{self.column}: {self.message}"


@dataclass(frozen=True)
class ScanResult:
    """Everything one scan found in a repository."""

    repo: str
    pins: tuple[Pin, ...]
    packages: tuple[PackageRef, ...] = ()
    warnings: tuple[ScanWarning, ...] = ()
    files: tuple[str, ...] = field(default=())
    errors: tuple[ScanError, ...] = ()
    managed: tuple[ManagedSource, ...] = ()

    def groups(self) -> tuple[SourceGroup, ...]:
        """Pins grouped by upstream source, in order of first appearance."""
        order: dict[str, list[Pin]] = {}
        for pin in self.pins:
            order.setdefault(pin.group, []).append(pin)
        groups = []
        for gid, pins in order.items():
            src = next((p for p in pins if p.kind is PinKind.SRC), pins[0])
            packages = sorted({name for p in pins for name in p.packages})
            groups.append(
                SourceGroup(
                    id=gid,
                    forge=src.forge,
                    domain=src.domain,
                    owner=src.owner,
                    repo=src.repo,
                    url=src.url,
                    pins=tuple(pins),
                    packages=tuple(packages),
                )
            )
        return tuple(groups)

    def pins_in(self, file: str) -> tuple[Pin, ...]:
        return tuple(p for p in self.pins if p.file == file)

    def pin_at(self, file: str, line: int, kind: PinKind | None = None) -> Pin | None:
        for pin in self.pins:
            if pin.file == file and pin.line == line and (kind is None or pin.kind is kind):
                return pin
        return None
