"""The .nix pin model: scan (tree-sitter-nix), resolve, attribute, edit by exact span.

Entry points: `scan_repository` (every pin of a repository), `attribute_by_evaluation` with
`evaluate_packages` (packages from Nix itself), `apply_edits` / `edit_for` (the editor).
"""

from __future__ import annotations

from updater.nixfile.edit import Edit, apply_edits, edit_for, plan_edits
from updater.nixfile.evaluate import EvaluatedPackage, attribute_by_evaluation, evaluate_packages
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
from updater.nixfile.parse import check_parse
from updater.nixfile.repository import scan_repository
from updater.nixfile.validate import validate_value

__all__ = [
    "Directive",
    "Edit",
    "EvaluatedPackage",
    "HashFormat",
    "Location",
    "PackageRef",
    "Pin",
    "PinKind",
    "ScanResult",
    "ScanWarning",
    "SourceGroup",
    "apply_edits",
    "attribute_by_evaluation",
    "check_parse",
    "edit_for",
    "evaluate_packages",
    "plan_edits",
    "scan_repository",
    "validate_value",
]
