"""Template filters: times shown in the display time zone, codes shown as Chinese labels; and `can`,
what the current user may do (from access.py), for navigation and buttons."""
from collections.abc import Mapping
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from flask import Flask, current_app, has_request_context, request
from flask_babel import lazy_gettext as _l
from flask_login import current_user

from app.models import ROLE_LABELS
from app.models.dispute_case import OUTCOME_LABELS, TIER_LABELS
from app.models.party import PARTY_ROLE_LABELS
from app.models.trail import TrailEventType
from app.services.people import access
from app.services.time_limits import clock
from app.services.time_limits.due_states import DUE_STATE_LABELS, due_state, legal_clocks
from app.services.time_limits.year_schedules import current_calendar
from forms.cases import SOURCE_CHOICES

LABELS: dict[str, Mapping[Any, Any]] = {
    "source": dict(SOURCE_CHOICES),
    "role": ROLE_LABELS,
    "party_role": PARTY_ROLE_LABELS,
    "status": {"open": _l("办理中"), "closed": _l("已结案")},
    "card": {"none": "—", "yellow": _l("黄牌"), "red": _l("红牌")},
    "task_state": {"ready": _l("待办"), "completed": _l("已办结"), "cancelled": _l("已撤销")},
    "outcome": OUTCOME_LABELS,
    "due_state": {**DUE_STATE_LABELS, "closed": _l("已结案")},
    "document": {
        "acceptance_register": _l("受理登记表"), "rights_notice": _l("权利义务告知书"), "mediation_record": _l("调解笔录"),
        "agreement": _l("人民调解协议书"), "oral_agreement_register": _l("口头协议登记表"),
        "follow_up_record": _l("回访记录"), "closing_report": _l("结案报告表"), "case_file": _l("卷宗"),
    },
    "tier": TIER_LABELS,
    "event": {event.value: event.label for event in TrailEventType},
}


def local_time(value: datetime | None) -> str:
    if value is None:
        return "—"
    zone = ZoneInfo(current_app.config["DISPLAY_TIMEZONE"])
    return value.astimezone(zone).strftime("%Y-%m-%d %H:%M")


def label(value, kind: str) -> str:
    if value is None:
        return "—"
    return LABELS[kind].get(value, str(value))


def task_due_state(task) -> str:
    return due_state(task.due_at, task.case.card, clock.now(), paused=task.case.clock_paused_at is not None)


def case_due_state(case, next_due=None) -> str:
    """A case's state from the earliest due time of its ready tasks, its card and its clock."""
    if case.status != "open":
        return "closed"
    return due_state(next_due, case.card, clock.now(), paused=case.clock_paused_at is not None)


def can(action: str, case=None) -> bool:
    """`{% if can('register_case') %}`: asks app/services/people/access.py for the current user."""
    return access.can(current_user, action, case)
def provisional_due(due_at: datetime | None) -> bool:
    """Whether a due time counts across a year whose official schedule is not entered yet (may move)."""
    if due_at is None:
        return False
    if not has_request_context():
        return current_calendar().is_provisional(due_at, clock.now())
    # Once per request, however many due times a list shows.
    if "jiefen.business_calendar" not in request.environ:
        request.environ["jiefen.business_calendar"] = current_calendar()
    return request.environ["jiefen.business_calendar"].is_provisional(due_at, clock.now())


def case_legal_clocks(case) -> list:
    return legal_clocks(case.id)


def init_app(app: Flask) -> None:
    app.add_template_filter(provisional_due)
    app.add_template_filter(case_legal_clocks, "legal_clocks")
    app.add_template_filter(local_time)
    app.add_template_filter(label)
    app.add_template_filter(task_due_state)
    app.add_template_filter(case_due_state)
    app.add_template_global(TrailEventType)
    app.add_template_global(can)
