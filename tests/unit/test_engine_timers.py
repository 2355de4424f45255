"""Timer values as designers write them: bare durations on the business calendar, dates, data fields."""
from datetime import datetime, timezone

import pytest

from app.services import engine
from app.services.errors import ProcessError
from app.services.time_limits.business_calendar import BusinessCalendar
from tests.unit.test_engine import FILL_IN, bpmn, flow

WORKING = BusinessCalendar("working")


def with_timer(definition: str, properties: str = "") -> str:
    extension = (f'<bpmn:extensionElements><camunda:properties>{properties}</camunda:properties>'
                 f'</bpmn:extensionElements>') if properties else ""
    return bpmn(
        FILL_IN
        + f'<bpmn:boundaryEvent id="limit" attachedToRef="fill_in" cancelActivity="false">{extension}'
        + f'<bpmn:timerEventDefinition>{definition}</bpmn:timerEventDefinition></bpmn:boundaryEvent>'
        + '<bpmn:endEvent id="limit_reported" />'
        + flow("start", "fill_in") + flow("fill_in", "end") + flow("limit", "limit_reported")
    )


def due(result) -> datetime:
    [timer] = result.timers
    return timer.due_at


@pytest.fixture
def friday_evening():
    import time_machine

    with time_machine.travel(datetime(2026, 11, 20, 9, 30, tzinfo=timezone.utc), tick=False):  # 17:30 Shanghai
        yield


def test_a_bare_duration_counts_working_days(friday_evening):
    result = engine.start_workflow(with_timer("<bpmn:timeDuration>P1D</bpmn:timeDuration>"), {}, WORKING)
    assert due(result) == datetime(2026, 11, 23, 9, 30, tzinfo=timezone.utc)  # Monday 17:30


def test_a_natural_timer_counts_calendar_days(friday_evening):
    definition = with_timer("<bpmn:timeDuration>P1D</bpmn:timeDuration>",
                            '<camunda:property name="calendar" value="natural" />')
    assert due(engine.start_workflow(definition, {}, WORKING)) == datetime(2026, 11, 21, 9, 30, tzinfo=timezone.utc)


def test_a_date_written_bare(friday_evening):
    definition = with_timer("<bpmn:timeDate>2026-12-01T10:00:00+08:00</bpmn:timeDate>")
    assert due(engine.start_workflow(definition, {}, WORKING)) == datetime(2026, 12, 1, 2, 0, tzinfo=timezone.utc)


def test_a_data_field_holding_the_due_time(friday_evening):
    definition = with_timer("<bpmn:timeDate>visit_due_at</bpmn:timeDate>")
    result = engine.start_workflow(definition, {"visit_due_at": "2026-11-30T08:00:00+00:00"}, WORKING)
    assert due(result) == datetime(2026, 11, 30, 8, 0, tzinfo=timezone.utc)


def test_an_invalid_duration_stops_the_step_with_a_clear_error(friday_evening):
    with pytest.raises(ProcessError, match="时长无效"):
        engine.start_workflow(with_timer("<bpmn:timeDuration>P1X</bpmn:timeDuration>"), {}, WORKING)


@pytest.mark.parametrize("text, problem", [
    ("P3D", None), ("PT24H", None), ('"P3D"', None), ("2027-01-04T09:00", None), ("visit_due_at", None),
    ("", "没有设置"), ("P3X", "ISO 8601"), ("__import__('os')", "不被允许"), ("2027-13-45", "日期"),
])
def test_timer_expression_problems(text, problem):
    found = engine.timer_expression_problem(text)
    assert (found is None) if problem is None else (problem in found)
