"""What each step decided, in words: a task's submitted data read back through its own form.

The form class gives the labels and the display text of every choice, so the case page, the task page
and the generated documents show "调解结果：调解成功，达成协议", never `result agreement`.
"""
from dataclasses import dataclass
from datetime import date, datetime
from zoneinfo import ZoneInfo

from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import select
from wtforms import BooleanField, DateField, SelectFieldBase, SelectMultipleField

from app.extensions import db
from app.models import DisputeCase, Task
from forms import task_form_class


@dataclass(frozen=True)
class Row:
    name: str  # the field's name, for tests and data-testid; never shown
    label: str
    value: str


@dataclass(frozen=True)
class StepRecord:
    task: Task
    rows: list[Row]


def task_record_rows(task: Task) -> list[Row]:
    """A completed task's data as (label, display value) rows, in the form's order.

    Booleans read 是/否, choices their display text, dates and times local; empty optional fields and
    data the form does not know are left out.
    """
    data = task.submitted_data or {}
    try:
        form = task_form_class(task.form_key)(formdata=None, meta={"csrf": False})
    except LookupError:
        return []
    rows = []
    for name, field in form._fields.items():
        if name not in data:
            continue
        value = _display(field, data[name])
        if value:
            rows.append(Row(name=name, label=str(field.label.text), value=value))
    return rows


def completed_steps(case: DisputeCase, until: datetime | None = None) -> list[StepRecord]:
    """Every completed step of a case (completed by `until`, when given), oldest first, with its rows."""
    query = select(Task).where(Task.case_id == case.id, Task.state == "completed")
    if until is not None:
        query = query.where(Task.completed_at <= until)
    tasks = db.session.scalars(query.order_by(Task.completed_at, Task.id)).all()
    return [StepRecord(task=task, rows=task_record_rows(task)) for task in tasks]


def _display(field, value) -> str:
    if isinstance(field, BooleanField):
        return _("是") if value else _("否")
    if value is None or value == "" or value == []:
        return ""
    if isinstance(field, SelectMultipleField):
        labels = _choice_labels(field)
        return _("、").join(labels.get(str(item), str(item)) for item in value)
    if isinstance(field, SelectFieldBase):
        return _choice_labels(field).get(str(value), str(value))
    if isinstance(field, DateField):
        return _date_text(value)
    if isinstance(value, datetime):
        return local_time(value)
    return str(value)


def _choice_labels(field) -> dict[str, str]:
    return {str(choice[0]): str(choice[1]) for choice in field.choices or ()}


def local_time(value: datetime) -> str:
    return value.astimezone(ZoneInfo(current_app.config["DISPLAY_TIMEZONE"])).strftime("%Y-%m-%d %H:%M")


def _date_text(value) -> str:
    if isinstance(value, str):
        try:
            parsed = datetime.fromisoformat(value)
        except ValueError:
            return value
        # A date-time (with its zone) is shown in local time; a plain date as it is.
        return local_time(parsed) if parsed.tzinfo else parsed.date().isoformat()
    if isinstance(value, datetime):
        return local_time(value)
    if isinstance(value, date):
        return value.isoformat()
    return str(value)
