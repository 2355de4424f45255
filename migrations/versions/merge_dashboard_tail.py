"""merge the branches of dashboard_tail

Revision ID: merge_dashboard_tail
Revises: dashboard_counts_index merge_perf_main
Create Date: 2026-11-28

"""
revision = "merge_dashboard_tail"
down_revision = ("dashboard_counts_index", "merge_perf_main")
branch_labels = None
depends_on = None


def upgrade():
    pass


def downgrade():
    pass
