"""roles and scope, task actions: mediation rooms, users' police grid / room / town, comments,
attachments, list indexes

Revision ID: 0005_task_actions
Revises: 0002_seed_categories
Create Date: 2026-11-24

"""
from alembic import op
import sqlalchemy as sa

revision = "0005_task_actions"
down_revision = "0002_seed_categories"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "mediation_room",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("town_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["town_id"], ["town.id"], name=op.f("fk_mediation_room_town_id_town")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_mediation_room")),
        sa.UniqueConstraint("name", name=op.f("uq_mediation_room_name")),
    )
    op.create_index(op.f("ix_mediation_room_town_id"), "mediation_room", ["town_id"])
    op.create_table(
        "mediation_room_grid",
        sa.Column("grid_id", sa.Integer(), nullable=False),
        sa.Column("room_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["grid_id"], ["grid.id"], ondelete="CASCADE",
                                name=op.f("fk_mediation_room_grid_grid_id_grid")),
        sa.ForeignKeyConstraint(["room_id"], ["mediation_room.id"], ondelete="CASCADE",
                                name=op.f("fk_mediation_room_grid_room_id_mediation_room")),
        sa.PrimaryKeyConstraint("grid_id", name=op.f("pk_mediation_room_grid")),
    )
    op.create_index(op.f("ix_mediation_room_grid_room_id"), "mediation_room_grid", ["room_id"])
    with op.batch_alter_table("user_account") as batch_op:
        batch_op.add_column(sa.Column("police_grid_id", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("mediation_room_id", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("town_id", sa.Integer(), nullable=True))
        batch_op.create_foreign_key(batch_op.f("fk_user_account_police_grid_id_police_grid"),
                                    "police_grid", ["police_grid_id"], ["id"])
        batch_op.create_foreign_key(batch_op.f("fk_user_account_mediation_room_id_mediation_room"),
                                    "mediation_room", ["mediation_room_id"], ["id"])
        batch_op.create_foreign_key(batch_op.f("fk_user_account_town_id_town"), "town", ["town_id"], ["id"])
        batch_op.create_index(batch_op.f("ix_user_account_police_grid_id"), ["police_grid_id"])
        batch_op.create_index(batch_op.f("ix_user_account_mediation_room_id"), ["mediation_room_id"])
        batch_op.create_index(batch_op.f("ix_user_account_town_id"), ["town_id"])

    op.create_table(
        "case_comment",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("case_id", sa.Integer(), nullable=False),
        sa.Column("task_id", sa.Integer(), nullable=True),
        sa.Column("author_id", sa.Integer(), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["case_id"], ["dispute_case.id"], ondelete="CASCADE",
                                name=op.f("fk_case_comment_case_id_dispute_case")),
        sa.ForeignKeyConstraint(["task_id"], ["task.id"], name=op.f("fk_case_comment_task_id_task")),
        sa.ForeignKeyConstraint(["author_id"], ["user_account.id"],
                                name=op.f("fk_case_comment_author_id_user_account")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_case_comment")),
    )
    op.create_index("ix_case_comment_case_created", "case_comment", ["case_id", "created_at"])
    op.create_table(
        "attachment",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("case_id", sa.Integer(), nullable=False),
        sa.Column("task_id", sa.Integer(), nullable=True),
        sa.Column("uploaded_by_id", sa.Integer(), nullable=False),
        sa.Column("filename", sa.String(length=160), nullable=False),
        sa.Column("content_type", sa.String(length=100), nullable=False),
        sa.Column("size", sa.Integer(), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["case_id"], ["dispute_case.id"], ondelete="CASCADE",
                                name=op.f("fk_attachment_case_id_dispute_case")),
        sa.ForeignKeyConstraint(["task_id"], ["task.id"], name=op.f("fk_attachment_task_id_task")),
        sa.ForeignKeyConstraint(["uploaded_by_id"], ["user_account.id"],
                                name=op.f("fk_attachment_uploaded_by_id_user_account")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_attachment")),
    )
    op.create_index("ix_attachment_case_created", "attachment", ["case_id", "created_at"])
    op.create_table(
        "attachment_content",
        sa.Column("attachment_id", sa.Integer(), nullable=False),
        sa.Column("data", sa.LargeBinary(), nullable=False),
        sa.ForeignKeyConstraint(["attachment_id"], ["attachment.id"], ondelete="CASCADE",
                                name=op.f("fk_attachment_content_attachment_id_attachment")),
        sa.PrimaryKeyConstraint("attachment_id", name=op.f("pk_attachment_content")),
    )

    # Lists: the due-state filter and due-first sort read ready tasks by due time; the case list
    # filters by tier and sorts the newest first within the visible grids.
    op.create_index("ix_task_state_due", "task", ["state", "due_at"])
    op.create_index("ix_dispute_case_tier", "dispute_case", ["tier"])
    op.create_index("ix_dispute_case_grid_opened", "dispute_case", ["grid_id", "opened_at"])


def downgrade():
    op.drop_index("ix_dispute_case_grid_opened", table_name="dispute_case")
    op.drop_index("ix_dispute_case_tier", table_name="dispute_case")
    op.drop_index("ix_task_state_due", table_name="task")
    op.drop_table("attachment_content")
    op.drop_index("ix_attachment_case_created", table_name="attachment")
    op.drop_table("attachment")
    op.drop_index("ix_case_comment_case_created", table_name="case_comment")
    op.drop_table("case_comment")
    with op.batch_alter_table("user_account") as batch_op:
        batch_op.drop_index(batch_op.f("ix_user_account_town_id"))
        batch_op.drop_index(batch_op.f("ix_user_account_mediation_room_id"))
        batch_op.drop_index(batch_op.f("ix_user_account_police_grid_id"))
        batch_op.drop_constraint(batch_op.f("fk_user_account_town_id_town"), type_="foreignkey")
        batch_op.drop_constraint(batch_op.f("fk_user_account_mediation_room_id_mediation_room"),
                                 type_="foreignkey")
        batch_op.drop_constraint(batch_op.f("fk_user_account_police_grid_id_police_grid"), type_="foreignkey")
        batch_op.drop_column("town_id")
        batch_op.drop_column("mediation_room_id")
        batch_op.drop_column("police_grid_id")
    op.drop_index(op.f("ix_mediation_room_grid_room_id"), table_name="mediation_room_grid")
    op.drop_table("mediation_room_grid")
    op.drop_table("mediation_room")
