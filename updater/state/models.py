"""Tables of the state store. A change here needs a new Alembic revision in migrations/versions/."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, DateTime, Integer, String, Text
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
