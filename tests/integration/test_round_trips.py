"""Round trips per step: how many SQL statements a completion costs (an upper bound — behaviour, not
time), mirrors updated by difference, access asked once, and the connection settings that go with it."""
from contextlib import contextmanager

from sqlalchemy import event, select, text

from app.config import Config, engine_options
from app.extensions import db
from app.models import PendingTimer, User
from app.services.cases import tasks
from tests import factories as f

# One completion (mediate_on_site → follow_up_visit), measured 20 before the round trips were cut; 43 once
# the step also recorded breaches and rendered its documents in the step (each with its content and trail
# entry); 25 since the step only writes its documents' rows and the PDFs are rendered after the commit, and
# one more since a task's candidate roles are rows (the new task's roles: one INSERT, read with the task);
# 23 since the mirror reads the case's ready tasks and timers once and writes with autoflush off (each read
# had flushed the writes so far); 21 since the task is read with its case and the case's category; 20 since the
# task's area is not asked again once its case is visible (a task is on its case's grid). A bound, not a count
# per row.
MAX_STATEMENTS_PER_COMPLETION = 20


@contextmanager
def statements():
    """The SQL statements run inside the block, as a list filled in as they run."""
    seen: list[str] = []

    def record(conn, cursor, statement, parameters, context, executemany):
        seen.append(" ".join(statement.split()))

    event.listen(db.engine, "before_cursor_execute", record)
    try:
        yield seen
    finally:
        event.remove(db.engine, "before_cursor_execute", record)


def test_a_completion_costs_at_most_the_bounded_number_of_statements(world, clock):
    case = f.open_case(world)
    f.step(world, case, "triage_case", f.TRIAGE_L1)
    task = f.current_task(case)
    actor_id, task_id = world["grid_worker"].id, task.id
    db.session.expire_all()  # as a request starts: nothing of the case in the session, only its user
    actor = db.session.get(User, actor_id)
    with statements() as seen:
        tasks.submit_task(actor, task_id, f.ON_SITE_AGREEMENT)
    assert f.current_task(case).bpmn_id == "follow_up_visit"
    assert len(seen) <= MAX_STATEMENTS_PER_COMPLETION, "\n".join(seen)
    visibility = [sql for sql in seen if sql.startswith("SELECT EXISTS (SELECT * FROM dispute_case")]
    assert len(visibility) == 1, "the case's visibility is asked once per transaction"
    assert not [sql for sql in seen if "case_document_content" in sql], "no PDF is rendered inside the step"


def test_timers_left_as_they_were_are_not_rewritten(world, clock):
    case = f.open_case(world)
    f.step(world, case, "triage_case", f.TRIAGE_L2)
    # The case's clocks run on through the step; only the step's own limit ends and the next one's starts.
    running = {"mediation_limit", "yellow_card", "red_card"}
    before = {row.id: (row.bpmn_id, row.due_at) for row in db.session.scalars(select(PendingTimer))
              if row.bpmn_id in running}
    assert {bpmn_id for bpmn_id, _due in before.values()} == running
    with statements() as seen:
        f.step(world, case, "assess_four_accounts", f.FOUR_ACCOUNTS)
    assert f.current_task(case).bpmn_id == "hold_mediation_session"
    after = {row.id: (row.bpmn_id, row.due_at) for row in db.session.scalars(select(PendingTimer))
             if row.bpmn_id in running}
    assert after == before
    assert len([sql for sql in seen if sql.startswith("DELETE FROM pending_timer")]) <= 1
    assert not [sql for sql in seen if sql.startswith("UPDATE pending_timer")]


def test_a_timer_that_ends_is_deleted_and_only_it(world, clock):
    case = f.open_case(world)
    f.step(world, case, "triage_case", f.TRIAGE_L1)
    kept = {row.id for row in db.session.scalars(select(PendingTimer).where(PendingTimer.bpmn_id != "on_site_deadline"))}
    f.step(world, case, "mediate_on_site", f.ON_SITE_FAILED)
    rows = {row.id: row.bpmn_id for row in db.session.scalars(select(PendingTimer))}
    assert kept <= set(rows) and "on_site_deadline" not in rows.values()
    assert "mediation_limit" in rows.values()


def test_the_openapi_document_is_built_once_per_language(client):
    client.get("/api/v1/openapi.json")
    client.get("/api/v1/openapi.json", headers={"Accept-Language": "en"})
    with statements() as seen:
        chinese = client.get("/api/v1/openapi.json")
        english = client.get("/api/v1/openapi.json", headers={"Accept-Language": "en"})
    assert chinese.status_code == english.status_code == 200
    assert chinese.get_json()["info"]["title"] != english.get_json()["info"]["title"]
    assert seen == []


def test_connections_carry_their_database_settings(app):
    """SQLite: a write-ahead log synced at checkpoints, a busy timeout and pages read through a memory map;
    PostgreSQL: no JIT."""
    with db.engine.connect() as connection:
        if db.engine.dialect.name == "sqlite":
            assert connection.execute(text("PRAGMA journal_mode")).scalar() == "wal"
            assert connection.execute(text("PRAGMA synchronous")).scalar() == 1  # NORMAL
            assert connection.execute(text("PRAGMA busy_timeout")).scalar() == 10000
            assert connection.execute(text("PRAGMA mmap_size")).scalar() == app.config["SQLITE_MMAP_MB"] << 20 > 0
        else:
            assert connection.execute(text("SHOW jit")).scalar() == "off"


def test_postgresql_gets_a_sized_pool_and_no_jit(app):
    options = engine_options({**vars(Config), "SQLALCHEMY_DATABASE_URI": "postgresql+psycopg://db/jiefen",
                              "SQLALCHEMY_ENGINE_OPTIONS": {}})
    assert (options["pool_size"], options["max_overflow"]) == (Config.DATABASE_POOL_SIZE, Config.DATABASE_MAX_OVERFLOW)
    assert options["connect_args"] == {"options": "-c jit=off"} and options["pool_pre_ping"] is True
    sqlite = engine_options({**vars(Config), "SQLALCHEMY_DATABASE_URI": "sqlite:///x", "SQLALCHEMY_ENGINE_OPTIONS": {}})
    assert sqlite == {}


def test_trail_entries_written_together_reach_the_database_in_one_statement(world, clock):
    """Entries written together (at a flush), one INSERT: on PostgreSQL one multi-row statement (psycopg's
    own executemany sends a statement per row), on SQLite one executemany call (in-process: no round trip)."""
    case = f.open_case(world)
    calls: list[tuple[str, bool]] = []

    def record(conn, cursor, statement, parameters, context, executemany):
        calls.append((statement, executemany))

    event.listen(db.engine, "before_cursor_execute", record)
    try:
        f.step(world, case, "triage_case", f.TRIAGE_L1)
    finally:
        event.remove(db.engine, "before_cursor_execute", record)
    inserts = [(sql, many) for sql, many in calls if sql.startswith("INSERT INTO trail_event")]
    assert 1 <= len(inserts) <= 2  # the step's entries so far when its new tasks get their ids, then the rest
    if db.engine.dialect.name == "postgresql":
        assert any(sql.count("), (") for sql, _many in inserts), "several rows in one statement"
    else:
        assert any(many for _sql, many in inserts)
