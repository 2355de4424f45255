"""join the performance branch (process specs per version, list indexes) with main

Revision ID: merge_performance
Revises: merge_field, performance_list_indexes
Create Date: 2026-11-28

"""
revision = "merge_performance"
down_revision = ("merge_field", "performance_list_indexes")
branch_labels = None
depends_on = None


def upgrade():
    pass


def downgrade():
    pass
