"""time limits: entered holiday schedules, notifications, paused clocks, users' e-mail

Revision ID: 0003_time_limits
Revises: 0002_seed_categories
Create Date: 2026-11-24

"""
from alembic import op
import sqlalchemy as sa

revision = "0003_time_limits"
down_revision = "0002_seed_categories"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "schedule_year",
        sa.Column("year", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("entered_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("entered_by_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(["entered_by_id"], ["user_account.id"],
                                name=op.f("fk_schedule_year_entered_by_id_user_account")),
        sa.PrimaryKeyConstraint("year", name=op.f("pk_schedule_year")),
    )
    op.create_table(
        "scheduled_day",
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("year", sa.Integer(), nullable=False),
        sa.Column("is_working", sa.Boolean(), nullable=False),
        sa.ForeignKeyConstraint(["year"], ["schedule_year.year"], ondelete="CASCADE",
                                name=op.f("fk_scheduled_day_year_schedule_year")),
        sa.PrimaryKeyConstraint("day", name=op.f("pk_scheduled_day")),
    )
    op.create_index(op.f("ix_scheduled_day_year"), "scheduled_day", ["year"])
    op.create_table(
        "notification",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("case_id", sa.Integer(), nullable=True),
        sa.Column("kind", sa.String(length=40), nullable=False),
        sa.Column("message", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("read_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("email_state", sa.String(length=10), nullable=False),
        sa.Column("email_attempts", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["user_id"], ["user_account.id"], ondelete="CASCADE",
                                name=op.f("fk_notification_user_id_user_account")),
        sa.ForeignKeyConstraint(["case_id"], ["dispute_case.id"], ondelete="CASCADE",
                                name=op.f("fk_notification_case_id_dispute_case")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_notification")),
    )
    op.create_index("ix_notification_user_read", "notification", ["user_id", "read_at"])
    op.create_index("ix_notification_email_state", "notification", ["email_state"])
    with op.batch_alter_table("dispute_case") as batch_op:
        batch_op.add_column(sa.Column("clock_paused_at", sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column("clock_pause_reason", sa.String(length=200), nullable=False,
                                      server_default=""))
    with op.batch_alter_table("user_account") as batch_op:
        batch_op.add_column(sa.Column("email", sa.String(length=200), nullable=False, server_default=""))


def downgrade():
    with op.batch_alter_table("user_account") as batch_op:
        batch_op.drop_column("email")
    with op.batch_alter_table("dispute_case") as batch_op:
        batch_op.drop_column("clock_pause_reason")
        batch_op.drop_column("clock_paused_at")
    op.drop_index("ix_notification_email_state", table_name="notification")
    op.drop_index("ix_notification_user_read", table_name="notification")
    op.drop_table("notification")
    op.drop_index(op.f("ix_scheduled_day_year"), table_name="scheduled_day")
    op.drop_table("scheduled_day")
    op.drop_table("schedule_year")
