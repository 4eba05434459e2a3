"""One row of `updater doctor`: a check, its verdict and what it found."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

# ok: passes; warn: works, but worth knowing; fail: the bot cannot work so; skip: not checked
# (it depends on something that failed, or needs --online).
Status = Literal["ok", "warn", "fail", "skip"]


@dataclass(frozen=True)
class CheckResult:
    group: str  # nix, git, repository, configuration, credentials, state
    name: str
    status: Status
    detail: str
    # What to do about a failure or warning, when there is something to do.
    hint: str = ""

    def record(self) -> dict[str, str]:
        return {
            "group": self.group,
            "check": self.name,
            "status": self.status,
            "detail": self.detail,
            "hint": self.hint,
        }


def passed(results: Sequence[CheckResult]) -> bool:
    """All checks pass: nothing failed (warnings and skipped checks do not fail the doctor)."""
    return not any(r.status == "fail" for r in results)
