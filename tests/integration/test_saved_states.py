"""Cases saved by earlier code (tests/data/saved_states/, made by tests/data/make_saved_states.py) load,
continue and close on the current code: an upgrade of the engine or of the stored format strands none.

States are kept per stored format (the file name is the serializer version they were written in):
`spiff-1.5` is the whole workflow with its process specs, as stored before the specs were kept once per
process version. They are read as stored (the serializer version is read on load and the state upgraded)
and after the migrations that convert stored cases (0010 keeps the specs apart, 0015 compresses the states),
both ways.
"""
import gzip
import json
from datetime import datetime, timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa
import time_machine
from flask_migrate import downgrade, upgrade
from sqlalchemy import select

from app import create_app
from app.extensions import db
from app.models import ProcessDefinition, WorkflowState
from app.services import engine
from app.services.cases.mirror import saved_state
from app.services.design.processes import StoredSpecs, add_version
from app.services.errors import ProcessError
from app.services.time_limits.business_calendar import BusinessCalendar
from tests.conftest import PROCESSES_DIR

SAVED = sorted((Path(__file__).resolve().parents[1] / "data" / "saved_states").glob("*.json.gz"))
STATES = [entry for path in SAVED for entry in json.loads(gzip.decompress(path.read_bytes()))]
CALENDAR = BusinessCalendar("calendar")
BEFORE_SPECS_WERE_KEPT_APART = "0009_time_limit_record"


@pytest.fixture
def deployed(app, deployed):
    """Today's processes, and the versions the saved cases ran on (kept beside them, by checksum prefix)."""
    for path in sorted(Path(SAVED[0]).parent.glob("*.bpmn")):
        add_version(path.read_text(encoding="utf-8"), None)
    db.session.commit()
    return deployed


def ids(entry) -> str:
    return f'{entry["serializer_version"]}-{entry["path"]}-{entry["step"]}'


def continue_and_close(entry: dict, saved: engine.SavedState) -> engine.EngineResult:
    """Load a saved state at the time it was saved, do what is left of its path, return the last result."""
    process = saved.process
    with time_machine.travel(datetime.fromisoformat(entry["saved_at"]), tick=False) as clock:
        result = engine.describe(saved)
        for bpmn_id, data in entry["remaining"]:
            saved = engine.SavedState(result.state, result.serializer_version, process)
            if bpmn_id == "wait":
                clock.shift(timedelta(days=data))
                result = engine.fire_due_timers(saved, CALENDAR)
                assert result.fired_timers
                continue
            [task] = [task for task in result.ready_tasks if task.bpmn_id == bpmn_id]
            result = engine.complete_task(saved, task.engine_task_id, data, CALENDAR)
    assert result.completed and not result.ready_tasks
    assert result.data["result"] in ("agreement", "ended", "taken_over")
    return result


def test_there_are_saved_states_of_every_path():
    assert {entry["path"] for entry in STATES} >= {
        "level_one_agreement", "mediation_room_with_judicial_confirmation", "joint_consultation_ended",
        "police_and_back_with_cards",
    }


@pytest.mark.parametrize("entry", STATES, ids=ids)
def test_a_state_as_stored_then_is_upgraded_on_load_continues_and_closes(deployed, entry):
    definition = db.session.scalars(
        select(ProcessDefinition).where(ProcessDefinition.checksum == entry["process_checksum"])
    ).one()
    saved = engine.SavedState(entry["state"], entry["serializer_version"], StoredSpecs(definition.id))
    upgraded = engine.describe(saved)
    assert upgraded.serializer_version == engine.SERIALIZER_VERSION != entry["serializer_version"]
    assert len(upgraded.state) < len(entry["state"]) / 2  # the specs are no longer in it
    assert engine.describe(engine.SavedState(upgraded.state, upgraded.serializer_version, saved.process)) == upgraded
    continue_and_close(entry, saved)


def test_an_unknown_stored_format_is_refused_with_its_name(deployed):
    definition = db.session.scalars(select(ProcessDefinition)).first()
    with pytest.raises(ProcessError, match="spiff-9.9/zipped"):
        engine.describe(engine.SavedState(STATES[0]["state"], "spiff-9.9/zipped", StoredSpecs(definition.id)))


def test_the_migration_converts_stored_cases_both_ways_and_they_close(tmp_path):
    """On a database at the schema before the change, with the saved states as its cases' rows."""
    app = create_app({"TESTING": True, "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'old.sqlite'}"})
    migrations = str(app.config["MIGRATIONS_DIR"])
    engine.forget_specs()  # this database's process version 1 is not the test database's
    with app.app_context():
        upgrade(directory=migrations, revision=BEFORE_SPECS_WERE_KEPT_APART)
        with db.engine.begin() as connection:
            _insert_old_rows(connection)
        upgrade(directory=migrations)  # through 0010 (specs kept apart) and 0015 (states compressed)
        rows = {row.case_id: row for row in db.session.scalars(select(WorkflowState))}
        assert {row.serializer_version for row in rows.values()} == {"spiff-1.5/instance"}
        assert db.session.scalar(sa.text("SELECT count(*) FROM process_spec")) == 1
        for case_id, entry in enumerate(STATES, start=1):
            assert len(rows[case_id].state) < len(entry["state"]) / 2
            continue_and_close(entry, saved_state(rows[case_id]))
        db.session.rollback()
        downgrade(directory=migrations, revision=BEFORE_SPECS_WERE_KEPT_APART)
        with db.engine.connect() as connection:
            restored = connection.execute(sa.text(
                "SELECT case_id, serializer_version, state FROM workflow_state ORDER BY case_id")).all()
        for (case_id, version, state), entry in zip(restored, STATES, strict=True):
            assert version == entry["serializer_version"]
            assert json.loads(state) == json.loads(entry["state"])
        db.session.remove()
    engine.forget_specs()


def _insert_old_rows(connection) -> None:
    """One process version and one case per saved state, as the schema of 0009 held them."""
    connection.exec_driver_sql("PRAGMA foreign_keys=OFF")  # the cases' other rows do not matter here
    bpmn_xml = (PROCESSES_DIR / "dispute_mediation.bpmn").read_text(encoding="utf-8")
    connection.execute(sa.text(
        "INSERT INTO process_definition (id, key, version, name, bpmn_xml, checksum, deployed_at)"
        " VALUES (1, 'dispute_mediation', 1, '矛盾纠纷', :xml, :checksum, '2026-11-24 01:00:00')"
    ), {"xml": bpmn_xml, "checksum": engine.checksum(bpmn_xml)})
    for case_id, entry in enumerate(STATES, start=1):
        connection.execute(sa.text(
            "INSERT INTO workflow_state (case_id, definition_id, serializer_version, state, version)"
            " VALUES (:case_id, 1, :version, :state, 1)"
        ), {"case_id": case_id, "version": entry["serializer_version"], "state": entry["state"]})
