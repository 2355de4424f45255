"""merge the branches of auth_dashboard

Revision ID: merge_auth_dashboard
Revises: dashboard_one_incident harden_auth_sessions
Create Date: 2026-11-28

"""
revision = "merge_auth_dashboard"
down_revision = ("dashboard_one_incident", "harden_auth_sessions")
branch_labels = None
depends_on = None


def upgrade():
    pass


def downgrade():
    pass
