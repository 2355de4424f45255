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

    # Plain ADD COLUMN and unique indexes, no table rebuild: SQLite rebuilds (batch mode) of tables that
    # other rows reference fail on existing data while foreign keys are enforced.
    op.add_column("dispute_case", sa.Column("tracking_code", sa.String(length=16), nullable=True))
    op.create_index(op.f("ix_dispute_case_tracking_code"), "dispute_case", ["tracking_code"], unique=True)

    # Every existing address gets its door-plate token (new ones get theirs from the model's default).
    op.add_column("address", sa.Column("plate_token", sa.String(length=32), nullable=True))
    address = sa.table("address", sa.column("id", sa.Integer), sa.column("plate_token", sa.String))
    connection = op.get_bind()
    for (address_id,) in connection.execute(sa.select(address.c.id)).all():
        connection.execute(
            address.update().where(address.c.id == address_id).values(plate_token=secrets.token_urlsafe(16))
        )
    op.create_index(op.f("ix_address_plate_token"), "address", ["plate_token"], unique=True)


def downgrade():
    op.drop_index(op.f("ix_address_plate_token"), table_name="address")
    op.drop_column("address", "plate_token")  # SQLite 3.35+ drops a column in place, no rebuild
    op.drop_index(op.f("ix_dispute_case_tracking_code"), table_name="dispute_case")
    op.drop_column("dispute_case", "tracking_code")
    op.drop_table("case_push")
    op.drop_table("handoff")
    with op.batch_alter_table("api_token") as batch_op:
        batch_op.drop_index(batch_op.f("ix_api_token_user_id"))
        batch_op.drop_index(batch_op.f("ix_api_token_system"))
    op.drop_table("api_token")
