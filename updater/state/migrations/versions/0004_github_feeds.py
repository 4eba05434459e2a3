"""github_owners, github_feeds, github_snapshots: what the GitHub source remembers between runs

Revision ID: 0004_github_feeds
Revises: 0003_delivery
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004_github_feeds"
down_revision = "0003_delivery"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "github_owners",
        sa.Column("login", sa.String(256), primary_key=True),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("checked_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_table(
        "github_feeds",
        sa.Column("url", sa.String(1024), primary_key=True),
        sa.Column("etag", sa.String(512), nullable=True),
        sa.Column("newest_id", sa.String(32), nullable=True),
        sa.Column("checked_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_table(
        "github_snapshots",
        sa.Column("key", sa.String(1024), primary_key=True),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("fetched_at", sa.DateTime(timezone=True), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("github_snapshots")
    op.drop_table("github_feeds")
    op.drop_table("github_owners")
