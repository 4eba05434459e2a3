"""The status page: counts by state, the run chart, failures first grouped by cause, then every
other package; sortable, filterable, readable on a phone.

Everything shown comes from upstreams and the state store, so every value is HTML-escaped and
only http(s) links become hrefs. The page's only script is inline; the Content-Security-Policy
allows exactly that script (by its hash) and nothing else. The pictures are inline SVG
(service/page_chart.py).
"""

from __future__ import annotations

import base64
import hashlib
import html
import re
from collections import Counter
from collections.abc import Sequence
from datetime import datetime
from importlib.resources import files
from string import Template
from urllib.parse import urlsplit

from updater.service.causes import CATEGORIES, Category, category, cause
from updater.service.page_chart import counts_bar, css_class, run_chart
from updater.state.status import PackageRow, RunRecord

_TEMPLATE = Template(
    files("updater.service").joinpath("templates/status.html").read_text(encoding="utf-8")
)
_ERROR_SHOWN = 300
_LABELS = ("Package", "Current", "Latest", "State", "Changes", "PR", "Last check", "Last error")
_SHORT_REV = 7
_COMMIT = re.compile(r"^[0-9a-f]{40}$")


def _script_hash() -> str:
    page = _TEMPLATE.substitute(title="", summary="", counts="", chart="", groups="")
    m = re.search(r"<script>(.*?)</script>", page, re.DOTALL)
    assert m is not None, "status.html has its script inline"
    digest = hashlib.sha256(m[1].encode("utf-8")).digest()
    return "'sha256-" + base64.b64encode(digest).decode("ascii") + "'"


CONTENT_SECURITY_POLICY = (
    f"default-src 'none'; script-src {_script_hash()}; style-src 'unsafe-inline'; "
    "img-src 'none'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'"
)


def _e(value: object) -> str:
    return html.escape(str(value), quote=True)


def duration_text(seconds: float) -> str:
    seconds = max(0, int(seconds))
    for unit, size in (("d", 86400), ("h", 3600), ("m", 60)):
        if seconds >= size:
            return f"{seconds // size}{unit}"
    return f"{seconds}s"


def safe_href(url: str | None) -> str | None:
    """The URL if it is a plain http(s) link, else None (no javascript:, data:, ...)."""
    if not url or len(url) > 1024 or any(c.isspace() or ord(c) < 32 for c in url):
        return None
    parts = urlsplit(url)
    return url if parts.scheme in ("http", "https") and parts.netloc else None


def _link(url: str | None, label: str, css: str) -> tuple[str, str]:
    href = safe_href(url)
    if href is None:
        return "", ""
    return href, f'<a class="{css}" href="{_e(href)}" rel="noopener noreferrer">{_e(label)}</a>'


def _pr_cell(url: str | None) -> tuple[str, str]:
    m = re.search(r"/pull/(\d+)$", url or "")
    return _link(url, f"#{m[1]}" if m else "link", "pr")


def _cell(label: str, sort_value: str, content: str, css: str = "", title: str = "") -> str:
    cls = f' class="{css}"' if css else ""
    tip = f' title="{_e(title)}"' if title else ""
    return f'<td data-label="{_e(label)}" data-v="{_e(sort_value)}"{cls}{tip}>{content}</td>'


def short_rev(rev: str | None) -> str | None:
    """A commit's first 7 hex digits; None for a tag (the version already says it)."""
    return rev[:_SHORT_REV].lower() if rev and _COMMIT.match(rev.lower()) else None


def _version(version: str | None, rev: str | None, when: datetime | None) -> str:
    parts = [f'<span class="ver">{_e(version)}</span>'] if version else []
    if (short := short_rev(rev)) is not None:
        parts.append(f'<code class="rev" title="{_e(rev)}">{_e(short)}</code>')
    if when is not None:
        parts.append(f'<time datetime="{_e(when.isoformat())}">{when:%Y-%m-%d}</time>')
    # One element: on a phone the cell is a flex line of its label and this.
    return f'<span class="vr">{" ".join(parts)}</span>' if parts else ""


def _latest(row: PackageRow) -> tuple[str | None, str | None, datetime | None]:
    if row.latest_rev is None and not row.outdated:
        # Up to date: the latest is what is pinned.
        return row.latest, row.current_rev, row.current_date
    return row.latest, row.latest_rev, row.latest_date


def render_row(row: PackageRow, now: datetime) -> str:
    cat = category(row.state)
    pr_sort, pr_html = _pr_cell(row.pr_url)
    cmp_sort, cmp_html = _link(row.compare_url, "compare", "compare")
    error = row.error or ""
    shown = error if len(error) <= _ERROR_SHOWN else error[: _ERROR_SHOWN - 1] + "\u2026"
    checked_ago = (
        duration_text((now - row.checked_at).total_seconds()) + " ago" if row.checked_at else ""
    )
    latest, latest_rev, latest_date = _latest(row)
    cells = (
        _cell(_LABELS[0], row.package, _e(row.package), css="pkg", title=row.source or ""),
        _cell(
            _LABELS[1], row.current or "", _version(row.current, row.current_rev, row.current_date)
        ),
        _cell(_LABELS[2], latest or "", _version(latest, latest_rev, latest_date)),
        _cell(_LABELS[3], row.state, _e(row.state), css="state " + css_class(cat)),
        _cell(_LABELS[4], cmp_sort, cmp_html),
        _cell(_LABELS[5], pr_sort, pr_html),
        _cell(
            _LABELS[6],
            f"{row.checked_at.timestamp():.0f}" if row.checked_at else "",
            _e(checked_ago),
            title=row.checked_at.isoformat() if row.checked_at else "",
        ),
        _cell(_LABELS[7], error, _e(shown), css="error", title=error if shown != error else ""),
    )
    mode = "commit" if row.mode == "branch" else "release"
    return (
        f'<tr class="row" data-state="{_e(cat)}" data-pin="{mode}" data-package="{_e(row.package)}">'
        + "".join(cells)
        + "</tr>"
    )


def _groups(rows: Sequence[PackageRow], now: datetime) -> str:
    """Failing rows first, one body per cause (the most common first); then everything else,
    by state (what needs a person first), then name."""
    failing: dict[str, list[PackageRow]] = {}
    rest: list[PackageRow] = []
    for r in rows:
        if category(r.state) == "failing":
            failing.setdefault(cause(r.error), []).append(r)
        else:
            rest.append(r)
    bodies: list[str] = []
    for label, members in sorted(failing.items(), key=lambda kv: (-len(kv[1]), kv[0])):
        n = len(members)
        head = (
            f'<tr class="cause"><th colspan="{len(_LABELS)}" scope="rowgroup">'
            f'<span class="why">{_e(label)}</span> <span class="n">{n} '
            f"package{'s' if n != 1 else ''}</span></th></tr>"
        )
        body = "\n".join(render_row(r, now) for r in sorted(members, key=lambda r: r.package))
        bodies.append(f'<tbody class="failing" data-cause="{_e(label)}">\n{head}\n{body}\n</tbody>')
    order = {c: i for i, c in enumerate(CATEGORIES)}
    rest.sort(key=lambda r: (order[category(r.state)], r.package))
    body = "\n".join(render_row(r, now) for r in rest)
    bodies.append(f'<tbody class="rest">\n{body}\n</tbody>')
    return "\n".join(bodies)


def state_counts(rows: Sequence[PackageRow]) -> dict[Category, int]:
    found = Counter(category(r.state) for r in rows)
    return {c: found.get(c, 0) for c in CATEGORIES}


def render_page(
    rows: Sequence[PackageRow],
    now: datetime,
    title: str,
    summary: Sequence[str],
    runs: Sequence[RunRecord] = (),
) -> str:
    return _TEMPLATE.substitute(
        title=_e(title),
        summary=" &middot; ".join(_e(s) for s in summary),
        counts=counts_bar(state_counts(rows)),
        chart=run_chart(runs),
        groups=_groups(rows, now),
    )
