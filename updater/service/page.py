"""The status page: one table of packages, sortable, readable on a phone.

Everything shown comes from upstreams and the state store, so every value is HTML-escaped and
only http(s) links become hrefs. The page's only script is inline; the Content-Security-Policy
allows exactly that script (by its hash) and nothing else.
"""

from __future__ import annotations

import base64
import hashlib
import html
import re
from collections.abc import Sequence
from datetime import datetime
from importlib.resources import files
from string import Template
from urllib.parse import urlsplit

from updater.state.status import PackageRow

_TEMPLATE = Template(
    files("updater.service").joinpath("templates/status.html").read_text(encoding="utf-8")
)
_ERROR_SHOWN = 300
_LABELS = ("Package", "Current", "Latest", "Age", "State", "PR", "Last check", "Last error")


def _script_hash() -> str:
    page = _TEMPLATE.substitute(title="", summary="", rows="")
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


def _pr_cell(url: str | None) -> tuple[str, str]:
    href = safe_href(url)
    if href is None:
        return "", ""
    m = re.search(r"/pull/(\d+)$", href)
    label = f"#{m[1]}" if m else "link"
    return href, f'<a href="{_e(href)}" rel="noopener noreferrer">{_e(label)}</a>'


def _cell(label: str, sort_value: str, content: str, css: str = "", title: str = "") -> str:
    cls = f' class="{css}"' if css else ""
    tip = f' title="{_e(title)}"' if title else ""
    return f'<td data-label="{_e(label)}" data-v="{_e(sort_value)}"{cls}{tip}>{content}</td>'


def render_row(row: PackageRow, now: datetime) -> str:
    age_seconds = (now - row.released_at).total_seconds() if row.released_at else None
    state_css = "state state-" + re.sub(r"[^a-z]+", "-", row.state.lower()).strip("-")
    pr_sort, pr_html = _pr_cell(row.pr_url)
    error = row.error or ""
    shown = error if len(error) <= _ERROR_SHOWN else error[: _ERROR_SHOWN - 1] + "\u2026"
    checked_ago = (
        duration_text((now - row.checked_at).total_seconds()) + " ago" if row.checked_at else ""
    )
    cells = (
        _cell(_LABELS[0], row.package, _e(row.package)),
        _cell(_LABELS[1], row.current or "", _e(row.current or "")),
        _cell(_LABELS[2], row.latest or "", _e(row.latest or "")),
        _cell(
            _LABELS[3],
            f"{age_seconds:.0f}" if age_seconds is not None else "",
            _e(duration_text(age_seconds)) if age_seconds is not None else "",
            title=row.released_at.isoformat() if row.released_at else "",
        ),
        _cell(_LABELS[4], row.state, _e(row.state), css=state_css),
        _cell(_LABELS[5], pr_sort, pr_html),
        _cell(
            _LABELS[6],
            f"{row.checked_at.timestamp():.0f}" if row.checked_at else "",
            _e(checked_ago),
            title=row.checked_at.isoformat() if row.checked_at else "",
        ),
        _cell(_LABELS[7], error, _e(shown), css="error", title=error if shown != error else ""),
    )
    return "<tr>" + "".join(cells) + "</tr>"


def render_page(
    rows: Sequence[PackageRow], now: datetime, title: str, summary: Sequence[str]
) -> str:
    body = "\n".join(render_row(r, now) for r in rows)
    return _TEMPLATE.substitute(
        title=_e(title),
        summary=" &middot; ".join(_e(s) for s in summary),
        rows=body,
    )
