"""field work on phones: address positions, the reporter's position, photo thumbnails, client submission ids

Revision ID: field_work
Revises: 0009_time_limit_record
Create Date: 2026-11-28

"""
from alembic import op
import sqlalchemy as sa

revision = "field_work"
down_revision = "0009_time_limit_record"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("address") as batch_op:
        batch_op.add_column(sa.Column("latitude", sa.Double(), nullable=True))
        batch_op.add_column(sa.Column("longitude", sa.Double(), nullable=True))
        batch_op.create_index("ix_address_position", ["latitude", "longitude"])
    with op.batch_alter_table("dispute_case") as batch_op:
        batch_op.add_column(sa.Column("reported_latitude", sa.Double(), nullable=True))
        batch_op.add_column(sa.Column("reported_longitude", sa.Double(), nullable=True))
    with op.batch_alter_table("attachment_content") as batch_op:
        batch_op.add_column(sa.Column("thumbnail", sa.LargeBinary(), nullable=True))
    op.create_table(
        "client_submission",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("client_id", sa.String(length=64), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("case_id", sa.Integer(), nullable=False),
        sa.Column("object_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["case_id"], ["dispute_case.id"], name="fk_client_submission_case_id_dispute_case",
                                ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["user_id"], ["user_account.id"], name="fk_client_submission_user_id_user_account",
                                ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name="pk_client_submission"),
        sa.UniqueConstraint("user_id", "client_id", name="uq_client_submission_user_client"),
    )


def downgrade():
    op.drop_table("client_submission")
    with op.batch_alter_table("attachment_content") as batch_op:
        batch_op.drop_column("thumbnail")
    with op.batch_alter_table("dispute_case") as batch_op:
        batch_op.drop_column("reported_longitude")
        batch_op.drop_column("reported_latitude")
    with op.batch_alter_table("address") as batch_op:
        batch_op.drop_index("ix_address_position")
        batch_op.drop_column("longitude")
        batch_op.drop_column("latitude")
