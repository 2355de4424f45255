"""Save the workflow state of cases at each step of today's process, as the code of the day stores it.

Run by hand after a change of the stored format (never by the tests, which only read the output):

    PYTHONPATH=. .venv/bin/python tests/data/make_saved_states.py

Cases are driven through the services (tests/factories.py) on a temporary SQLite file, with the clock
at the tests' START; every step's saved `workflow_state` row is written to
`tests/data/saved_states/<serializer_version>.json.gz` (gzipped: each state repeats the process) with what is left to do to close the case.
tests/integration/test_saved_states.py loads each one on the current code, continues and closes it.
"""
import gzip
import json
import sys
import tempfile
from datetime import timedelta
from pathlib import Path

import time_machine
from flask_migrate import upgrade

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from app import create_app  # noqa: E402
from app.extensions import db  # noqa: E402
from app.models import DisputeCase, ProcessDefinition, WorkflowState  # noqa: E402
from app.services.design.processes import deploy_processes  # noqa: E402
from app.services.time_limits.timers import fire_due_timers  # noqa: E402
from forms.tasks import TASK_FORMS  # noqa: E402
from tests import factories as f  # noqa: E402
from tests.conftest import START  # noqa: E402

# Each path: the steps that close a case, as (bpmn id, form data) — or ("wait", days) for the clock to move on
# and the timer sweep to run.
PATHS = {
    "level_one_agreement": [
        ("triage_case", f.TRIAGE_L1), ("mediate_on_site", f.ON_SITE_AGREEMENT), ("follow_up_visit", f.FOLLOW_UP),
    ],
    "mediation_room_with_judicial_confirmation": [
        ("triage_case", f.TRIAGE_L1), ("mediate_on_site", f.ON_SITE_FAILED),
        ("assess_four_accounts", f.FOUR_ACCOUNTS), ("hold_mediation_session", f.SESSION_CONTINUE),
        ("hold_mediation_session", f.SESSION_CONFIRM), ("refer_judicial_confirmation", f.JUDICIAL),
        ("follow_up_visit", f.FOLLOW_UP),
    ],
    "joint_consultation_ended": [
        ("triage_case", f.TRIAGE_L3), ("consult_jointly", f.CONSULT_ENDED), ("follow_up_visit", f.FOLLOW_UP),
    ],
    "police_and_back_with_cards": [
        ("triage_case", f.TRIAGE_RISK), ("wait", 2), ("handle_violence_risk", f.POLICE_RETURNED),
        ("wait", 2), ("assess_four_accounts", f.FOUR_ACCOUNTS), ("wait", 3),
        ("hold_mediation_session", f.SESSION_AGREEMENT), ("follow_up_visit", f.FOLLOW_UP),
    ],
}


def main() -> None:
    url = f"sqlite:///{tempfile.mkdtemp()}/saved-states.sqlite"
    app = create_app({"SQLALCHEMY_DATABASE_URI": url, "PASSWORD_HASH_METHOD": "pbkdf2:sha256:1000",
                      "DAY_COUNTING": "calendar", "TESTING": True})
    saved = []
    with app.app_context(), time_machine.travel(START, tick=False) as clock:
        upgrade(directory=str(app.config["MIGRATIONS_DIR"]))
        deploy_processes(ROOT / "processes", TASK_FORMS)
        world = f.make_world()
        for name, steps in PATHS.items():
            clock.move_to(START)
            case = f.open_case(world, name)
            for index in range(len(steps) + 1):
                remaining = steps[index:]
                if index and steps[index - 1][0] == "wait":
                    clock.shift(timedelta(days=steps[index - 1][1]))
                    fire_due_timers()
                elif index:
                    f.step(world, case, *steps[index - 1])
                saved.append(_entry(name, index, case, remaining))
    version = saved[0]["serializer_version"]
    out = ROOT / "tests" / "data" / "saved_states" / f"{version}.json.gz"
    out.parent.mkdir(exist_ok=True)
    out.write_bytes(gzip.compress((json.dumps(saved, ensure_ascii=False, indent=1) + "\n").encode("utf-8"), mtime=0))
    print(f"{len(saved)} states → {out.relative_to(ROOT)}")


def _entry(name: str, index: int, case: DisputeCase, remaining: list) -> dict:
    db.session.expire_all()
    workflow = db.session.get(WorkflowState, case.id)
    definition = db.session.get(ProcessDefinition, workflow.definition_id)
    case = db.session.get(DisputeCase, case.id)
    return {
        "path": name,
        "step": index,
        "saved_at": f"{START + _waited(name, index):%Y-%m-%dT%H:%M:%S%z}",
        "process_checksum": definition.checksum,
        "serializer_version": workflow.serializer_version,
        "card": case.card,
        "remaining": [[bpmn_id, data] for bpmn_id, data in remaining],
        "state": workflow.state,
    }


def _waited(name: str, index: int) -> timedelta:
    return timedelta(days=sum(value for bpmn_id, value in PATHS[name][:index] if bpmn_id == "wait"))


if __name__ == "__main__":
    main()
