"""A package's `passthru.updateScript`: read it the way nixpkgs' update.nix does, and run it.

`describe` evaluates `update_script.nix` (the command, its derivations, the UPDATE_NIX_*
values) and realises the script's derivations; `run` starts it through the runner: its
allow-listed environment (no token of the bot reaches it) plus the UPDATE_NIX_* variables,
in the given directory, with a timeout that kills its whole process group.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

from pydantic import BaseModel, ConfigDict, ValidationError
from pydantic.alias_generators import to_camel

from updater.errors import NixError
from updater.nix.inspect import split_attr_path
from updater.nix.runner import NixResult, NixRunner


class ScriptInfo(BaseModel):
    """update_script.nix's record."""

    model_config = ConfigDict(frozen=True, extra="forbid", alias_generator=to_camel)

    found: bool
    command: list[str]
    drvs: list[str]
    supported_features: list[str]
    attr_path: str
    name: str | None
    pname: str | None
    version: str | None
    position: str | None


def _nix_file() -> Path:
    return Path(str(resources.files("updater.nix").joinpath("update_script.nix")))


def describe(runner: NixRunner, repo: Path, attr: str) -> ScriptInfo:
    """The updateScript of `attr` in the default.nix of `repo`, its derivations realised."""
    result = runner.check(
        "nix-instantiate",
        [
            "--eval",
            "--strict",
            "--json",
            "--read-write-mode",
            str(_nix_file()),
            "--argstr",
            "repo",
            str(repo.resolve()),
            "--argstr",
            "attrPath",
            json.dumps(split_attr_path(attr)),
        ],
        f"{attr}: cannot evaluate its updateScript",
    )
    try:
        info = ScriptInfo.model_validate_json(result.stdout)
    except ValidationError as exc:
        raise NixError(f"{attr}: unexpected updateScript record: {exc}") from None
    if info.drvs:
        runner.check(
            "nix-store", ["--realise", *info.drvs], f"{attr}: cannot build its updateScript"
        )
    if info.found and (not info.command or not info.command[0].startswith("/nix/store/")):
        raise NixError(
            f"{attr}: its updateScript is not a program in the store ({info.command[:1]})"
        )
    return info


@dataclass(frozen=True)
class ScriptRun:
    result: NixResult
    timed_out: bool


def run(runner: NixRunner, info: ScriptInfo, attr: str, cwd: Path, timeout: float) -> ScriptRun:
    """Run the script as nixpkgs' update.py does (UPDATE_NIX_* set, in `cwd`)."""
    env = {
        "UPDATE_NIX_NAME": info.name or "",
        "UPDATE_NIX_PNAME": info.pname or "",
        "UPDATE_NIX_OLD_VERSION": info.version or "",
        "UPDATE_NIX_ATTR_PATH": info.attr_path or attr,
    }
    scoped = runner.with_options(extra_env=(*runner.options.extra_env, *sorted(env.items())))
    try:
        done = scoped.run(
            info.command[0], info.command[1:], cwd=cwd, timeout=timeout, settings=False
        )
    except NixError as exc:
        if "timed out" in str(exc):
            return ScriptRun(NixResult(tuple(info.command), -9, "", exc.log_tail, timeout), True)
        raise
    return ScriptRun(done, False)
