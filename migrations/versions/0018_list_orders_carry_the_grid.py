"""the case list's order indexes carry the case's grid: a town's list is walked in the index alone

Revision ID: list_orders_carry_grid
Revises: case_route
Create Date: 2026-12-07

A town's list (SQLite, told so by likely()) walks its sort's index and keeps the town's cases. With the
grid in the index each entry is kept or passed without reading the case's row: a dispatcher's page 400
went from ~290 to ~35 ms of SQLite's CPU at 100,000 cases. The newest-first index also carries the id,
the order's second key.
"""
from alembic import op

revision = "list_orders_carry_grid"
down_revision = "case_route"
branch_labels = None
depends_on = None

URGENCY = "violence_risk DESC, (CASE WHEN card = 'red' THEN 0 WHEN card = 'yellow' THEN 1 ELSE 2 END), "
INDEXES = {  # name: (columns before, columns now)
    "ix_dispute_case_opened_at": ("opened_at", "opened_at, id, grid_id"),
    "ix_dispute_case_due_order": ("(next_due_at IS NULL), next_due_at, id", "(next_due_at IS NULL), next_due_at, id, grid_id"),
    "ix_dispute_case_urgency_order": (URGENCY + "(next_due_at IS NULL), next_due_at, id",
                                      URGENCY + "(next_due_at IS NULL), next_due_at, id, grid_id"),
}


def upgrade():
    _create(1)


def downgrade():
    _create(0)


def _create(which: int) -> None:
    # Plain statements, no batch: a batch rebuild of dispute_case would drop its expression indexes.
    for name, columns in INDEXES.items():
        op.execute(f"DROP INDEX IF EXISTS {name}")
        op.execute(f"CREATE INDEX {name} ON dispute_case ({columns[which]})")
