"""Commit messages and branch names."""

from __future__ import annotations

import re

from updater.engine.plan import UpdatePlan

_UNSAFE = re.compile(r"[^A-Za-z0-9._-]+")


def branch_name(plan: UpdatePlan, prefix: str = "updater/") -> str:
    """`updater/<package>`, or `updater/<upstream repository>` for several packages."""
    name = _UNSAFE.sub("-", plan.unit.label.lstrip("@")).strip("-.") or "update"
    return f"{prefix}{name}"


def commit_message(plan: UpdatePlan) -> str:
    """`<package>: <old> -> <new>`; several packages: the group named, the packages listed."""
    unit = plan.unit
    change = f"{plan.old_label} -> {plan.new_label}"
    lines: list[str]
    if len(unit.packages) == 1:
        lines = [f"{unit.packages[0]}: {change}"]
    else:
        lines = [f"{unit.label}: {change}", "", f"Source {unit.group}, used by:"]
        lines += [f"- {name}" for name in unit.packages]
    target = plan.target
    details = []
    if target.tag:
        details.append(f"tag: {target.tag}")
    if target.commit:
        details.append(f"commit: {target.commit}")
    if plan.not_refreshed:
        details.append(
            "not refreshed: "
            + ", ".join(f"{n.pin.location} ({n.pin.system})" for n in plan.not_refreshed)
        )
    if details:
        lines += ["", *details]
    return "\n".join(lines) + "\n"
