"""the case list's order indexes carry the filters a dashboard figure links to and what a walk reads; a filtered
list is counted in the index that leads with its filter

Revision ID: list_filters_in_the_walk
Revises: task_ready_order
Create Date: 2026-12-07

SQLite (no statistics) took any indexed filter as selective: the county's tier 2 was read and sorted whole for
a page (26,000 cases, 134 ms of CPU at 100,000 cases), the cases closed late (none) walked every row (465 ms).
Now a filtered page walks its order and checks the filter in the index's entries, and its count reads an index
that leads with the filter (category, source, date closed), each with the grid after it. The order indexes also
carry the card and who opened the case, so that a search walked for a reader of routed cases finds its page's
keys in the index alone (PostgreSQL, a panel member's "12" by urgency: 41 -> 25 ms). A town's cases closed
in a period, by outcome, are counted in the index of dates closed, which carries the grid and the outcome
(PostgreSQL: 17.6 -> 11.6 ms), and a routed reader's list in the grid and opening index, which carries who
opened each case (a mediator's: 39 -> 16 ms). Plain
statements, no batch: a batch rebuild of dispute_case would drop its expression indexes.
"""
from alembic import op

revision = "list_filters_in_the_walk"
down_revision = "task_ready_order"
branch_labels = None
depends_on = None

URGENCY = "violence_risk DESC, (CASE WHEN card = 'red' THEN 0 WHEN card = 'yellow' THEN 1 ELSE 2 END), "
FILTERS = "category_id, source, tier, status, outcome, on_time, closed_at"
WALK_READS = "card, opened_by_id"  # the urgency expression's column; who opened the case (a routed reader's)
RESHAPED = {  # name: (columns before, columns now)
    "ix_dispute_case_opened_at": ("opened_at, id, grid_id", f"opened_at, id, grid_id, {FILTERS}, {WALK_READS}"),
    "ix_dispute_case_due_order": ("(next_due_at IS NULL), next_due_at, id, grid_id",
                                  f"(next_due_at IS NULL), next_due_at, id, grid_id, {FILTERS}, opened_at, {WALK_READS}"),
    "ix_dispute_case_urgency_order": (URGENCY + "(next_due_at IS NULL), next_due_at, id, grid_id",
                                      URGENCY + f"(next_due_at IS NULL), next_due_at, id, grid_id, {FILTERS}, opened_at,"
                                      f" {WALK_READS}"),
    "ix_dispute_case_grid_opened": ("grid_id, opened_at", "grid_id, opened_at, id, opened_by_id"),
}
COUNTS = {  # name: what it indexes; ix_dispute_case_category_grid replaces ix_dispute_case_category_id
    "ix_dispute_case_category_grid": "(category_id, grid_id)",
    "ix_dispute_case_source_grid": "(source, grid_id)",
    "ix_dispute_case_closed_at": "(closed_at, grid_id, outcome, on_time)",
}


def upgrade():
    _reshape(1)
    op.execute("DROP INDEX ix_dispute_case_category_id")
    for name, columns in COUNTS.items():
        op.execute(f"CREATE INDEX {name} ON dispute_case {columns}")


def downgrade():
    for name in COUNTS:
        op.execute(f"DROP INDEX {name}")
    op.execute("CREATE INDEX ix_dispute_case_category_id ON dispute_case (category_id)")
    _reshape(0)


def _reshape(which: int) -> None:
    for name, columns in RESHAPED.items():
        op.execute(f"DROP INDEX {name}")
        op.execute(f"CREATE INDEX {name} ON dispute_case ({columns[which]})")
