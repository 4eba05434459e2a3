"""The ordered registry of hash refreshers: which kind of hash is computed by building what.

The order is the order of dependence, and it matters: every dependency derivation (Go modules,
npm/cargo/pnpm deps, hand-written fixed-output derivations) is built FROM the source. While the
source hash is still fake, building `goModules` fails in the source, not in `goModules`, and the
got-hash Nix prints then belongs to the wrong derivation. So the source comes first, then the
dependency FODs that have an attribute path, and last the hand-written FODs measured by building
their consumer: that build must meet no other fake hash on its way, or the first mismatch it
hits could be another one's.
"""

from __future__ import annotations

from dataclasses import dataclass

from updater.nixfile.model import Pin, PinKind


@dataclass(frozen=True)
class Refresher:
    """How one kind of hash pin is recomputed."""

    name: str
    kind: PinKind
    # Sub-attributes of a package whose build yields this hash, tried in order. Empty: the
    # derivation has no attribute path; the package itself is built with this hash faked.
    attrs: tuple[str, ...]


REFRESHERS: tuple[Refresher, ...] = (
    Refresher("source", PinKind.HASH, ("src",)),
    Refresher("Go modules", PinKind.VENDOR_HASH, ("goModules",)),
    Refresher("npm deps", PinKind.NPM_DEPS_HASH, ("npmDeps",)),
    Refresher("cargo deps", PinKind.CARGO_HASH, ("cargoDeps",)),
    Refresher("pnpm deps", PinKind.PNPM_DEPS_HASH, ("pnpmDeps",)),
    # yarn caches are sometimes exposed under these names; otherwise built through the package.
    Refresher("fixed-output derivation", PinKind.OUTPUT_HASH, ("yarnOfflineCache", "offlineCache")),
)

_BY_KIND = {r.kind: r for r in REFRESHERS}


def refresher_of(pin: Pin) -> Refresher:
    """The refresher of a hash pin (a dependency fetcher's `hash` has its dependency kind)."""
    try:
        return _BY_KIND[pin.kind]
    except KeyError:
        raise ValueError(f"{pin.location}: {pin.kind} is not a hash") from None


def order_of(pin: Pin) -> int:
    return REFRESHERS.index(refresher_of(pin))
