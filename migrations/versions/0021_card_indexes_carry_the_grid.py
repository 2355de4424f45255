"""the card indexes carry the case's grid: a town's weekly supervision list reads the town's carded cases only

Revision ID: card_indexes_carry_grid
Revises: list_filters_in_the_walk
Create Date: 2026-12-07

The weekly list (open carded cases, and cases carded in the last seven days) reads each half from its card
index. Without the grid in them, a town's supervisor read every carded case of the county and then each row
to keep the town's (SQLite, 100,000 cases: the page 51 -> 28 ms of CPU). Plain statements, no batch: a
batch rebuild of dispute_case would drop its expression indexes.
"""
from alembic import op

revision = "card_indexes_carry_grid"
down_revision = "list_filters_in_the_walk"
branch_labels = None
depends_on = None

INDEXES = {  # name: (columns before, columns now)
    "ix_dispute_case_status_card": ("status, card", "status, card, grid_id"),
    "ix_dispute_case_card_raised_at": ("card_raised_at", "card_raised_at, grid_id"),
}


def upgrade():
    _create(1)


def downgrade():
    _create(0)


def _create(which: int) -> None:
    for name, columns in INDEXES.items():
        op.execute(f"DROP INDEX {name}")
        op.execute(f"CREATE INDEX {name} ON dispute_case ({columns[which]})")
