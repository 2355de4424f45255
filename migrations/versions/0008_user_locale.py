"""users' language: zh_CN (the default) or en

Revision ID: 0008_user_locale
Revises: 0007_merge
Create Date: 2026-11-24

"""
from alembic import op
import sqlalchemy as sa

revision = "0008_user_locale"
down_revision = "0007_merge"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("user_account") as batch_op:
        batch_op.add_column(sa.Column("locale", sa.String(length=10), nullable=False, server_default="zh_CN"))


def downgrade():
    with op.batch_alter_table("user_account") as batch_op:
        batch_op.drop_column("locale")
