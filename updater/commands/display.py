"""What `check` and `run` show on the terminal while they work, and the line they end with.

On a terminal: one live line (rich) with the phase, the counts so far and the elapsed time;
log records are printed above it (logs.log_sink), never through it; the line is cut to the
terminal's width, so it never wraps. Elsewhere (a pipe, a file, CI): no live line and no control
codes; the log is JSON lines (logs.py) and the command ends with the same plain summary line.

The check's table is drawn here too: one line per package at 80 columns, an error shown once
per source (below the table, naming every package it hit) instead of in every package's cell.
"""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from rich import box
from rich.console import Console
from rich.live import Live
from rich.table import Table
from rich.text import Text

from updater.logs import log_sink

_SPINNER = "⠋⠙⠹⠸⠼⠴⠦⠧⠇⠏"
# Counts in the order they are shown; the rest follow by name.
_ORDER = ("outdated", "up to date", "updated", "pr opened", "pr updated", "failed", "skipped")


def elapsed_text(seconds: float) -> str:
    s = int(seconds)
    return (
        f"{s // 3600}:{s // 60 % 60:02d}:{s % 60:02d}" if s >= 3600 else f"{s // 60}:{s % 60:02d}"
    )


def counts_text(counts: Mapping[str, int]) -> str:
    keys = [k for k in _ORDER if counts.get(k)] + sorted(
        k for k in counts if k not in _ORDER and counts[k]
    )
    return ", ".join(f"{counts[k]} {k}" for k in keys)


@dataclass(frozen=True)
class Summary:
    """The one line a command ends with: what it did, counted, and how long it took."""

    verb: str  # "checked", "ran"
    total: int
    noun: str  # "unit", "package"
    counts: Mapping[str, int]
    seconds: float

    def line(self) -> str:
        noun = self.noun if self.total == 1 else self.noun + "s"
        text = f"{self.verb} {self.total} {noun} in {elapsed_text(self.seconds)}"
        detail = counts_text(self.counts)
        return f"{text}: {detail}" if detail else text


class Display:
    """The live line of one command. Thread-safe: units update it from worker threads."""

    def __init__(self, console: Console, title: str) -> None:
        self.console = console
        self.title = title
        self.live_line = console.is_terminal and not console.is_dumb_terminal
        self.started = time.monotonic()
        self.phase = "starting"
        self.done = 0
        self.total: int | None = None
        self.counts: Counter[str] = Counter()
        self.current = ""
        self._live: Live | None = None

    # -- what the command reports ---------------------------------------------------------------

    def start_phase(self, phase: str, total: int | None = None) -> None:
        self.phase, self.total, self.done, self.current = phase, total, 0, ""
        self._refresh()

    def advance(self, n: int = 1) -> None:
        self.done += n
        self._refresh()

    def count(self, what: str, n: int = 1) -> None:
        self.counts[what] += n
        self._refresh()

    def unit_step(self, unit: str, step: str) -> None:
        """The engine's progress: a unit's step, or its outcome when it is done."""
        if step in ("updated", "skipped", "failed"):
            self.advance()
            self.count(step)
        self.current = f"{unit}: {step}"
        self._refresh()

    def finish(self, summary: Summary) -> None:
        """Stop the live line (if any) and print the summary line."""
        self._stop()
        self.console.print(summary.line(), markup=False, highlight=False, soft_wrap=False)

    # -- the live line --------------------------------------------------------------------------

    def __rich__(self) -> Text:
        spin = _SPINNER[int((time.monotonic() - self.started) * 8) % len(_SPINNER)]
        parts = [f"{spin} {self.title}: {self.phase}"]
        if self.total is not None:
            parts.append(f"{self.done}/{self.total}")
        if counts := counts_text(self.counts):
            parts.append(counts)
        parts.append(elapsed_text(time.monotonic() - self.started))
        if self.current:
            parts.append(self.current)
        line = Text(" · ".join(parts), no_wrap=True, overflow="ellipsis")
        line.truncate(max(10, self.console.width - 1), overflow="ellipsis")
        return line

    def _refresh(self) -> None:
        if self._live is not None:
            self._live.refresh()

    def _print_above(self, line: str) -> None:
        live = self._live
        if live is None:
            self.console.print(Text.from_ansi(line))
        else:
            live.console.print(Text.from_ansi(line))

    @contextmanager
    def shown(self) -> Iterator[Display]:
        """The live line while the block runs; log records above it."""
        if not self.live_line:
            yield self
            return
        live = Live(
            self,
            console=self.console,
            refresh_per_second=4,
            transient=True,
            redirect_stdout=False,
            redirect_stderr=False,
        )
        with live, log_sink(self._print_above):
            self._live = live
            try:
                yield self
            finally:
                self._live = None

    def _stop(self) -> None:
        if self._live is not None:
            self._live.stop()
            self._live = None


# -- the check's table -------------------------------------------------------------------------


def _rev_text(value: str | None, rev: str | None) -> str:
    if rev and len(rev) == 40 and all(c in "0123456789abcdef" for c in rev.lower()):
        return f"{value} ({rev[:7]})" if value and not rev.startswith(value) else rev[:7]
    return value or ""


def skip_note(skipped: Mapping[str, Any], current: str | None) -> str:
    """Why a newer-looking tag was passed over, and for a shape what differs:
    `20231102: shape (date, not N.N.N like 1.1.0)`."""
    from updater.version.scheme import shape_of

    text = f"{skipped['version']}: {skipped['reason']}"
    if skipped["reason"] == "shape" and current:
        theirs, ours = shape_of(skipped["version"]), shape_of(current)
        text += f" ({theirs.describe()}, not {ours.describe()} like {current})"
    return text


def check_table(data: Sequence[Mapping[str, Any]]) -> tuple[Table, list[str]]:
    """The table of `updater check`, and the lines below it: each error once, with the
    packages it hit. `data` are the rows of `check --json`."""
    table = Table(title="updater check", box=box.SIMPLE_HEAD, pad_edge=False)
    table.add_column("package", overflow="fold", min_width=18)
    table.add_column("current", overflow="fold")
    table.add_column("latest", overflow="fold")
    table.add_column("age", no_wrap=True)
    table.add_column("notes", overflow="fold", max_width=32)
    errors: dict[str, list[str]] = {}
    for r in data:
        commit_pin = r.get("mode") == "branch"
        current = (
            _rev_text(r["current"], r.get("current_rev")) if commit_pin else r["current"] or ""
        )
        latest = r["latest"] or ""
        if r["outdated"]:
            shown = _rev_text(latest, r["rev"]) if commit_pin else latest
            latest = f"[bold green]{Text(shown).markup}[/]"
        else:
            latest = Text(latest).markup
        notes: list[str] = []
        if r["error"]:
            errors.setdefault(r["error"], []).append(r["package"])
            notes.append(f"[red]error {list(errors).index(r['error']) + 1}[/]")
        if r["problem"]:
            notes.append(f"[yellow]{Text(r['problem']).markup}[/]")
        skipped = r["skipped"]
        if skipped:
            notes.append(f"{len(skipped)} newer skipped ({skip_note(skipped[0], r['current'])})")
        table.add_row(Text(r["package"]), Text(current), latest, r["age"] or "", "; ".join(notes))
    below = [
        f"error {i}: {message} ({', '.join(names)})"
        for i, (message, names) in enumerate(errors.items(), 1)
    ]
    return table, below


def check_summary(data: Sequence[Mapping[str, Any]], seconds: float) -> Summary:
    counts: Counter[str] = Counter()
    for r in data:
        if r["error"]:
            counts["failed"] += 1
        elif r.get("mode") == "script":
            counts["by its updateScript"] += 1
        elif r["problem"]:
            counts["skipped"] += 1
        else:
            counts["outdated" if r["outdated"] else "up to date"] += 1
    return Summary("checked", len(data), "package", counts, seconds)
