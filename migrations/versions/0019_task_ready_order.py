"""the task lists' order by due time as an index (ix_task_ready_order): walked instead of sorted, and counted in it

Revision ID: task_ready_order
Revises: list_orders_carry_grid
Create Date: 2026-12-07

The team's tasks of the whole county (5,000 ready tasks at 100,000 cases) were sorted for every page and
counted through the index of each case's tasks (all 300,000 of them, on SQLite). Plain statements, no batch:
a batch rebuild of `task` would drop an expression index.
"""
from alembic import op

revision = "task_ready_order"
down_revision = "list_orders_carry_grid"
branch_labels = None
depends_on = None


def upgrade():
    op.execute("CREATE INDEX ix_task_ready_order ON task"
               " (state, (due_at IS NULL), due_at, created_at, id, case_id, grid_id)")


def downgrade():
    op.execute("DROP INDEX ix_task_ready_order")
