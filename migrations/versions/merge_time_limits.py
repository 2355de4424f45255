"""merge the branches of time_limits

Revision ID: merge_time_limits
Revises: merge_field time_limits_timer_kinds
Create Date: 2026-11-28

"""
revision = "merge_time_limits"
down_revision = ("merge_field", "time_limits_timer_kinds")
branch_labels = None
depends_on = None


def upgrade():
    pass


def downgrade():
    pass
