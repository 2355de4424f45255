"""merge the branches of field

Revision ID: merge_field
Revises: field_work merge_trail
Create Date: 2026-11-28

"""
revision = "merge_field"
down_revision = ("field_work", "merge_trail")
branch_labels = None
depends_on = None


def upgrade():
    pass


def downgrade():
    pass
