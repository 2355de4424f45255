"""a covering index for the dashboard's counts (grid, dates, and the columns counted by)

Revision ID: dashboard_counts_index
Revises: merge_time_limits
Create Date: 2026-11-28

"""
from alembic import op

revision = "dashboard_counts_index"
down_revision = "merge_time_limits"
branch_labels = None
depends_on = None

COLUMNS = ["grid_id", "opened_at", "closed_at", "category_id", "source", "tier", "outcome", "on_time"]


def upgrade():
    op.create_index("ix_dispute_case_dashboard", "dispute_case", COLUMNS)


def downgrade():
    op.drop_index("ix_dispute_case_dashboard", table_name="dispute_case")
