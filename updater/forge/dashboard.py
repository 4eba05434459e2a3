"""The dashboard issue: one issue in the package repository, found again by a marker in its body,
updated in place, never duplicated.

It lists outdated packages, open update PRs, failures with their reasons, declined versions and
the next run. When several issues carry the marker (someone copied it), the oldest one wins. A
dashboard closed by a person is still updated but not reopened.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

from github.GithubException import UnknownObjectException

from updater.forge.body import MAX_BODY, code, commit_range, inline_text, safe_url, system_marks
from updater.forge.client import ForgeClient
from updater.forge.models import CommitRange, DashboardData, SystemRefresh
from updater.logs import get_logger

_log = get_logger("forge.dashboard")

DASHBOARD_MARKER = "<!-- updater-dashboard -->"
_MAX_ROWS = 300


def _when(value: datetime) -> str:
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return value.astimezone(UTC).strftime("%Y-%m-%d %H:%M UTC")


def _section(title: str, rows: Sequence[str], empty: str) -> str:
    if not rows:
        return f"## {title}\n\n{empty}"
    shown = list(rows[:_MAX_ROWS])
    if len(rows) > _MAX_ROWS:
        shown.append(f"- … and {len(rows) - _MAX_ROWS} more")
    return f"## {title}\n\n" + "\n".join(shown)


def _what_changed(
    compare: str | None, commits: CommitRange | None, systems: tuple[SystemRefresh, ...]
) -> str:
    """What a reviewer follows: the commit range (linked) or the compare view, and each
    system of a per-platform map, refreshed or not."""
    parts = []
    if commits_text := commit_range(commits, compare):
        parts.append(f"commits {commits_text}")
    elif url := safe_url(compare):
        parts.append(f"[compare]({url})")
    if systems:
        parts.append(system_marks(systems))
    return (" · " + " · ".join(parts)) if parts else ""


def render_dashboard(data: DashboardData) -> str:
    """The issue body; every value from upstream in code spans or neutralised text."""
    outdated = [
        f"- {code(p.name)}: {code(p.current)} → {code(p.latest)}"
        + _what_changed(p.compare, p.commits, p.systems)
        for p in data.outdated
    ]
    pulls = [
        f"- {code(p.name)} → {code(p.new_version)}: #{p.number}"
        + _what_changed(p.compare, p.commits, p.systems)
        for p in data.open_pulls
    ]
    failures = [f"- {code(f.name)}: {inline_text(f.reason)}" for f in data.failures]
    declined = [
        f"- {code(d.name)} {code(d.version)}" + (f" (#{d.pull} closed)" if d.pull else "")
        for d in data.declined
    ]
    parts = [
        DASHBOARD_MARKER,
        "This issue lists what the updater bot sees. It is rewritten on every run; edits are lost.",
        _section("Outdated packages", outdated, "Every package is up to date."),
        _section("Open update pull requests", pulls, "None."),
        _section("Failures", failures, "None."),
        _section(
            "Declined versions",
            declined,
            "None. Closing an update pull request without merging declines its version.",
        ),
    ]
    footer = []
    if data.next_run is not None:
        footer.append(f"Next run: {_when(data.next_run)}.")
    else:
        footer.append("Next run: not scheduled.")
    if data.generated_at is not None:
        footer.append(f"Last updated: {_when(data.generated_at)}.")
    if footer:
        parts.append(" ".join(footer))
    text = "\n\n".join(parts)
    return text if len(text) <= MAX_BODY else text[: MAX_BODY - 20] + "\n\n… (truncated)"


class Dashboard:
    def __init__(self, client: ForgeClient, title: str | None = None) -> None:
        self.client = client
        self.title = title or client.settings.dashboard_title

    def _is_dashboard(self, issue: Any) -> bool:
        # html_url is in every shape (no completing request); pull requests have /pull/.
        return "/pull/" not in str(issue.html_url or "") and DASHBOARD_MARKER in (issue.body or "")

    def find(self, known_number: int | None = None) -> Any | None:
        """The dashboard issue (PyGithub Issue), or None. `known_number` (from the state store)
        is checked first; otherwise every issue is scanned, oldest first."""
        repo = self.client.repo

        def by_number() -> Any | None:
            assert known_number is not None
            try:
                issue = repo.get_issue(known_number)
                return issue if self._is_dashboard(issue) else None
            except UnknownObjectException:
                return None

        if known_number is not None:
            found = self.client.read(f"reading issue #{known_number}", by_number)
            if found is not None:
                return found

        def scan() -> Any | None:
            for issue in repo.get_issues(state="all", sort="created", direction="asc"):
                if self._is_dashboard(issue):
                    return issue
            return None

        return self.client.read("looking for the dashboard issue", scan)

    def publish(self, data: DashboardData, known_number: int | None = None) -> int | None:
        """Create or update the dashboard; its number (None when created in dry-run)."""
        body = render_dashboard(data)
        issue = self.find(known_number)
        repo = self.client.repo
        path = self.client.api_repo_path
        if issue is None:
            created = self.client.write(
                "POST",
                f"{path}/issues",
                f"create the dashboard issue {self.title!r}",
                lambda: repo.create_issue(title=self.title, body=body),
            )
            if created is None:
                return None
            _log.info("dashboard created", number=created.number)
            return int(created.number)
        number = int(issue.number)
        if issue.body == body and issue.title == self.title:
            return number
        self.client.write(
            "PATCH",
            f"{path}/issues/{number}",
            f"update the dashboard #{number}",
            lambda: issue.edit(title=self.title, body=body),
        )
        return number
