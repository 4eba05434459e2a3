"""pull_requests, declined_versions, unit_outcomes, dashboard_issue: what delivery remembers

Revision ID: 0003_delivery
Revises: 0002_service
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003_delivery"
down_revision = "0002_service"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "pull_requests",
        sa.Column("number", sa.Integer(), primary_key=True, autoincrement=False),
        sa.Column("name", sa.String(512), nullable=False),
        sa.Column("unit", sa.String(1024), nullable=True),
        sa.Column("branch", sa.String(512), nullable=False),
        sa.Column("packages", sa.Text(), nullable=False),
        sa.Column("state", sa.String(16), nullable=False),
        sa.Column("old", sa.String(256), nullable=False),
        sa.Column("new", sa.String(256), nullable=False),
        sa.Column("url", sa.String(1024), nullable=False),
        sa.Column("branch_deleted", sa.Boolean(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_index("pull_requests_name", "pull_requests", ["name"])
    op.create_table(
        "declined_versions",
        sa.Column("name", sa.String(512), primary_key=True),
        sa.Column("version", sa.String(256), primary_key=True),
        sa.Column("unit", sa.String(1024), nullable=True),
        sa.Column("packages", sa.Text(), nullable=False),
        sa.Column("pull", sa.Integer(), nullable=True),
        sa.Column("declined_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_table(
        "unit_outcomes",
        sa.Column("unit", sa.String(1024), primary_key=True),
        sa.Column("name", sa.String(512), nullable=True),
        sa.Column("packages", sa.Text(), nullable=False),
        sa.Column("outcome", sa.String(16), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("old", sa.String(256), nullable=True),
        sa.Column("new", sa.String(256), nullable=True),
        sa.Column("pull", sa.Integer(), nullable=True),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_table(
        "dashboard_issue",
        sa.Column("repository", sa.String(256), primary_key=True),
        sa.Column("number", sa.Integer(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("dashboard_issue")
    op.drop_table("unit_outcomes")
    op.drop_table("declined_versions")
    op.drop_index("pull_requests_name", "pull_requests")
    op.drop_table("pull_requests")
