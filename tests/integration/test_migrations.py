"""The migrations build exactly the schema the models describe, on SQLite and PostgreSQL."""
import zlib

import pytest
from alembic.autogenerate import compare_metadata
from alembic.config import Config
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Column, inspect, select, text

from app.extensions import db
from app.models import CaseRoute, Task, WorkflowState
from app.services import engine
from app.services.cases.mirror import saved_state
from app.services.cases.search import is_search_table
from tests import factories as f

pytestmark = pytest.mark.commits  # the schema, read on a connection of its own


def test_models_and_migrations_agree(app):
    # Indexes over expressions are left out: Alembic cannot reflect them on SQLite, nor match their text
    # on PostgreSQL; tests/integration/test_list_plans.py checks that the plans use them.
    expression_indexes = {index.name for table in db.metadata.tables.values() for index in table.indexes
                          if any(not isinstance(expression, Column) for expression in index.expressions)}

    def compared(_object, name, type_, _reflected, _compare_to) -> bool:
        return not (type_ == "index" and name in expression_indexes)

    with db.engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={
            "include_object": compared,
            "include_name": lambda name, type_, parents: type_ != "table" or not is_search_table(name)})
        differences = compare_metadata(context, db.metadata)
    assert differences == []


def test_the_migrations_have_one_head(app):
    config = Config()
    config.set_main_option("script_location", str(app.config["MIGRATIONS_DIR"]))
    assert len(ScriptDirectory.from_config(config).get_heads()) == 1


def index_names(table: str) -> set[str]:
    """The table's indexes by name, those over expressions too (which SQLAlchemy cannot reflect on SQLite)."""
    if db.engine.dialect.name == "postgresql":
        query = "SELECT indexname FROM pg_indexes WHERE tablename = :table"
    else:
        query = "SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = :table"
    return set(db.session.scalars(text(query), {"table": table}))


def test_candidate_roles_move_to_their_table_and_back(app, world, clock):
    """0013 turns each task's ",role,role," string into rows and the downgrade rebuilds the string; the
    task table keeps its indexes through SQLite's rebuilds of it."""
    from flask_migrate import downgrade, upgrade

    case = f.open_case(world)
    f.step(world, case, "triage_case", f.TRIAGE_L1)  # triage (dispatcher) done, on-site (grid worker, police) ready
    roles = {task.bpmn_id: task.roles for task in db.session.scalars(select(Task).where(Task.case_id == case.id))}
    assert roles == {"triage_case": ["dispatcher"], "mediate_on_site": ["grid_worker", "police_officer"]}
    directory = str(app.config["MIGRATIONS_DIR"])
    db.session.remove()
    downgrade(directory=directory, revision="merge_paperwork_main")
    strings = dict(db.session.execute(text("SELECT bpmn_id, candidate_roles FROM task")).all())
    assert strings == {"triage_case": ",dispatcher,", "mediate_on_site": ",grid_worker,police_officer,"}
    db.session.remove()
    upgrade(directory=directory)
    assert {task.bpmn_id: task.roles for task in db.session.scalars(select(Task))} == roles
    assert {index.name for index in Task.__table__.indexes} <= index_names("task")
    assert "ix_task_candidate_role_role_task" in {
        index["name"] for index in inspect(db.session.connection()).get_indexes("task_candidate_role")}


def test_workflow_states_are_compressed_and_back(app, world, clock):
    """A case's workflow state is stored zlib-compressed (a fifth of its JSON); the migration compresses the
    states stored as text, its downgrade writes them back as text, and the case goes on either way."""
    from flask_migrate import downgrade, upgrade

    case = f.open_case(world)
    f.step(world, case, "triage_case", f.TRIAGE_L1)
    case_id = case.id
    state = db.session.get(WorkflowState, case_id).state
    stored = db.session.execute(text("SELECT state FROM workflow_state")).scalar_one()
    assert isinstance(stored, bytes) and zlib.decompress(stored).decode("utf-8") == state
    assert len(stored) < len(state.encode("utf-8")) / 3
    directory = str(app.config["MIGRATIONS_DIR"])
    db.session.remove()
    downgrade(directory=directory, revision="merge_roles_documents")  # 0015 (and those after it) undone
    with db.engine.connect() as connection:
        assert connection.execute(text("SELECT state FROM workflow_state")).scalar_one() == state
    upgrade(directory=directory)
    assert db.session.execute(text("SELECT state FROM workflow_state")).scalar_one() == stored
    restored = engine.describe(saved_state(db.session.get_one(WorkflowState, case_id)))
    assert [task.bpmn_id for task in restored.ready_tasks] == ["mediate_on_site"]


def test_case_routes_are_filled_from_the_tasks(app, world, clock):
    """case_route is made from the roles every task of a case names (done and ready ones alike), and goes
    with its downgrade; the steps keep it from then on."""
    from flask_migrate import downgrade, upgrade

    case = f.open_case(world)
    f.step(world, case, "triage_case", f.TRIAGE_L2)  # triage (dispatcher) done, the four accounts (mediator) ready
    case_id = case.id
    kept = set(db.session.execute(select(CaseRoute.case_id, CaseRoute.role)))
    assert kept == {(case_id, "dispatcher"), (case_id, "mediator")}
    directory = str(app.config["MIGRATIONS_DIR"])
    db.session.remove()
    downgrade(directory=directory, revision="dashboard_case_counts")
    assert "case_route" not in inspect(db.session.connection()).get_table_names()
    upgrade(directory=directory)
    assert set(db.session.execute(select(CaseRoute.case_id, CaseRoute.role))) == kept
    assert "ix_case_route_role_case" in {index["name"] for index in inspect(db.session.connection()).get_indexes("case_route")}
