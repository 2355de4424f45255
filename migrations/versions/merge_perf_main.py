"""merge the branches of perf_main

Revision ID: merge_perf_main
Revises: merge_performance merge_time_limits
Create Date: 2026-11-28

"""
revision = "merge_perf_main"
down_revision = ("merge_performance", "merge_time_limits")
branch_labels = None
depends_on = None


def upgrade():
    pass


def downgrade():
    pass
