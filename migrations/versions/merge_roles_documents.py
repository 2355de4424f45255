"""merge the branches of roles_documents

Revision ID: merge_roles_documents
Revises: 0013_task_candidate_role search_short_terms
Create Date: 2026-11-28

"""
revision = "merge_roles_documents"
down_revision = ("0013_task_candidate_role", "search_short_terms")
branch_labels = None
depends_on = None


def upgrade():
    pass


def downgrade():
    pass
