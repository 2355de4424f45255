"""merge the paperwork branch (documents, sector bodies) with main

Revision ID: paperwork_merge
Revises: merge_time_limits paperwork_documents
Create Date: 2026-11-28

"""
revision = "paperwork_merge"
down_revision = ("merge_time_limits", "paperwork_documents")
branch_labels = None
depends_on = None


def upgrade():
    pass


def downgrade():
    pass
