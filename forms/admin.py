from datetime import date, timedelta

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import HiddenField, IntegerField, SelectField, StringField, TextAreaField
from wtforms.validators import AnyOf, DataRequired, InputRequired, Length, NumberRange, ValidationError


def parse_days(text: str) -> list[date]:
    """Dates one per line or separated by commas; `2027-01-01..2027-01-03` is a range."""
    days: list[date] = []
    for item in text.replace(",", "\n").replace("，", "\n").split():
        start, _, end = item.partition("..")
        try:
            first = date.fromisoformat(start)
            last = date.fromisoformat(end) if end else first
        except ValueError:
            raise ValidationError(_l("“%(item)s” 不是日期（格式 2027-01-01，或 2027-01-01..2027-01-03）", item=item)) from None
        if last < first or (last - first).days > 31:
            raise ValidationError(_l("“%(item)s” 的日期范围无效", item=item))
        days.extend(first + timedelta(days=offset) for offset in range((last - first).days + 1))
    return days


class DateListField(TextAreaField):
    def process_formdata(self, valuelist):
        super().process_formdata(valuelist)
        self.days = []

    def pre_validate(self, form):
        self.days = parse_days(self.data or "")


class YearScheduleForm(FlaskForm):
    """A year's official schedule as the State Council publishes it."""

    year = IntegerField(_l("年份"), validators=[InputRequired(message=_l("请填写年份。")), NumberRange(2000, 2100)])
    holidays = DateListField(_l("放假日期（法定节假日及调休放假的工作日）"))
    working_days = DateListField(_l("调休上班日期（周末上班）"))


class SectorBodyForm(FlaskForm):
    town_id = SelectField(_l("乡镇"), coerce=int, validators=[InputRequired()])
    name = StringField(_l("调解组织名称"), validators=[DataRequired(message=_l("请填写此项。")), Length(max=100)])


class SectorBodyToggleForm(FlaskForm):
    """Deactivate ("0") or reactivate ("1") a body."""

    active = HiddenField(validators=[AnyOf(("0", "1"))])
