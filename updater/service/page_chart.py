"""The status page's pictures, as inline SVG (no external asset, nothing the CSP must allow):
the bar of package counts by state, and the chart of the last runs.

Every number drawn is also in text (a legend, a <title> per bar), so the page reads the same
without the picture and a screen reader gets the figures.
"""

from __future__ import annotations

import html
from collections.abc import Mapping, Sequence

from updater.service.causes import CATEGORIES, Category
from updater.state.status import RunRecord

RUNS_SHOWN = 30
_BAR_W = 12
_GAP = 3
_DUR_H = 48
_COUNT_H = 28
# What a run's counts are drawn as, bottom to top: failures first, then what moved.
_COUNT_KEYS: tuple[tuple[str, str, tuple[str, ...]], ...] = (
    ("failed", "c-failing", ("failures", "failed")),
    ("pull requests", "c-pr-open", ("pr-opened", "pr-updated", "updated")),
    ("not moved", "c-outdated", ("unchanged", "skipped")),
)


def _e(value: object) -> str:
    return html.escape(str(value), quote=True)


def css_class(cat: Category) -> str:
    return "c-" + cat.replace(" ", "-")


def counts_bar(counts: Mapping[Category, int]) -> str:
    """One horizontal bar split by state, and its legend."""
    total = sum(counts.values())
    parts: list[str] = []
    x = 0.0
    for cat in CATEGORIES:
        n = counts.get(cat, 0)
        if not n or not total:
            continue
        w = 1000 * n / total
        parts.append(
            f'<rect class="{css_class(cat)}" x="{x:.1f}" y="0" width="{w:.1f}" height="16">'
            f"<title>{_e(f'{n} {cat}')}</title></rect>"
        )
        x += w
    legend = "".join(
        f'<li class="{css_class(cat)}" data-count="{_e(cat)}"><span class="num">{counts.get(cat, 0)}</span> '
        f"{_e(cat)}</li>"
        for cat in CATEGORIES
    )
    svg = (
        '<svg class="bar" viewBox="0 0 1000 16" preserveAspectRatio="none" role="img" '
        f'aria-label="{total} packages by state">{"".join(parts)}</svg>'
    )
    return f'<div class="counts">{svg}<ul class="legend">{legend}</ul></div>'


def _duration(seconds: float) -> str:
    s = int(seconds)
    return f"{s // 60}m{s % 60:02d}s" if s >= 60 else f"{seconds:.1f}s"


def _run_title(run: RunRecord) -> str:
    when = run.started_at.strftime("%Y-%m-%d %H:%M UTC")
    took = _duration(run.duration) if run.duration is not None else "unfinished"
    counts = ", ".join(f"{k} {v}" for k, v in sorted(run.counts.items()))
    return f"run {run.id} ({run.trigger}) {when}: {run.status}, {took}" + (
        f"; {counts}" if counts else ""
    )


def _count_segments(run: RunRecord, x: int, scale: float) -> list[str]:
    out: list[str] = []
    y = float(_DUR_H + 6 + _COUNT_H)
    for label, css, keys in _COUNT_KEYS:
        n = sum(run.counts.get(k, 0) for k in keys)
        if not n:
            continue
        h = max(1.5, n * scale)
        y -= h
        out.append(
            f'<rect class="{css}" x="{x}" y="{y:.1f}" width="{_BAR_W}" height="{h:.1f}">'
            f"<title>{_e(f'{n} {label}')}</title></rect>"
        )
    return out


def run_chart(runs: Sequence[RunRecord]) -> str:
    """The last runs, oldest left: duration above (its bar's colour is the run's status), the
    outcome counts stacked below."""
    shown = sorted(runs, key=lambda r: (r.started_at, r.id))[-RUNS_SHOWN:]
    if not shown:
        return '<p class="runs-none">No run yet.</p>'
    longest = max((r.duration or 0.0) for r in shown) or 1.0
    most = max(
        (sum(r.counts.get(k, 0) for _l, _c, keys in _COUNT_KEYS for k in keys) for r in shown),
        default=0,
    )
    scale = _COUNT_H / most if most else 0.0
    bars: list[str] = []
    for i, run in enumerate(shown):
        x = i * (_BAR_W + _GAP)
        h = max(1.5, _DUR_H * (run.duration or 0.0) / longest)
        status = (
            "ok"
            if run.status == "ok"
            else "bad"
            if run.status in ("failed", "abandoned")
            else "other"
        )
        bars.append(
            f'<g class="run" data-run="{run.id}" data-status="{_e(run.status)}">'
            f"<title>{_e(_run_title(run))}</title>"
            f'<rect class="d-{status}" x="{x}" y="{_DUR_H - h:.1f}" width="{_BAR_W}" '
            f'height="{h:.1f}"/>' + "".join(_count_segments(run, x, scale)) + "</g>"
        )
    width = len(shown) * (_BAR_W + _GAP)
    height = _DUR_H + 6 + _COUNT_H
    caption = (
        f"Last {len(shown)} runs, oldest first: duration (longest {_duration(longest)}) above, "
        "failures, pull requests and units not moved below."
    )
    return (
        f'<figure class="runs"><svg id="run-chart" viewBox="0 0 {width} {height}" '
        f'width="{width}" height="{height}" role="img" aria-label="{_e(caption)}">'
        + "".join(bars)
        + f"</svg><figcaption>{_e(caption)}</figcaption></figure>"
    )
