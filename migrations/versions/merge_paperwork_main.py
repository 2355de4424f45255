"""merge the branches of paperwork_main; the case list's order indexes, whatever order the branches ran in

Revision ID: merge_paperwork_main
Revises: merge_dashboard_tail paperwork_merge
Create Date: 2026-11-28

"""
from alembic import op

revision = "merge_paperwork_main"
down_revision = ("merge_dashboard_tail", "paperwork_merge")
branch_labels = None
depends_on = None


# The case list's order indexes (0011_performance_list_indexes). On SQLite, a batch migration of another
# branch applied after that one rebuilds dispute_case, and Alembic cannot carry expression indexes over:
# make sure they exist once every branch is in.
ORDER_INDEXES = (
    "CREATE INDEX IF NOT EXISTS ix_dispute_case_due_order ON dispute_case ((next_due_at IS NULL), next_due_at, id)",
    "CREATE INDEX IF NOT EXISTS ix_dispute_case_urgency_order ON dispute_case (violence_risk DESC, "
    "(CASE WHEN card = 'red' THEN 0 WHEN card = 'yellow' THEN 1 ELSE 2 END), (next_due_at IS NULL), next_due_at, id)",
)


def upgrade():
    for statement in ORDER_INDEXES:
        op.execute(statement)


def downgrade():
    pass
