"""Sample answers of a task form, for the designer's dry run: what a person could submit.

The first is a plain answer (first choice of every list, boxes unticked, text filled in); each
further one changes a single choice or ticks a single box, so every value a gateway can read from
the form is submitted once.
"""
from datetime import date
from decimal import Decimal

from wtforms import BooleanField, DateField, DecimalField, FloatField, IntegerField, SelectField

from forms.base import NOT_DATA

SAMPLE_DATE = date(2026, 1, 5)


def sample_answers(form_class) -> list[dict]:
    """The form's plain sample answer, then one variant per other choice and per tick box."""
    form = form_class(formdata=None, meta={"csrf": False})
    base, variants = {}, []
    for name, field in form._fields.items():
        if name in NOT_DATA:
            continue
        if isinstance(field, SelectField):
            values = [value for value, _label in _choices(field)]
            base[name] = values[0] if values else ""
            variants += [(name, value) for value in values[1:]]
        elif isinstance(field, BooleanField):
            base[name] = False
            variants.append((name, True))
        elif isinstance(field, DateField):
            base[name] = SAMPLE_DATE.isoformat()
        elif isinstance(field, DecimalField):
            base[name] = Decimal("1")
        elif isinstance(field, (IntegerField, FloatField)):
            base[name] = 1
        else:
            base[name] = "示例"
    return [base] + [{**base, name: value} for name, value in variants]


def _choices(field) -> list[tuple]:
    choices = field.choices or []
    if isinstance(choices, dict):
        choices = [choice for group in choices.values() for choice in group]
    coerce = field.coerce
    found = []
    for choice in choices:
        value = choice[0] if isinstance(choice, (tuple, list)) else choice
        if value in ("", None):
            continue
        try:
            found.append((coerce(value), choice))
        except (TypeError, ValueError):
            continue
    return found
