"""time-limit record on cases and tasks: next due time, closing limit, breach, on-time flag

Revision ID: 0009_time_limit_record
Revises: 0008_user_locale
Create Date: 2026-11-28

"""
from alembic import op
import sqlalchemy as sa

revision = "0009_time_limit_record"
down_revision = "0008_user_locale"
branch_labels = None
depends_on = None

def upgrade():
    with op.batch_alter_table("dispute_case") as batch_op:
        batch_op.add_column(sa.Column("next_due_at", sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column("due_at", sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column("breached_at", sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column("on_time", sa.Boolean(), nullable=True))
        batch_op.create_index("ix_dispute_case_status_next_due", ["status", "next_due_at"])
    with op.batch_alter_table("task") as batch_op:
        batch_op.add_column(sa.Column("breached_at", sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column("on_time", sa.Boolean(), nullable=True))

def downgrade():
    with op.batch_alter_table("task") as batch_op:
        batch_op.drop_column("on_time")
        batch_op.drop_column("breached_at")
    with op.batch_alter_table("dispute_case") as batch_op:
        batch_op.drop_index("ix_dispute_case_status_next_due")
        batch_op.drop_column("on_time")
        batch_op.drop_column("breached_at")
        batch_op.drop_column("due_at")
        batch_op.drop_column("next_due_at")
