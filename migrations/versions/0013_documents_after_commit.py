"""documents rendered after the step's commit: size and hash empty until then, the last rendering error

Revision ID: documents_after_commit
Revises: merge_paperwork_main
Create Date: 2026-11-28

"""
import sqlalchemy as sa
from alembic import op

revision = "documents_after_commit"
down_revision = "merge_paperwork_main"
branch_labels = None
depends_on = None

PENDING = sa.text("sha256 IS NULL")


def upgrade():
    with op.batch_alter_table("case_document") as batch:
        batch.alter_column("size", existing_type=sa.Integer(), nullable=True)
        batch.alter_column("sha256", existing_type=sa.String(64), nullable=True)
        batch.add_column(sa.Column("render_error", sa.String(500), nullable=True))
    op.create_index("ix_case_document_pending", "case_document", ["id"], sqlite_where=PENDING, postgresql_where=PENDING)


def downgrade():
    op.drop_index("ix_case_document_pending", "case_document")
    # A document not rendered yet has no file to keep: its row goes (its step's data is still in the task).
    op.execute("DELETE FROM case_document WHERE sha256 IS NULL")
    with op.batch_alter_table("case_document") as batch:
        batch.drop_column("render_error")
        batch.alter_column("sha256", existing_type=sa.String(64), nullable=False)
        batch.alter_column("size", existing_type=sa.Integer(), nullable=False)
