"""Running Nix: argument lists, timeouts, a filtered environment, output streamed to the log.

Every Nix invocation of the bot goes through `NixRunner.run`. It never raises for a non-zero
exit (a hash mismatch is the answer we asked for): callers read `NixResult` and decide. It raises
NixError only when Nix could not be run at all or ran out of time.

The environment passed to Nix is an allowlist of the caller's (Nix's own variables, git's URL
rewriting, proxies, locale): the bot's tokens never reach Nix, nor the builders that
`impureEnvVars` would hand them to.

Installables are addressed two ways: `nix-build <repo> -A <attr>` for a default.nix, or
`nix build path:<repo>#<attr>` for a flake, with the experimental features enabled on the
command line so no nix.conf change is needed.
"""

from __future__ import annotations

import os
import signal
import subprocess
import threading
import time
from collections import deque
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from enum import StrEnum
from pathlib import Path
from typing import IO, Literal

from updater.config import NixConfig
from updater.errors import NixError
from updater.logs import get_logger

_log = get_logger("updater.nix")

FLAKE_FEATURES = ("--extra-experimental-features", "nix-command flakes")

# Variables Nix and its builders may see. Prefix entries end with "_".
PASSTHROUGH_ENV: tuple[str, ...] = (
    "PATH",
    "HOME",
    "USER",
    "LOGNAME",
    "TMPDIR",
    "TZ",
    "LANG",
    "LC_ALL",
    "LC_CTYPE",
    "NIX_",
    "XDG_CACHE_HOME",
    "XDG_CONFIG_HOME",
    "XDG_CONFIG_DIRS",
    "XDG_DATA_HOME",
    "GIT_CONFIG_GLOBAL",
    "GIT_CONFIG_NOSYSTEM",
    "GIT_SSL_CAINFO",
    "GIT_SSL_NO_VERIFY",
    "SSL_CERT_FILE",
    "SSL_CERT_DIR",
    "CURL_CA_BUNDLE",
    "http_proxy",
    "https_proxy",
    "ftp_proxy",
    "all_proxy",
    "no_proxy",
    "HTTP_PROXY",
    "HTTPS_PROXY",
    "ALL_PROXY",
    "NO_PROXY",
)

# Lines of stderr kept in a result; build logs can be long, the verdict is at the end.
MAX_STDERR_LINES = 5000


class EvalMode(StrEnum):
    """How the package repository exposes its attributes."""

    DEFAULT_NIX = "default.nix"
    FLAKE = "flake"


def detect_eval_mode(
    repo: Path, configured: Literal["auto", "default.nix", "flake"] = "auto"
) -> EvalMode:
    """The configured mode, or for "auto": a flake when flake.nix exists and default.nix does not.

    A repository with both (common for NURs: flake.nix wrapping default.nix) is evaluated through
    default.nix, which needs no experimental features and sees uncommitted files.
    """
    if configured != "auto":
        return EvalMode(configured)
    if (repo / "flake.nix").is_file() and not (repo / "default.nix").is_file():
        return EvalMode.FLAKE
    return EvalMode.DEFAULT_NIX


@dataclass(frozen=True)
class Installable:
    """An attribute of the package repository, e.g. `atproto-foo` or `atproto-foo.src`."""

    repo: Path
    attr: str
    mode: EvalMode = EvalMode.DEFAULT_NIX
    # `--argstr name value` pairs for a function-valued file (default.nix mode only); with
    # `repo` naming a .nix file this addresses any expression kept in a file.
    argstr: tuple[tuple[str, str], ...] = ()

    def __post_init__(self) -> None:
        if not self.attr or self.attr.startswith(("-", ".")) or any(c.isspace() for c in self.attr):
            raise NixError(f"invalid attribute path {self.attr!r}")
        if self.argstr and self.mode is EvalMode.FLAKE:
            raise NixError(f"a flake attribute takes no arguments: {self.attr}")

    @property
    def flake_ref(self) -> str:
        # path: reads the directory as it is on disk: a scratch worktree's uncommitted edits
        # are what we want to evaluate, and git+file would ignore untracked files.
        return f"path:{self.repo.resolve()}#{self.attr}"

    def __str__(self) -> str:
        return self.flake_ref if self.mode is EvalMode.FLAKE else f"{self.repo} -A {self.attr}"


@dataclass(frozen=True)
class NixOptions:
    """Settings applied to every Nix call of one runner."""

    timeout: float = 1800.0
    # Nix's `builders` setting: remote builders for other systems, or to spread builds out.
    builders: str | None = None
    # Evaluate and build for this system (sets builtins.currentSystem) instead of the host's.
    system: str | None = None
    extra_args: tuple[str, ...] = ()
    # Set on top of the passed-through environment (e.g. NIX_PATH, GIT_CONFIG_GLOBAL).
    extra_env: tuple[tuple[str, str], ...] = ()

    @classmethod
    def from_config(cls, config: NixConfig, system: str | None = None) -> NixOptions:
        return cls(
            timeout=float(config.timeout),
            builders=config.builders,
            system=system,
            extra_args=tuple(config.extra_args),
        )

    def setting_args(self) -> list[str]:
        """Command-line settings understood by nix-build, nix-instantiate, nix-store and nix."""
        args: list[str] = []
        if self.builders is not None:
            args += ["--option", "builders", self.builders]
        if self.system is not None:
            args += ["--option", "system", self.system]
        args += self.extra_args
        return args


@dataclass(frozen=True)
class NixResult:
    """What one Nix process did. `stderr` holds its last MAX_STDERR_LINES lines."""

    argv: tuple[str, ...]
    returncode: int
    stdout: str
    stderr: str
    duration: float

    @property
    def ok(self) -> bool:
        return self.returncode == 0

    def tail(self, lines: int = 40) -> str:
        return "\n".join(self.stderr.splitlines()[-lines:])

    @property
    def command(self) -> str:
        """A short human name for logs and error messages."""
        return " ".join(self.argv[:4]) + (" ..." if len(self.argv) > 4 else "")


def passthrough_env(source: Mapping[str, str]) -> dict[str, str]:
    """The allowlisted subset of `source`."""
    out: dict[str, str] = {}
    for key, value in source.items():
        for allowed in PASSTHROUGH_ENV:
            if key == allowed or (allowed.endswith("_") and key.startswith(allowed)):
                out[key] = value
                break
    return out


def _pump(stream: IO[str], sink: deque[str] | list[str], tool: str, name: str) -> None:
    for raw in stream:
        line = raw.rstrip("\n")
        sink.append(line)
        _log.debug("nix output", tool=tool, stream=name, line=line)
    stream.close()


def _kill_group(proc: subprocess.Popen[str]) -> None:
    # Nix forks builders; they share the session we started, so the whole group goes.
    for sig, grace in ((signal.SIGTERM, 5.0), (signal.SIGKILL, 5.0)):
        try:
            os.killpg(proc.pid, sig)
        except ProcessLookupError:
            return
        try:
            proc.wait(timeout=grace)
            return
        except subprocess.TimeoutExpired:
            continue


@dataclass(frozen=True)
class NixRunner:
    """Runs Nix tools with one set of options; cheap to copy with `with_options`."""

    options: NixOptions = NixOptions()
    # The environment to filter; None means this process's environment.
    base_env: Mapping[str, str] | None = field(default=None, repr=False)

    def with_options(self, **changes: object) -> NixRunner:
        return replace(self, options=replace(self.options, **changes))  # type: ignore[arg-type]

    def env(self) -> dict[str, str]:
        env = passthrough_env(os.environ if self.base_env is None else self.base_env)
        env.update(self.options.extra_env)
        return env

    def run(
        self,
        tool: str,
        args: Iterable[str],
        *,
        timeout: float | None = None,
        cwd: Path | None = None,
        settings: bool = True,
    ) -> NixResult:
        """Run `tool args...` (settings first unless `settings=False`); never raises on exit code."""
        argv = [tool, *(self.options.setting_args() if settings else []), *args]
        limit = self.options.timeout if timeout is None else timeout
        _log.debug("nix run", argv=argv, timeout=limit)
        started = time.monotonic()
        try:
            proc = subprocess.Popen(
                argv,
                stdin=subprocess.DEVNULL,
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                text=True,
                errors="replace",
                env=self.env(),
                cwd=cwd,
                start_new_session=True,
            )
        except OSError as exc:
            raise NixError(f"cannot run {tool}: {exc.strerror or exc}") from None
        out_lines: list[str] = []
        err_lines: deque[str] = deque(maxlen=MAX_STDERR_LINES)
        assert proc.stdout is not None and proc.stderr is not None
        readers = [
            threading.Thread(target=_pump, args=(proc.stdout, out_lines, tool, "stdout")),
            threading.Thread(target=_pump, args=(proc.stderr, err_lines, tool, "stderr")),
        ]
        # Popen.wait(timeout) polls with sleeps of up to 50 ms; a blocking wait in a thread,
        # joined with the deadline, returns as soon as the process ends.
        waiter = threading.Thread(target=proc.wait)
        for thread in (*readers, waiter):
            thread.daemon = True
            thread.start()
        deadline = time.monotonic() + limit
        for thread in (*readers, waiter):
            thread.join(timeout=max(0.0, deadline - time.monotonic()))
        if waiter.is_alive() or any(reader.is_alive() for reader in readers):
            _kill_group(proc)
            for reader in readers:
                reader.join(timeout=5)
            tail = "\n".join(list(err_lines)[-40:])
            raise NixError(f"{' '.join(argv[:4])} timed out after {limit:g}s", tail) from None
        result = NixResult(
            argv=tuple(argv),
            returncode=proc.returncode,
            stdout="\n".join(out_lines),
            stderr="\n".join(err_lines),
            duration=time.monotonic() - started,
        )
        _log.debug("nix done", argv=argv, returncode=result.returncode, seconds=result.duration)
        return result

    def check(self, tool: str, args: Iterable[str], what: str, **kwargs: object) -> NixResult:
        """Like `run`, but a non-zero exit raises NixError naming `what`, with Nix's log tail."""
        result = self.run(tool, args, **kwargs)  # type: ignore[arg-type]
        if not result.ok:
            raise NixError(f"{what}: {_last_error(result)}", result.tail())
        return result

    def build(
        self,
        installables: Sequence[Installable],
        *,
        keep_going: bool = False,
        timeout: float | None = None,
    ) -> NixResult:
        """Build several attributes in one Nix call (one evaluation, parallel builds)."""
        tool, args = build_argv(installables, keep_going=keep_going)
        return self.run(tool, args, timeout=timeout)


def _last_error(result: NixResult) -> str:
    for line in reversed(result.stderr.splitlines()):
        if line.lstrip().startswith("error:"):
            return line.strip()[:300]
    return f"exit code {result.returncode}"


def build_argv(
    installables: Sequence[Installable], *, keep_going: bool = False
) -> tuple[str, list[str]]:
    """The tool and arguments building `installables` (all from one repository, one mode)."""
    if not installables:
        raise NixError("nothing to build")
    first = installables[0]
    if any(
        (i.repo, i.mode, i.argstr) != (first.repo, first.mode, first.argstr) for i in installables
    ):
        raise NixError("one Nix build covers one repository in one evaluation mode")
    going = ["--keep-going"] if keep_going else []
    if first.mode is EvalMode.FLAKE:
        refs = [i.flake_ref for i in installables]
        return "nix", [*FLAKE_FEATURES, "build", "--no-link", "--json", "-L", *going, *refs]
    attrs = [arg for i in installables for arg in ("-A", i.attr)]
    argstrs = [arg for name, value in first.argstr for arg in ("--argstr", name, value)]
    return "nix-build", [str(first.repo), "--no-out-link", *going, *argstrs, *attrs]
