"""merge the branches of paperwork_main

Revision ID: merge_paperwork_main
Revises: merge_dashboard_tail paperwork_merge
Create Date: 2026-11-28

"""
revision = "merge_paperwork_main"
down_revision = ("merge_dashboard_tail", "paperwork_merge")
branch_labels = None
depends_on = None


def upgrade():
    pass


def downgrade():
    pass
