"""pending timers say whether they are a legal clock (runs while paused) and the case's closing limit

Revision ID: time_limits_timer_kinds
Revises: 0009_time_limit_record
Create Date: 2026-11-28

"""
from alembic import op
import sqlalchemy as sa

revision = "time_limits_timer_kinds"
down_revision = "0009_time_limit_record"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("pending_timer") as batch_op:
        batch_op.add_column(sa.Column("statutory", sa.Boolean(), nullable=False, server_default=sa.false()))
        batch_op.add_column(sa.Column("closing", sa.Boolean(), nullable=False, server_default=sa.false()))
    # Timers already waiting in the shipped process (the next step of each case rewrites its rows).
    op.execute("UPDATE pending_timer SET statutory = TRUE WHERE bpmn_id IN ('mediation_limit', 'confirmation_reminder')")
    op.execute("UPDATE pending_timer SET closing = TRUE WHERE bpmn_id = 'yellow_card'")


def downgrade():
    with op.batch_alter_table("pending_timer") as batch_op:
        batch_op.drop_column("closing")
        batch_op.drop_column("statutory")
