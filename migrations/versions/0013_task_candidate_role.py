"""a task's candidate roles as rows of task_candidate_role instead of a ",role,role," string

Revision ID: 0013_task_candidate_role
Revises: merge_paperwork_main
Create Date: 2026-12-01

"""
from alembic import op
import sqlalchemy as sa

revision = "0013_task_candidate_role"
down_revision = "merge_paperwork_main"
branch_labels = None
depends_on = None

# The task table's own indexes (0001, 0005): a SQLite batch rebuild of the table should carry them over;
# the upgrade and the downgrade check that it did.
TASK_INDEXES = {"ix_task_state_grid", "ix_task_assignee_state", "ix_task_case_state", "ix_task_state_due",
                "ix_task_due_at"}

task = sa.table("task", sa.column("id", sa.Integer()), sa.column("candidate_roles", sa.String(200)))
task_candidate_role = sa.table("task_candidate_role", sa.column("task_id", sa.Integer()),
                               sa.column("role", sa.String(20)))


def upgrade():
    op.create_table(
        "task_candidate_role",
        sa.Column("task_id", sa.Integer(), nullable=False),
        sa.Column("role", sa.String(length=20), nullable=False),
        sa.ForeignKeyConstraint(["task_id"], ["task.id"], name=op.f("fk_task_candidate_role_task_id_task"),
                                ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("task_id", "role", name=op.f("pk_task_candidate_role")),
    )
    op.create_index("ix_task_candidate_role_role_task", "task_candidate_role", ["role", "task_id"])
    connection = op.get_bind()
    # Split in Python, the same on SQLite and PostgreSQL; a batch of rows at a time.
    rows = connection.execute(sa.select(task.c.id, task.c.candidate_roles), execution_options={"yield_per": 5000})
    for batch in rows.partitions():
        split = [{"task_id": task_id, "role": role} for task_id, roles in batch
                 for role in dict.fromkeys((roles or "").split(",")) if role]
        if split:
            connection.execute(task_candidate_role.insert(), split)
    with op.batch_alter_table("task") as batch_op:  # SQLite drops a column by rebuilding the table
        batch_op.drop_column("candidate_roles")
    _check_task_indexes()


def downgrade():
    with op.batch_alter_table("task") as batch_op:
        batch_op.add_column(sa.Column("candidate_roles", sa.String(length=200), nullable=False, server_default=",,"))
    connection = op.get_bind()
    roles: dict[int, list[str]] = {}
    for task_id, role in connection.execute(sa.select(task_candidate_role.c.task_id, task_candidate_role.c.role)
                                            .order_by(task_candidate_role.c.task_id, task_candidate_role.c.role)):
        roles.setdefault(task_id, []).append(role)
    # The string again (",grid_worker,police_officer,"), one UPDATE per distinct string and chunk of tasks.
    by_string: dict[str, list[int]] = {}
    for task_id, names in roles.items():
        by_string.setdefault("," + ",".join(names) + ",", []).append(task_id)
    for string, task_ids in by_string.items():
        for start in range(0, len(task_ids), 500):
            connection.execute(task.update().where(task.c.id.in_(task_ids[start:start + 500]))
                               .values(candidate_roles=string))
    with op.batch_alter_table("task") as batch_op:
        batch_op.alter_column("candidate_roles", server_default=None, existing_type=sa.String(length=200),
                              existing_nullable=False)
    op.drop_index("ix_task_candidate_role_role_task", table_name="task_candidate_role")
    op.drop_table("task_candidate_role")
    _check_task_indexes()


def _check_task_indexes():
    found = {index["name"] for index in sa.inspect(op.get_bind()).get_indexes("task")}
    missing = TASK_INDEXES - found
    if missing:
        raise RuntimeError(f"the task table lost its indexes {sorted(missing)} in the rebuild")
