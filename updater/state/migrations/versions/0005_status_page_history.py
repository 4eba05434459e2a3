"""check_results: mode, revisions, their dates and the compare link; service_runs: counts;
unit_outcomes: the compare link, the commit range and the per-platform systems refreshed

What the status page shows for a commit pin (short revisions and commit dates, current ->
latest) and for a release (release dates), the link to the upstream's compare view, and per
run the outcome counts its chart draws.

Revision ID: 0005_status_page_history
Revises: 0004_github_feeds
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005_status_page_history"
down_revision = "0004_github_feeds"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("check_results") as batch:
        batch.add_column(sa.Column("mode", sa.String(16), nullable=True))
        batch.add_column(sa.Column("current_rev", sa.String(256), nullable=True))
        batch.add_column(sa.Column("latest_rev", sa.String(256), nullable=True))
        batch.add_column(sa.Column("current_date", sa.DateTime(timezone=True), nullable=True))
        batch.add_column(sa.Column("latest_date", sa.DateTime(timezone=True), nullable=True))
        batch.add_column(sa.Column("compare_url", sa.String(1024), nullable=True))
    with op.batch_alter_table("service_runs") as batch:
        batch.add_column(sa.Column("counts", sa.Text(), nullable=True))
    with op.batch_alter_table("unit_outcomes") as batch:
        batch.add_column(sa.Column("compare", sa.String(1024), nullable=True))
        batch.add_column(sa.Column("old_commit", sa.String(64), nullable=True))
        batch.add_column(sa.Column("new_commit", sa.String(64), nullable=True))
        batch.add_column(sa.Column("systems_refreshed", sa.Text(), nullable=True))
        batch.add_column(sa.Column("systems_left", sa.Text(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("unit_outcomes") as batch:
        for name in ("systems_left", "systems_refreshed", "new_commit", "old_commit", "compare"):
            batch.drop_column(name)
    with op.batch_alter_table("service_runs") as batch:
        batch.drop_column("counts")
    with op.batch_alter_table("check_results") as batch:
        for name in (
            "compare_url",
            "latest_date",
            "current_date",
            "latest_rev",
            "current_rev",
            "mode",
        ):
            batch.drop_column(name)
