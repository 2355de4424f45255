"""index-backed list plans: sort orders of the case list, supervision filters, card_raised_at on the case

Revision ID: performance_list_indexes
Revises: performance_process_specs
Create Date: 2026-11-28

"""
import sqlalchemy as sa
from alembic import op

revision = "performance_list_indexes"
down_revision = "performance_process_specs"
branch_labels = None
depends_on = None

CARD_RANK = "(CASE WHEN card = 'red' THEN 0 WHEN card = 'yellow' THEN 1 ELSE 2 END)"


def upgrade():
    with op.batch_alter_table("dispute_case") as batch_op:
        batch_op.add_column(sa.Column("card_raised_at", sa.DateTime(timezone=True), nullable=True))
    op.execute(
        "UPDATE dispute_case SET card_raised_at = (SELECT max(occurred_at) FROM trail_event"
        " WHERE trail_event.case_id = dispute_case.id AND trail_event.event = 'card_raised')"
        " WHERE card != 'none'"
    )
    # Open cases stored before their next due time was kept on the row: the earliest ready task or timer.
    op.execute(
        "UPDATE dispute_case SET next_due_at = (SELECT min(due) FROM ("
        " SELECT due_at AS due FROM task WHERE task.case_id = dispute_case.id AND task.state = 'ready'"
        " UNION ALL SELECT due_at FROM pending_timer WHERE pending_timer.case_id = dispute_case.id) AS pending)"
        " WHERE status = 'open' AND next_due_at IS NULL"
    )
    op.create_index("ix_dispute_case_due_order", "dispute_case",
                    [sa.text("(next_due_at IS NULL)"), "next_due_at", "id"])
    op.create_index("ix_dispute_case_urgency_order", "dispute_case",
                    [sa.text("violence_risk DESC"), sa.text(CARD_RANK), sa.text("(next_due_at IS NULL)"),
                     "next_due_at", "id"])
    op.create_index("ix_dispute_case_status_card", "dispute_case", ["status", "card"])
    op.create_index("ix_dispute_case_card_raised_at", "dispute_case", ["card_raised_at"])


def downgrade():
    op.drop_index("ix_dispute_case_card_raised_at", table_name="dispute_case")
    op.drop_index("ix_dispute_case_status_card", table_name="dispute_case")
    # IF EXISTS: on SQLite a batch migration of another branch may have rebuilt the table without them.
    op.execute("DROP INDEX IF EXISTS ix_dispute_case_urgency_order")
    op.execute("DROP INDEX IF EXISTS ix_dispute_case_due_order")
    with op.batch_alter_table("dispute_case") as batch_op:
        batch_op.drop_column("card_raised_at")
