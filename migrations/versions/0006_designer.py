"""designer: process drafts and the record of deploys, roll backs and migrations

Revision ID: 0006_designer
Revises: 0002_seed_categories
Create Date: 2026-11-24

"""
from alembic import op
import sqlalchemy as sa

revision = "0006_designer"
down_revision = "0002_seed_categories"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "process_draft",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("key", sa.String(length=100), nullable=False),
        sa.Column("bpmn_xml", sa.Text(), nullable=False),
        sa.Column("saved_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("saved_by_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(["saved_by_id"], ["user_account.id"],
                                name=op.f("fk_process_draft_saved_by_id_user_account")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_process_draft")),
        sa.UniqueConstraint("key", name=op.f("uq_process_draft_key")),
    )
    op.create_table(
        "process_event",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("key", sa.String(length=100), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("event", sa.String(length=40), nullable=False),
        sa.Column("actor_id", sa.Integer(), nullable=True),
        sa.Column("actor_name", sa.String(length=100), nullable=False),
        sa.Column("occurred_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("data", sa.JSON(), nullable=False),
        sa.ForeignKeyConstraint(["actor_id"], ["user_account.id"],
                                name=op.f("fk_process_event_actor_id_user_account")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_process_event")),
    )
    op.create_index("ix_process_event_key_occurred", "process_event", ["key", "occurred_at"])


def downgrade():
    op.drop_index("ix_process_event_key_occurred", table_name="process_event")
    op.drop_table("process_event")
    op.drop_table("process_draft")
