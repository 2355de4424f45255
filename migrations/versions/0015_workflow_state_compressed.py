"""workflow states stored zlib-compressed (LargeBinary) instead of as JSON text

Revision ID: workflow_state_compressed
Revises: merge_roles_documents
Create Date: 2026-11-28

"""
import zlib

import sqlalchemy as sa
from alembic import op

revision = "workflow_state_compressed"
down_revision = "merge_roles_documents"
branch_labels = None
depends_on = None

COMPRESSION_LEVEL = 1  # as app.models.types.CompressedText writes them
BATCH = 1000


def upgrade():
    # PostgreSQL converts the text to its UTF-8 bytes; SQLite keeps each value as it was until rewritten below.
    with op.batch_alter_table("workflow_state") as batch:
        batch.alter_column("state", existing_type=sa.Text(), type_=sa.LargeBinary(), existing_nullable=False,
                           postgresql_using="convert_to(state, 'UTF8')")
    _rewrite(lambda value: zlib.compress(value if isinstance(value, bytes) else value.encode("utf-8"), COMPRESSION_LEVEL))


def downgrade():
    if op.get_bind().dialect.name == "postgresql":
        _rewrite(zlib.decompress)  # the JSON's UTF-8 bytes, converted to text by the type change below
    else:
        _rewrite(lambda value: zlib.decompress(value).decode("utf-8"))
    with op.batch_alter_table("workflow_state") as batch:
        batch.alter_column("state", existing_type=sa.LargeBinary(), type_=sa.Text(), existing_nullable=False,
                           postgresql_using="convert_from(state, 'UTF8')")


def _rewrite(convert) -> None:
    """Every state through `convert`, a thousand rows at a time (a county's states do not fit in memory at once)."""
    connection = op.get_bind()
    # Untyped: each value goes to the driver as it is (bytes, or text on the way back on SQLite).
    table = sa.table("workflow_state", sa.column("case_id", sa.Integer()), sa.column("state"))
    after = 0
    while True:
        rows = connection.execute(sa.select(table.c.case_id, table.c.state).where(table.c.case_id > after)
                                  .order_by(table.c.case_id).limit(BATCH)).all()
        if not rows:
            break
        connection.execute(table.update().where(table.c.case_id == sa.bindparam("id")).values(state=sa.bindparam("new")),
                           [{"id": case_id, "new": convert(state)} for case_id, state in rows])
        after = rows[-1].case_id
