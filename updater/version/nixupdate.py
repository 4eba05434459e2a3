"""`nix-update-script { extraArgs = [ ... ]; }` read as the package's update policy.

nix-update's own flags say how the maintainer wants the package followed; the bot honours
them natively instead of running nix-update: `--version-regex R` (group 1 is the version),
`--version=branch[=NAME]` and `--version=unstable` (follow a branch's commits),
`--version=stable` (no prereleases), `--version=skip` (only hashes: the bot leaves the
package alone), `--subpackage NAME` (sub-attributes whose hashes move too). Plain values in,
plain values out; other flags are kept as `ignored`.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal


@dataclass(frozen=True)
class NixUpdateArgs:
    version_regex: str | None = None
    mode: Literal["release", "branch"] | None = None
    branch: str | None = None
    prereleases: bool | None = None
    skip: bool = False
    subpackages: tuple[str, ...] = ()
    ignored: tuple[str, ...] = ()


_WITH_VALUE = ("--version-regex", "--subpackage", "--version", "--url", "--override-filename")


def _pairs(args: Sequence[str]) -> list[tuple[str, str | None]]:
    out: list[tuple[str, str | None]] = []
    i = 0
    while i < len(args):
        arg = args[i]
        if "=" in arg and arg.startswith("--"):
            flag, value = arg.split("=", 1)
            out.append((flag, value))
        elif arg in _WITH_VALUE and i + 1 < len(args):
            out.append((arg, args[i + 1]))
            i += 1
        else:
            out.append((arg, None))
        i += 1
    return out


def parse_nix_update_args(args: Sequence[str]) -> NixUpdateArgs:
    """nix-update's extraArgs -> what the policy takes from them."""
    regex = mode = branch = prereleases = None
    skip = False
    subpackages: list[str] = []
    ignored: list[str] = []
    for flag, value in _pairs(args):
        if flag == "--version-regex" and value:
            try:
                re.compile(value)
            except re.error:
                ignored.append(f"{flag}={value}")
                continue
            regex = value
        elif flag == "--version" and value is not None:
            kind, _, name = value.partition("=")
            if kind in ("branch", "unstable"):
                mode, branch = "branch", name or None
            elif kind == "stable":
                prereleases = False
            elif kind == "skip":
                skip = True
            else:
                ignored.append(f"{flag}={value}")
        elif flag == "--subpackage" and value:
            subpackages.append(value)
        else:
            ignored.append(flag if value is None else f"{flag}={value}")
    return NixUpdateArgs(
        version_regex=regex,
        mode=mode,  # type: ignore[arg-type]
        branch=branch,
        prereleases=prereleases,
        skip=skip,
        subpackages=tuple(subpackages),
        ignored=tuple(ignored),
    )
