"""The .nix pin model: scan (tree-sitter-nix), resolve, attribute statically, edit by exact span.

Entry points: `scan_repository` (every pin of a repository), `apply_edits` / `edit_for` (the
editor). Nothing here runs Nix: what Nix says of a file or a package is asked in updater/nix/.
"""

from __future__ import annotations

from updater.nixfile.edit import Edit, apply_edits, edit_for, plan_edits
from updater.nixfile.model import (
    Directive,
    HashFormat,
    Location,
    PackageRef,
    Pin,
    PinKind,
    ScanResult,
    ScanWarning,
    SourceGroup,
)
from updater.nixfile.repository import scan_repository
from updater.nixfile.validate import validate_value

__all__ = [
    "Directive",
    "Edit",
    "HashFormat",
    "Location",
    "PackageRef",
    "Pin",
    "PinKind",
    "ScanResult",
    "ScanWarning",
    "SourceGroup",
    "apply_edits",
    "edit_for",
    "plan_edits",
    "scan_repository",
    "validate_value",
]
