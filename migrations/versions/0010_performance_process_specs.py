"""process specs stored once per version: cases' workflow states keep only the instance

Revision ID: performance_process_specs
Revises: 0009_time_limit_record
Create Date: 2026-11-28

Each saved state (SpiffWorkflow's whole workflow, "spiff-<v>") embeds the process and subprocess specs,
~34 KB of ~50 KB. Upgrade moves them out: one `process_spec` row per process version (and serializer
version), the state keeps the rest ("spiff-<v>/instance"). Downgrade puts them back. Plain JSON work,
no engine code, in batches so a large table never sits in memory.
"""
import json

import sqlalchemy as sa
from alembic import op

revision = "performance_process_specs"
down_revision = "0009_time_limit_record"
branch_labels = None
depends_on = None

INSTANCE = "/instance"
BATCH = 500
SPEC_KEYS = ("spec", "subprocess_specs")

workflow_state = sa.table(
    "workflow_state",
    sa.column("case_id", sa.Integer), sa.column("definition_id", sa.Integer),
    sa.column("serializer_version", sa.String), sa.column("state", sa.Text),
)
process_spec = sa.table(
    "process_spec",
    sa.column("definition_id", sa.Integer), sa.column("serializer_version", sa.String), sa.column("specs", sa.Text),
)


def upgrade():
    op.create_table(
        "process_spec",
        sa.Column("definition_id", sa.Integer(), nullable=False),
        sa.Column("serializer_version", sa.String(length=20), nullable=False),
        sa.Column("specs", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(["definition_id"], ["process_definition.id"],
                                name=op.f("fk_process_spec_definition_id_process_definition"), ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("definition_id", "serializer_version", name=op.f("pk_process_spec")),
    )
    with op.batch_alter_table("workflow_state") as batch_op:
        batch_op.alter_column("serializer_version", type_=sa.String(length=30), existing_type=sa.String(length=20))
    connection = op.get_bind()
    stored: set[tuple[int, str]] = set()
    for rows in _batches(connection, ~workflow_state.c.serializer_version.like(f"%{INSTANCE}")):
        for case_id, definition_id, version, state in rows:
            instance = json.loads(state)
            specs = {key: instance.pop(key) for key in SPEC_KEYS}
            instance.pop("serializer_version", None)  # the column says it
            if (definition_id, version) not in stored:
                connection.execute(sa.delete(process_spec).where(
                    process_spec.c.definition_id == definition_id, process_spec.c.serializer_version == version))
                connection.execute(sa.insert(process_spec).values(
                    definition_id=definition_id, serializer_version=version, specs=json.dumps(specs)))
                stored.add((definition_id, version))
            connection.execute(sa.update(workflow_state).where(workflow_state.c.case_id == case_id).values(
                state=json.dumps(instance), serializer_version=version + INSTANCE))


def downgrade():
    connection = op.get_bind()
    specs: dict[tuple[int, str], dict] = {}
    for rows in _batches(connection, workflow_state.c.serializer_version.like(f"%{INSTANCE}")):
        for case_id, definition_id, version, state in rows:
            library_version = version.removesuffix(INSTANCE)
            if (definition_id, library_version) not in specs:
                specs[(definition_id, library_version)] = json.loads(connection.execute(
                    sa.select(process_spec.c.specs).where(process_spec.c.definition_id == definition_id,
                                                          process_spec.c.serializer_version == library_version)
                ).scalar_one())
            whole = {**json.loads(state), **specs[(definition_id, library_version)],
                     "serializer_version": library_version.removeprefix("spiff-")}
            connection.execute(sa.update(workflow_state).where(workflow_state.c.case_id == case_id).values(
                state=json.dumps(whole), serializer_version=library_version))
    with op.batch_alter_table("workflow_state") as batch_op:
        batch_op.alter_column("serializer_version", type_=sa.String(length=20), existing_type=sa.String(length=30))
    op.drop_table("process_spec")


def _batches(connection, condition):
    """The matching workflow rows, BATCH at a time by case id (each batch is rewritten before the next read)."""
    after = 0
    while True:
        rows = connection.execute(
            sa.select(workflow_state.c.case_id, workflow_state.c.definition_id,
                      workflow_state.c.serializer_version, workflow_state.c.state)
            .where(condition, workflow_state.c.case_id > after)
            .order_by(workflow_state.c.case_id).limit(BATCH)
        ).all()
        if not rows:
            return
        yield rows
        after = rows[-1].case_id
