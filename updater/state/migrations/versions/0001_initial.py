"""etags, source_versions, failures, check_results

Revision ID: 0001
Revises:
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "etags",
        sa.Column("key", sa.String(1024), primary_key=True),
        sa.Column("etag", sa.String(512), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("fetched_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_table(
        "source_versions",
        sa.Column("source_id", sa.String(512), primary_key=True),
        sa.Column("latest", sa.String(256), nullable=True),
        sa.Column("checked_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_table(
        "failures",
        sa.Column("source_id", sa.String(512), primary_key=True),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("count", sa.Integer(), nullable=False),
        sa.Column("retry_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_table(
        "check_results",
        sa.Column("package", sa.String(512), primary_key=True),
        sa.Column("current", sa.String(256), nullable=True),
        sa.Column("latest", sa.String(256), nullable=True),
        sa.Column("outdated", sa.Boolean(), nullable=False),
        sa.Column("source", sa.String(512), nullable=True),
        sa.Column("skipped", sa.Text(), nullable=False),
        sa.Column("error", sa.Text(), nullable=True),
        sa.Column("checked_at", sa.DateTime(timezone=True), nullable=False),
    )


def downgrade() -> None:
    for table in ("check_results", "failures", "source_versions", "etags"):
        op.drop_table(table)
