"""the roles each case has been routed to (case_route), kept with the task rows: a routed-only reader's
list asks one row per case instead of walking the case's tasks

Revision ID: case_route
Revises: dashboard_case_counts
Create Date: 2026-12-07

Filled here from the task mirror: every role any task of the case names.
"""
import sqlalchemy as sa
from alembic import op

revision = "case_route"
down_revision = "dashboard_case_counts"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "case_route",
        sa.Column("case_id", sa.Integer(), nullable=False),
        sa.Column("role", sa.String(length=20), nullable=False),
        sa.ForeignKeyConstraint(["case_id"], ["dispute_case.id"], name=op.f("fk_case_route_case_id_dispute_case"),
                                ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("case_id", "role", name=op.f("pk_case_route")),
    )
    op.execute("INSERT INTO case_route (case_id, role) SELECT DISTINCT task.case_id, task_candidate_role.role"
               " FROM task JOIN task_candidate_role ON task_candidate_role.task_id = task.id")
    op.create_index("ix_case_route_role_case", "case_route", ["role", "case_id"])


def downgrade():
    op.drop_index("ix_case_route_role_case", table_name="case_route")
    op.drop_table("case_route")
