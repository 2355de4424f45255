from datetime import date, timedelta

from flask_wtf import FlaskForm
from wtforms import IntegerField, TextAreaField
from wtforms.validators import InputRequired, NumberRange, ValidationError


def parse_days(text: str) -> list[date]:
    """Dates one per line or separated by commas; `2027-01-01..2027-01-03` is a range."""
    days: list[date] = []
    for item in text.replace(",", "\n").replace("，", "\n").split():
        start, _, end = item.partition("..")
        try:
            first = date.fromisoformat(start)
            last = date.fromisoformat(end) if end else first
        except ValueError:
            raise ValidationError(f"“{item}” 不是日期（格式 2027-01-01，或 2027-01-01..2027-01-03）") from None
        if last < first or (last - first).days > 31:
            raise ValidationError(f"“{item}” 的日期范围无效")
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

    year = IntegerField("年份", validators=[InputRequired(message="请填写年份。"), NumberRange(2000, 2100)])
    holidays = DateListField("放假日期（法定节假日及调休放假的工作日）")
    working_days = DateListField("调休上班日期（周末上班）")
