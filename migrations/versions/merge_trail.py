"""merge the branches of trail

Revision ID: merge_trail
Revises: merge_auth_dashboard trail_keyed_chain
Create Date: 2026-11-28

"""
revision = "merge_trail"
down_revision = ("merge_auth_dashboard", "trail_keyed_chain")
branch_labels = None
depends_on = None


def upgrade():
    pass


def downgrade():
    pass
