"""Cases saved by earlier code (tests/data/saved_states/, made by tests/data/make_saved_states.py) load,
continue and close on the current code: an upgrade of the engine or of the stored format strands none."""
import gzip
import json
from datetime import datetime, timedelta
from pathlib import Path

import pytest
import time_machine

from app.services import engine
from app.services.time_limits.business_calendar import BusinessCalendar

SAVED = sorted((Path(__file__).resolve().parents[1] / "data" / "saved_states").glob("*.json.gz"))
STATES = [entry for path in SAVED for entry in json.loads(gzip.decompress(path.read_bytes()))]
CALENDAR = BusinessCalendar("calendar")


def test_there_are_saved_states_of_every_path():
    assert {entry["path"] for entry in STATES} >= {
        "level_one_agreement", "mediation_room_with_judicial_confirmation", "joint_consultation_ended",
        "police_and_back_with_cards",
    }


@pytest.mark.parametrize("entry", STATES, ids=lambda e: f'{e["serializer_version"]}-{e["path"]}-{e["step"]}')
def test_a_saved_state_loads_continues_and_closes(entry):
    at = datetime.fromisoformat(entry["saved_at"])
    with time_machine.travel(at, tick=False) as clock:
        result = engine.describe(entry["state"])
        for bpmn_id, data in entry["remaining"]:
            if bpmn_id == "wait":
                clock.shift(timedelta(days=data))
                result = engine.fire_due_timers(result.state, CALENDAR)
                assert result.fired_timers
                continue
            [task] = [task for task in result.ready_tasks if task.bpmn_id == bpmn_id]
            result = engine.complete_task(result.state, task.engine_task_id, data, CALENDAR)
    assert result.completed and not result.ready_tasks
    assert result.data["result"] in ("agreement", "ended", "taken_over")
