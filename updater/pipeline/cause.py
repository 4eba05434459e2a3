"""A shared cause of the environment: what makes every unit fail alike, said once.

Nix that cannot build, a forge host that does not answer, a token the forge refuses: each is
noticed at its first failure (the HTTP layer's circuit, the Nix probe), the units it would fail
are not attempted, and the run prints one line ending with where to look next.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Literal

DOCTOR_HINT = "Run `updater doctor`."

CauseKind = Literal["nix", "host", "token"]


@dataclass(frozen=True)
class Cause:
    kind: CauseKind
    # What is wrong, in a few words, naming the host or quoting Nix's own error line.
    text: str
    host: str | None = None

    def line(self) -> str:
        return f"{self.text.rstrip('.')}. {DOCTOR_HINT}"

    def concerns(self, error: str | None) -> bool:
        """Whether a unit's error comes from this cause (names its host or repeats its text)."""
        if not error:
            return False
        if self.host is not None:
            return self.host in error
        return self.text in error


def nix_cannot_build(error_line: str) -> Cause:
    return Cause("nix", f"Nix cannot build: {error_line}")


def circuit_causes(unreachable: dict[str, str], refused: Iterable[str]) -> tuple[Cause, ...]:
    """The HTTP layer's open circuits as causes, refused tokens first."""
    causes = [
        Cause("token", f"{host} rejected the token (HTTP 401): check GITHUB_TOKEN", host)
        for host in sorted(refused)
    ]
    causes += [
        Cause("host", f"{host} is unreachable ({why})", host)
        for host, why in sorted(unreachable.items())
        if host not in refused
    ]
    return tuple(causes)
