"""The base of every user-task form: validation by WTForms, plain JSON data for the engine."""
from datetime import date

from flask_babel import gettext as _
from flask_wtf import FlaskForm

from app.input_guard import parse_int

NOT_DATA = {"csrf_token", "submit"}


class TaskForm(FlaskForm):
    """A form for one kind of user task; `to_data()` is what the process receives."""

    def bind_case(self, case) -> None:
        """Narrow choices that depend on the case (e.g. its town's bodies); most forms have none."""

    def to_data(self) -> dict:
        data = {}
        for name, field in self._fields.items():
            if name in NOT_DATA:
                continue
            value = field.data
            data[name] = value.isoformat() if isinstance(value, date) else value
        return data


def optional_id(value) -> int | None:
    """`coerce=` of a select of ids: empty is None; what is not an id a database holds (a sign, "1e20",
    "²", 2**64) is refused as an invalid choice instead of reaching a query."""
    if value in (None, "", "None"):
        return None
    if isinstance(value, int):
        return value
    number = parse_int(str(value), minimum=1)
    if number is None:
        raise ValueError(value)
    return number


def show_field_errors(form, field_errors: dict[str, list[str]]) -> None:
    """Attach errors found by a service (not by WTForms) to the form's fields."""
    for name, messages in field_errors.items():
        if name in form:
            form[name].errors = list(form[name].errors) + list(messages)


def join_messages(messages) -> str:
    """Several messages (some lazily translated) as one line for a flash."""
    return _("；").join(str(message) for message in messages)
