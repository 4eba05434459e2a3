"""Every `[packages.X]` section of the configuration names something the repository has.

A section for a package that is not there (a typo, a package since removed) would be ignored
in silence, and the policy it holds with it: refused instead, naming the closest names.
"""

from __future__ import annotations

from pathlib import Path

from updater.config import Config
from updater.engine.units import closest_names
from updater.errors import ConfigError
from updater.nixfile.model import ScanResult


def known_names(scan: ScanResult) -> frozenset[str]:
    """What a `[packages.X]` key may name: a package, or a source group's id."""
    groups = scan.groups()
    names = {p for g in groups for p in g.packages} | {g.id for g in groups}
    return frozenset(names | {p.name for p in scan.packages})


def unknown_sections(scan: ScanResult, config: Config) -> list[tuple[str, list[str]]]:
    """(key, closest known names) of every `[packages.X]` naming nothing the scan found."""
    known = known_names(scan)
    return [(key, closest_names(key, known)) for key in sorted(config.packages) if key not in known]


def check_configured_packages(scan: ScanResult, config: Config, path: Path | None) -> None:
    """ConfigError (exit 2) naming the file, the first unknown section and its closest names."""
    unknown = unknown_sections(scan, config)
    if not unknown:
        return
    key, close = unknown[0]
    hint = f"; did you mean {', '.join(close)}?" if close else ""
    more = f" [and {len(unknown) - 1} more]" if len(unknown) > 1 else ""
    raise ConfigError(
        f"{path or 'configuration'}: [packages.{key}]: no package or source group of that "
        f"name in {scan.repo}{hint}{more} (`updater scan` lists them)"
    )
