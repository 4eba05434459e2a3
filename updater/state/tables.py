"""Every table of the state store, on one metadata. A change here needs a new Alembic revision
in migrations/versions/ (tests/state/test_tables.py checks the two agree).

The store's own rows are ORM classes (store.py reads them); the tables other parts keep are
SQLAlchemy Core tables, read and written through their modules: delivery.py (the bot's PRs,
declined versions, unit outcomes, the dashboard issue), status.py (service runs, per-package
state) and upstream/github_memory.py (GitHub owners, event feeds, snapshots).
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, Column, DateTime, Index, Integer, String, Table, Text
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column


class Base(DeclarativeBase):
    pass


class EtagRow(Base):
    """A cached HTTP answer: sent back as If-None-Match; a 304 reuses `body` at no rate cost."""

    __tablename__ = "etags"

    key: Mapped[str] = mapped_column(String(1024), primary_key=True)
    etag: Mapped[str] = mapped_column(String(512))
    body: Mapped[str] = mapped_column(Text)
    fetched_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class SourceVersionRow(Base):
    """The newest version last seen per source, with when it was checked."""

    __tablename__ = "source_versions"

    source_id: Mapped[str] = mapped_column(String(512), primary_key=True)
    latest: Mapped[str | None] = mapped_column(String(256), nullable=True)
    checked_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class FailureRow(Base):
    """A source that failed: `count` in a row, not to be asked again before `retry_at`."""

    __tablename__ = "failures"

    source_id: Mapped[str] = mapped_column(String(512), primary_key=True)
    reason: Mapped[str] = mapped_column(Text)
    count: Mapped[int] = mapped_column(Integer)
    retry_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class CheckResultRow(Base):
    """The last `updater check` outcome per package (the status page and PR logic read it)."""

    __tablename__ = "check_results"

    package: Mapped[str] = mapped_column(String(512), primary_key=True)
    current: Mapped[str | None] = mapped_column(String(256), nullable=True)
    latest: Mapped[str | None] = mapped_column(String(256), nullable=True)
    outdated: Mapped[bool] = mapped_column(Boolean)
    source: Mapped[str | None] = mapped_column(String(512), nullable=True)
    # JSON list of {"tag", "version", "reason"}.
    skipped: Mapped[str] = mapped_column(Text, default="[]")
    error: Mapped[str | None] = mapped_column(Text, nullable=True)
    checked_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    # What the status page shows beside the versions (migration 0005_status_page_history):
    # "release" or "branch" (a commit pin), the revisions and their dates, the compare view.
    mode: Mapped[str | None] = mapped_column(String(16), nullable=True)
    current_rev: Mapped[str | None] = mapped_column(String(256), nullable=True)
    latest_rev: Mapped[str | None] = mapped_column(String(256), nullable=True)
    current_date: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    latest_date: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    compare_url: Mapped[str | None] = mapped_column(String(1024), nullable=True)


# -- delivery (migration 0003_delivery) --------------------------------------------------------
pulls_table = Table(
    "pull_requests",
    Base.metadata,
    Column("number", Integer, primary_key=True, autoincrement=False),
    Column("name", String(512), nullable=False),
    Column("unit", String(1024), nullable=True),
    Column("branch", String(512), nullable=False),
    Column("packages", Text, nullable=False),
    Column("state", String(16), nullable=False),
    Column("old", String(256), nullable=False),
    Column("new", String(256), nullable=False),
    Column("url", String(1024), nullable=False),
    Column("branch_deleted", Boolean, nullable=False),
    Column("updated_at", DateTime(timezone=True), nullable=False),
)
Index("pull_requests_name", pulls_table.c.name)
declined_table = Table(
    "declined_versions",
    Base.metadata,
    Column("name", String(512), primary_key=True),
    Column("version", String(256), primary_key=True),
    Column("unit", String(1024), nullable=True),
    Column("packages", Text, nullable=False),
    Column("pull", Integer, nullable=True),
    Column("declined_at", DateTime(timezone=True), nullable=False),
)
outcomes_table = Table(
    "unit_outcomes",
    Base.metadata,
    Column("unit", String(1024), primary_key=True),
    Column("name", String(512), nullable=True),
    Column("packages", Text, nullable=False),
    Column("outcome", String(16), nullable=False),
    Column("reason", Text, nullable=False),
    Column("old", String(256), nullable=True),
    Column("new", String(256), nullable=True),
    Column("pull", Integer, nullable=True),
    Column("updated_at", DateTime(timezone=True), nullable=False),
    # What the dashboard links (migration 0005_status_page_history).
    Column("compare", String(1024), nullable=True),
    Column("old_commit", String(64), nullable=True),
    Column("new_commit", String(64), nullable=True),
    Column("systems_refreshed", Text, nullable=True),
    Column("systems_left", Text, nullable=True),
)
dashboard_table = Table(
    "dashboard_issue",
    Base.metadata,
    Column("repository", String(256), primary_key=True),
    Column("number", Integer, nullable=False),
    Column("updated_at", DateTime(timezone=True), nullable=False),
)

# -- service runs and package states (migration 0002_service_status) ---------------------------
runs_table = Table(
    "service_runs",
    Base.metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("shard", String(32), nullable=False),
    Column("trigger", String(32), nullable=False),
    Column("package", String(512), nullable=True),
    Column("started_at", DateTime(timezone=True), nullable=False),
    Column("finished_at", DateTime(timezone=True), nullable=True),
    Column("status", String(32), nullable=False),
    Column("summary", Text, nullable=False),
    # JSON {outcome: count} of the run (migration 0005_status_page_history): the page's chart.
    Column("counts", Text, nullable=True),
)
Index("service_runs_shard_started", runs_table.c.shard, runs_table.c.started_at)
packages_table = Table(
    "service_packages",
    Base.metadata,
    Column("package", String(512), primary_key=True),
    Column("state", String(32), nullable=False),
    Column("released_at", DateTime(timezone=True), nullable=True),
    Column("pr_url", String(1024), nullable=True),
    Column("last_error", Text, nullable=True),
    Column("updated_at", DateTime(timezone=True), nullable=False),
)

# -- what the GitHub source remembers (migration 0004_github_feeds) ----------------------------
owners_table = Table(
    "github_owners",
    Base.metadata,
    Column("login", String(256), primary_key=True),
    Column("kind", String(16), nullable=False),
    Column("checked_at", DateTime(timezone=True), nullable=False),
)
feeds_table = Table(
    "github_feeds",
    Base.metadata,
    Column("url", String(1024), primary_key=True),
    Column("etag", String(512), nullable=True),
    Column("newest_id", String(32), nullable=True),
    Column("checked_at", DateTime(timezone=True), nullable=False),
)
snapshots_table = Table(
    "github_snapshots",
    Base.metadata,
    Column("key", String(1024), primary_key=True),
    Column("body", Text, nullable=False),
    Column("fetched_at", DateTime(timezone=True), nullable=False),
)
