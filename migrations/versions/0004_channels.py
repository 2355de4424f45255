"""intake channels: API tokens, police hand-offs and pushes, door-plate tokens, resident tracking codes

Revision ID: 0004_channels
Revises: 0002_seed_categories
Create Date: 2026-11-24

"""
import secrets

from alembic import op
import sqlalchemy as sa

revision = "0004_channels"
down_revision = "0002_seed_categories"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "api_token",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("system", sa.String(length=64), nullable=False),
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("prefix", sa.String(length=12), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("revoked_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(["user_id"], ["user_account.id"], name=op.f("fk_api_token_user_id_user_account")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_api_token")),
        sa.UniqueConstraint("token_hash", name=op.f("uq_api_token_token_hash")),
    )
    with op.batch_alter_table("api_token") as batch_op:
        batch_op.create_index(batch_op.f("ix_api_token_system"), ["system"], unique=False)
        batch_op.create_index(batch_op.f("ix_api_token_user_id"), ["user_id"], unique=False)

    op.create_table(
        "handoff",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("case_id", sa.Integer(), nullable=False),
        sa.Column("system", sa.String(length=64), nullable=False),
        sa.Column("incident_number", sa.String(length=64), nullable=False),
        sa.Column("reported_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("received_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("received_by_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(["case_id"], ["dispute_case.id"], name=op.f("fk_handoff_case_id_dispute_case"),
                                ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["received_by_id"], ["user_account.id"],
                                name=op.f("fk_handoff_received_by_id_user_account")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_handoff")),
        sa.UniqueConstraint("case_id", name=op.f("uq_handoff_case_id")),
        sa.UniqueConstraint("system", "incident_number", name="uq_handoff_system_incident_number"),
    )
    op.create_table(
        "case_push",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("case_id", sa.Integer(), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("pushed_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("pushed_by_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(["case_id"], ["dispute_case.id"], name=op.f("fk_case_push_case_id_dispute_case"),
                                ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["pushed_by_id"], ["user_account.id"],
                                name=op.f("fk_case_push_pushed_by_id_user_account")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_case_push")),
        sa.UniqueConstraint("case_id", name=op.f("uq_case_push_case_id")),
    )

    with op.batch_alter_table("dispute_case") as batch_op:
        batch_op.add_column(sa.Column("tracking_code", sa.String(length=16), nullable=True))
        batch_op.create_unique_constraint(batch_op.f("uq_dispute_case_tracking_code"), ["tracking_code"])

    # Every existing address gets its door-plate token before the column becomes required.
    with op.batch_alter_table("address") as batch_op:
        batch_op.add_column(sa.Column("plate_token", sa.String(length=32), nullable=True))
    address = sa.table("address", sa.column("id", sa.Integer), sa.column("plate_token", sa.String))
    connection = op.get_bind()
    for (address_id,) in connection.execute(sa.select(address.c.id)).all():
        connection.execute(
            address.update().where(address.c.id == address_id).values(plate_token=secrets.token_urlsafe(16))
        )
    with op.batch_alter_table("address") as batch_op:
        batch_op.alter_column("plate_token", existing_type=sa.String(length=32), nullable=False)
        batch_op.create_unique_constraint(batch_op.f("uq_address_plate_token"), ["plate_token"])


def downgrade():
    with op.batch_alter_table("address") as batch_op:
        batch_op.drop_constraint(batch_op.f("uq_address_plate_token"), type_="unique")
        batch_op.drop_column("plate_token")
    with op.batch_alter_table("dispute_case") as batch_op:
        batch_op.drop_constraint(batch_op.f("uq_dispute_case_tracking_code"), type_="unique")
        batch_op.drop_column("tracking_code")
    op.drop_table("case_push")
    op.drop_table("handoff")
    with op.batch_alter_table("api_token") as batch_op:
        batch_op.drop_index(batch_op.f("ix_api_token_user_id"))
        batch_op.drop_index(batch_op.f("ix_api_token_system"))
    op.drop_table("api_token")
