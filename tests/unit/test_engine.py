"""The engine wrapper over SpiffWorkflow, driven with the real mediation process and a frozen clock."""
from dataclasses import dataclass
from datetime import date, datetime, timedelta, timezone
from decimal import Decimal
from pathlib import Path
from uuid import uuid4

import pytest

from app.services import engine
from app.services.errors import DefinitionError, InvalidInputError, ProcessError, TaskNotReadyError
from tests.conftest import START

MEDIATION = (Path(__file__).resolve().parents[2] / "processes" / "dispute_mediation.bpmn").read_text(encoding="utf-8")
TRIAGE_L1 = {"category": "neighbour", "violence_risk": False, "tier": 1, "triage_note": "x"}


def bpmn(body: str, executable: str = "true") -> str:
    """A one-process definition around `body`, which must start at `start` and may end at `end`."""
    return f"""<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL"
    xmlns:camunda="http://camunda.org/schema/1.0/bpmn" id="defs" targetNamespace="http://bpmn.io/schema/bpmn">
  <bpmn:process id="tiny" isExecutable="{executable}">
    <bpmn:startEvent id="start" />
    {body}
    <bpmn:endEvent id="end" />
  </bpmn:process>
</bpmn:definitions>"""


def flow(source: str, target: str, condition: str = "") -> str:
    expression = f"<bpmn:conditionExpression>{condition}</bpmn:conditionExpression>" if condition else ""
    return f'<bpmn:sequenceFlow id="{source}_to_{target}" sourceRef="{source}" targetRef="{target}">{expression}</bpmn:sequenceFlow>'


FILL_IN = '<bpmn:userTask id="fill_in" camunda:formKey="fill_in" camunda:candidateGroups="clerk" />'


@dataclass(frozen=True)
class Diagram:
    """A process known by its diagram alone, no specs stored (engine.ProcessSpecs without a database):
    the engine parses the diagram each time."""

    text: str
    version_id: int = 0

    def read(self, serializer_version: str) -> None:
        return None

    def bpmn_xml(self) -> str:
        return self.text


def saved(result, definition: str = "") -> engine.SavedState:
    """A result's state as it would be stored, on its diagram (the mediation process unless given)."""
    return engine.SavedState(result.state, result.serializer_version, Diagram(definition or MEDIATION))


def ready_ids(result) -> list[str]:
    return [task.bpmn_id for task in result.ready_tasks]


@pytest.fixture
def started(clock):
    return engine.start_workflow(Diagram(MEDIATION), {"case_no": "A-1", "source": "grid_patrol"})


@pytest.fixture
def on_site(started):
    return engine.complete_task(saved(started), started.ready_tasks[0].engine_task_id, TRIAGE_L1)


def test_inspect_definition_reads_the_process_key():
    info = engine.inspect_definition(MEDIATION)
    assert info.key == "dispute_mediation"
    assert info.checksum == engine.checksum(MEDIATION)


def test_start_waits_for_triage_with_yellow_and_red_cards(started):
    (task,) = started.ready_tasks
    assert (task.bpmn_id, task.form_key, task.roles) == ("triage_case", "triage", ("dispatcher",))
    assert {(timer.bpmn_id, timer.signal, timer.due_at) for timer in started.timers} == {
        ("yellow_card", "yellow_card", START + timedelta(days=3)),
        ("red_card", "red_card", START + timedelta(days=6)),
        ("triage_deadline", "step_overdue", START + timedelta(days=1)),
    }
    assert task.due_at == START + timedelta(days=1)
    assert started.data == {"case_no": "A-1", "source": "grid_patrol"}
    assert not started.completed and started.fired_timers == ()
    assert started.serializer_version == engine.SERIALIZER_VERSION


def test_triage_tier_one_goes_to_on_site_mediation(on_site):
    (task,) = on_site.ready_tasks
    assert (task.bpmn_id, task.tier, task.roles) == ("mediate_on_site", 1, ("grid_worker", "police_officer"))
    assert task.due_at == START + timedelta(days=3)
    assert on_site.data["tier"] == 1 and on_site.data["case_no"] == "A-1"


def test_completing_a_task_twice_is_refused(started, on_site):
    with pytest.raises(TaskNotReadyError):
        engine.complete_task(saved(on_site), started.ready_tasks[0].engine_task_id, TRIAGE_L1)


# Named ids: a random uuid in the test's name would differ between pytest-xdist's workers, which must collect the same.
@pytest.mark.parametrize("task_id", [str(uuid4()), "not-a-uuid", ""], ids=["unknown-uuid", "not-a-uuid", "empty"])
def test_unknown_or_malformed_task_id_is_refused(started, task_id):
    with pytest.raises(TaskNotReadyError):
        engine.complete_task(saved(started), task_id, TRIAGE_L1)


@pytest.mark.parametrize("key", ["_private", "__builtins__", "not an identifier", "1st", "a-b", 7])
def test_bad_data_keys_are_refused(started, key):
    task_id = started.ready_tasks[0].engine_task_id
    with pytest.raises(InvalidInputError):
        engine.complete_task(saved(started), task_id, {**TRIAGE_L1, key: "x"})
    with pytest.raises(InvalidInputError):
        engine.start_workflow(Diagram(MEDIATION), {key: "x"})


def test_due_timers_escalate_on_site_mediation(clock, on_site):
    clock.shift(timedelta(days=3, minutes=1))
    result = engine.fire_due_timers(saved(on_site))
    assert {timer.signal for timer in result.fired_timers} == {"escalated", "yellow_card"}
    assert ready_ids(result) == ["assess_four_accounts"]
    assert {timer.bpmn_id for timer in result.timers} == {"mediation_limit", "red_card", "four_accounts_deadline"}


def test_timers_not_yet_due_do_not_fire(clock, on_site):
    clock.shift(timedelta(days=2, hours=23))
    result = engine.fire_due_timers(saved(on_site))
    assert result.fired_timers == ()
    assert ready_ids(result) == ["mediate_on_site"]


def test_saved_state_describes_the_same_ready_tasks(on_site):
    described = engine.describe(saved(on_site))
    assert described.ready_tasks == on_site.ready_tasks
    assert described.timers == on_site.timers
    assert described.data == on_site.data


def test_undefined_name_in_a_gateway_condition_is_a_process_error():
    definition = bpmn(
        FILL_IN + '<bpmn:exclusiveGateway id="decide" />'
        + flow("start", "fill_in") + flow("fill_in", "decide") + flow("decide", "end", "missing_name == 1")
    )
    started = engine.start_workflow(Diagram(definition), {})
    assert ready_ids(started) == ["fill_in"]
    with pytest.raises(ProcessError, match="'missing_name' is not defined"):
        engine.complete_task(saved(started, definition), started.ready_tasks[0].engine_task_id, {"answer": 1})


def test_script_tasks_are_refused_and_not_run(tmp_path):
    target = tmp_path / "pwned"
    definition = bpmn(
        f"""<bpmn:scriptTask id="run_script" scriptFormat="python">
              <bpmn:script>open('{target}', 'w').write('x')</bpmn:script>
            </bpmn:scriptTask>"""
        + flow("start", "run_script") + flow("run_script", "end")
    )
    engine.inspect_definition(definition)
    with pytest.raises(ProcessError, match="run_script"):
        engine.start_workflow(Diagram(definition), {})
    assert not target.exists()


def test_code_in_conditions_and_timers_is_refused_and_not_run(tmp_path):
    target = tmp_path / "pwned"
    attack = f"__import__('os').system('touch {target}') == 0"
    gateway = bpmn(
        '<bpmn:exclusiveGateway id="decide" default="decide_to_end" />'
        + flow("start", "decide") + flow("decide", "end") + flow("decide", "fill_in", attack) + FILL_IN
    )
    timer = bpmn(
        f"""<bpmn:intermediateCatchEvent id="wait"><bpmn:timerEventDefinition>
              <bpmn:timeDuration>{attack}</bpmn:timeDuration>
            </bpmn:timerEventDefinition></bpmn:intermediateCatchEvent>"""
        + flow("start", "wait") + flow("wait", "end")
    )
    for definition in (gateway, timer):
        with pytest.raises(ProcessError):
            engine.start_workflow(Diagram(definition), {})
    assert not target.exists()


def test_a_well_formed_tiny_process_runs_to_completion():
    definition = bpmn(FILL_IN + flow("start", "fill_in") + flow("fill_in", "end"))
    started = engine.start_workflow(Diagram(definition), {})
    done = engine.complete_task(saved(started, definition), started.ready_tasks[0].engine_task_id, {"answer": 42})
    assert done.completed and done.ready_tasks == () and done.data["answer"] == 42



def test_saved_data_keeps_the_types_json_lacks_and_writes_chinese_as_text():
    """The state is written by orjson with SpiffWorkflow's encoder for what JSON lacks: a date stays a date
    (not orjson's own ISO string), a decimal a decimal; Chinese is stored as UTF-8, not \\u escapes."""
    definition = bpmn(FILL_IN + flow("start", "fill_in") + flow("fill_in", "end"))
    data = {"when": datetime(2026, 10, 1, 8, 30, tzinfo=timezone.utc), "day": date(2026, 10, 8),
            "amount": Decimal("12.50"), "name": "张三", "tags": {"邻里"}}
    started = engine.start_workflow(Diagram(definition), data)
    assert "张三" in started.state and "\\u5f20" not in started.state
    again = engine.describe(saved(started, definition)).data
    assert again == {**data, "tags": ["邻里"]}
    assert type(again["when"]) is datetime and type(again["day"]) is date and type(again["amount"]) is Decimal


BILLION_LAUGHS = """<?xml version="1.0"?>
<!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
<!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">]>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL">&lol3;</bpmn:definitions>"""
EXTERNAL_ENTITY = """<?xml version="1.0"?>
<!DOCTYPE d [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL">
  <bpmn:process id="tiny" name="&xxe;" isExecutable="true" />
</bpmn:definitions>"""


@pytest.mark.parametrize("definition, message", [
    pytest.param("this is not xml", "XML", id="not-xml"),
    pytest.param("<bpmn:definitions", "XML", id="truncated"),
    pytest.param(BILLION_LAUGHS, "实体或外部引用", id="billion-laughs"),
    pytest.param(EXTERNAL_ENTITY, "实体或外部引用", id="external-entity"),
    pytest.param(bpmn(FILL_IN + flow("start", "fill_in") + flow("fill_in", "end"), executable="false"),
                 "可执行流程", id="no-executable-process"),
    pytest.param(bpmn('<bpmn:bogusTask id="bogus" />'), "bogusTask", id="schema-invalid"),
    pytest.param(bpmn(flow("start", "nowhere")), "nowhere", id="dangling-flow"),
])
def test_bad_definitions_are_refused(definition, message):
    with pytest.raises(DefinitionError, match=message):
        engine.inspect_definition(definition)
    with pytest.raises(DefinitionError):
        engine.start_workflow(Diagram(definition), {})
