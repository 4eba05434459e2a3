"""Structured logging: structlog, human-readable on a terminal, JSON lines elsewhere.

Every event passes through `redact_event`, so a token that reaches a log call by accident (in a
URL, an exception text, a subprocess command line) is masked before anything is written.
"""

from __future__ import annotations

import logging
import os
import re
import sys
import threading
from collections.abc import Callable, Iterable, Iterator, Mapping, MutableMapping
from contextlib import contextmanager
from typing import Any, Literal, TextIO

import structlog

LogFormat = Literal["auto", "console", "json"]

REDACTED = "[REDACTED]"

# GitHub token prefixes (classic PAT, fine-grained PAT, OAuth, user-to-server, server-to-server,
# refresh), JWTs (GitHub App assertions), credentials embedded in URLs and HTTP auth headers.
_TOKEN_PATTERNS: tuple[tuple[re.Pattern[str], str], ...] = (
    (re.compile(r"\b(?:ghp|gho|ghu|ghs|ghr)_[A-Za-z0-9]{16,}\b"), REDACTED),
    (re.compile(r"\bgithub_pat_[A-Za-z0-9_]{20,}\b"), REDACTED),
    (re.compile(r"\bglpat-[A-Za-z0-9_\-]{16,}\b"), REDACTED),
    (re.compile(r"\beyJ[A-Za-z0-9_\-]{8,}\.[A-Za-z0-9_\-]{8,}\.[A-Za-z0-9_\-]{8,}\b"), REDACTED),
    (
        re.compile(
            r"(?i)\b((?:proxy-)?authorization[\"']?\s*[:=]\s*[\"']?)(?:(?:bearer|token|basic)\s+)?[^\s,'\"}]+"
        ),
        r"\1" + REDACTED,
    ),
    (re.compile(r"(?i)\b(bearer|token)\s+[A-Za-z0-9_\-\.=]{12,}"), r"\1 " + REDACTED),
    (re.compile(r"(?i)(\b[a-z][a-z0-9+.\-]*://)[^/\s:@]*:[^/\s@]+@"), r"\1" + REDACTED + "@"),
    (re.compile(r"(?i)(\b[a-z][a-z0-9+.\-]*://)[^/\s:@]{20,}@"), r"\1" + REDACTED + "@"),
)


# Environment variables whose values are secrets wherever they appear.
SECRET_ENV_VARS: tuple[str, ...] = (
    "GITHUB_TOKEN",
    "GH_TOKEN",
    "UPDATER_GITHUB_APP_PRIVATE_KEY",
    "UPDATER_RUN_TOKEN",
    "UPDATER_DATABASE_URL",
)


def _mask_known(text: str, secrets: Iterable[str]) -> str:
    for secret in secrets:
        if secret and len(secret) >= 6 and secret in text:
            text = text.replace(secret, REDACTED)
    return text


def redact_text(text: str, extra_secrets: Iterable[str] = ()) -> str:
    """Mask anything that looks like a credential in `text`."""
    text = _mask_known(text, extra_secrets)
    for pattern, replacement in _TOKEN_PATTERNS:
        text = pattern.sub(replacement, text)
    return text


def _secret_values() -> list[str]:
    values = [os.environ.get(name, "") for name in SECRET_ENV_VARS]
    # A PEM key is logged line by line in tracebacks at worst: mask each long line of it.
    key = os.environ.get("UPDATER_GITHUB_APP_PRIVATE_KEY", "")
    values.extend(line for line in key.splitlines() if len(line) >= 16)
    return [v for v in values if v]


class Redactor:
    """structlog processor masking secrets in every string of an event, recursively."""

    def __init__(self, extra_secrets: Iterable[str] = ()) -> None:
        self._extra = list(extra_secrets)

    def add_secret(self, secret: str) -> None:
        if secret:
            self._extra.append(secret)

    def _clean(self, value: Any, secrets: list[str]) -> Any:
        if isinstance(value, str):
            return redact_text(value, secrets)
        if isinstance(value, Mapping):
            return {k: self._clean(v, secrets) for k, v in value.items()}
        if isinstance(value, list | tuple):
            return type(value)(self._clean(v, secrets) for v in value)
        if isinstance(value, BaseException):
            return redact_text(f"{type(value).__name__}: {value}", secrets)
        return value

    def __call__(
        self, logger: Any, method: str, event: MutableMapping[str, Any]
    ) -> MutableMapping[str, Any]:
        secrets = self._extra + _secret_values()
        return {k: self._clean(v, secrets) for k, v in event.items()}


_REDACTOR = Redactor()


def register_secret(secret: str) -> None:
    """Make a secret that did not come from a known environment variable maskable too."""
    _REDACTOR.add_secret(secret)


LineSink = Callable[[str], None]


class LogStream:
    """Where log records are written: the stream, or while a live display runs (a progress
    line on the terminal), the display, which prints them above itself.

    On a terminal each record is wrapped to the terminal's width by rich, so a record never
    runs past the right edge; elsewhere the stream gets the lines as they are.
    """

    def __init__(self, out: TextIO) -> None:
        self.out = out
        self._pending = ""
        self._lock = threading.Lock()
        self._console: Any = None
        if out.isatty():
            from rich.console import Console

            self._console = Console(file=out, highlight=False, soft_wrap=False)

    def write(self, text: str) -> int:
        with self._lock:
            self._pending += text
            while "\n" in self._pending:
                line, self._pending = self._pending.split("\n", 1)
                self._emit(line)
        return len(text)

    def _emit(self, line: str) -> None:
        sink = _SINK
        if sink is not None:
            sink(line)
        elif self._console is not None:
            from rich.text import Text

            self._console.print(Text.from_ansi(line))
        else:
            self.out.write(line + "\n")

    def flush(self) -> None:
        if _SINK is None:
            self.out.flush()

    def isatty(self) -> bool:
        return self.out.isatty()


_SINK: LineSink | None = None


@contextmanager
def log_sink(sink: LineSink) -> Iterator[None]:
    """Send every log record's lines to `sink` while the block runs (a live display)."""
    global _SINK
    previous, _SINK = _SINK, sink
    try:
        yield
    finally:
        _SINK = previous


def configure_logging(
    verbosity: int = 0, fmt: LogFormat = "auto", stream: TextIO | None = None
) -> None:
    """Set up structlog for the process. verbosity: -1 quiet, 0 info, 1+ debug."""
    out = stream if stream is not None else sys.stderr
    level = logging.WARNING if verbosity < 0 else logging.DEBUG if verbosity > 0 else logging.INFO
    use_json = fmt == "json" or (fmt == "auto" and not out.isatty())

    # Exceptions are rendered to text before redaction so tracebacks are masked too.
    processors: list[Any] = [
        structlog.contextvars.merge_contextvars,
        structlog.processors.add_log_level,
        structlog.processors.TimeStamper(fmt="iso", utc=True),
        structlog.processors.format_exc_info,
        _REDACTOR,
    ]
    renderer: Any
    if use_json:
        renderer = structlog.processors.JSONRenderer()
    else:
        renderer = structlog.dev.ConsoleRenderer(colors=out.isatty())
    structlog.configure(
        processors=[*processors, renderer],
        wrapper_class=structlog.make_filtering_bound_logger(level),
        logger_factory=structlog.PrintLoggerFactory(file=LogStream(out)),  # type: ignore[arg-type]
        cache_logger_on_first_use=False,
    )


class _LazyLogger:
    """A logger that binds its values at each call, so it obeys the configuration in force then.

    structlog's own `bind()` fixes the processors at bind time; a module-level logger created
    before `configure_logging` (or a test's `capture_logs`) would otherwise ignore them.
    """

    __slots__ = ("_values",)

    def __init__(self, values: dict[str, Any]) -> None:
        self._values = values

    def bind(self, **values: Any) -> _LazyLogger:
        return _LazyLogger({**self._values, **values})

    def __getattr__(self, method: str) -> Any:
        return getattr(structlog.get_logger().bind(**self._values), method)


def get_logger(name: str | None = None, **initial: Any) -> Any:
    """A structlog logger; `name` becomes the `logger` field of every event."""
    if name:
        initial = {"logger": name, **initial}
    return _LazyLogger(initial)
