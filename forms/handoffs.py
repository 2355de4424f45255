"""Police hand-off (非警务警情移交) and push to the police: one form for the page and the API."""
from datetime import datetime, timedelta, timezone
from zoneinfo import ZoneInfo

from flask import current_app
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (
    DateTimeLocalField,
    FieldList,
    Form,
    FormField,
    IntegerField,
    SelectField,
    StringField,
    TextAreaField,
)
from wtforms.validators import DataRequired, Length, NumberRange, Optional, Regexp, ValidationError

from app.input_guard import MAX_INT
from app.models.party import PARTY_ROLE_LABELS
from app.services.cases.catalog import category_choices
from app.services.cases.registry import NewParty
from app.services.intake.handoffs import IncomingHandoff
from app.services.time_limits import clock

PARTY_ROLE_CHOICES = list(PARTY_ROLE_LABELS.items())
# ISO 8601 as police systems send it (with an offset or Z), and as <input type="datetime-local"> posts it.
# A report time before this is a typing error (and the year-1 and year-9999 edges break time zones).
EARLIEST_REPORT = datetime(2000, 1, 1, tzinfo=timezone.utc)
DATETIME_FORMATS = ["%Y-%m-%dT%H:%M:%S%z", "%Y-%m-%dT%H:%M%z", "%Y-%m-%dT%H:%M:%S", "%Y-%m-%dT%H:%M"]


class PartyForm(Form):
    """One party; a row without a name is left out (the page shows two rows)."""

    name = StringField(_l("姓名"), validators=[Optional(), Length(max=100)])
    role = SelectField(_l("身份"), choices=PARTY_ROLE_CHOICES, default="applicant")
    phone = StringField(_l("电话"), validators=[Optional(), Length(max=40)])


class HandoffForm(FlaskForm):
    incident_number = StringField(_l("接警单号"), validators=[
        DataRequired(message=_l("请填写接警单号。")), Length(max=64),
        Regexp(r"^[A-Za-z0-9][A-Za-z0-9_./-]*$", message=_l("接警单号只能包含字母、数字和 _ . / -。")),
    ])
    title = StringField(_l("纠纷标题"), validators=[DataRequired(message=_l("请填写纠纷标题。")), Length(max=200)])
    description = TextAreaField(_l("警情摘要"), validators=[Optional(), Length(max=4000)])
    category = SelectField(_l("纠纷类别"), default="", validators=[Optional()])
    address = StringField(_l("标准地址"), validators=[Optional(), Length(max=200)],
                          render_kw={"list": "standard-addresses"})
    address_id = IntegerField(_l("标准地址编号"), validators=[Optional(), NumberRange(min=1, max=MAX_INT)])
    grid_code = StringField(_l("网格编码（地址不在标准地址库时）"), validators=[Optional(), Length(max=40)],
                            render_kw={"list": "grid-codes"})
    reported_at = DateTimeLocalField(_l("报警时间"), format=DATETIME_FORMATS, validators=[Optional()])
    parties = FieldList(FormField(PartyForm), label=_l("当事人"), min_entries=2, max_entries=10)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.category.choices = [("", "—")] + list(category_choices())

    def validate_reported_at(self, field):
        if field.data is None:
            return
        try:
            reported_at = self.reported_at_utc()
        except OverflowError:  # 0001-01-01T00:00 in Shanghai, 9999-12-31T23:59:59-14:00: no UTC time
            reported_at = None
        if reported_at is None or reported_at < EARLIEST_REPORT:
            raise ValidationError(_l("报警时间无效。"))
        if reported_at > clock.now() + timedelta(minutes=5):
            raise ValidationError(_l("报警时间不能晚于当前时间。"))

    def validate_parties(self, field):
        if not any((entry.form.name.data or "").strip() for entry in field.entries):
            raise ValidationError(_l("请至少填写一名当事人的姓名。"))

    def reported_at_utc(self):
        """The report time in UTC; a time without an offset is in the display time zone."""
        value = self.reported_at.data
        if value is None:
            return None
        if value.tzinfo is None:
            value = value.replace(tzinfo=ZoneInfo(current_app.config["DISPLAY_TIMEZONE"]))
        return value.astimezone(timezone.utc)

    def to_handoff(self, system: str) -> IncomingHandoff:
        return IncomingHandoff(
            system=system, incident_number=self.incident_number.data or "", title=self.title.data or "",
            description=self.description.data or "", category_code=self.category.data or "",
            address_id=self.address_id.data, address=self.address.data or "",
            grid_code=self.grid_code.data or "", reported_at=self.reported_at_utc(),
            parties=[NewParty(name, entry.form.role.data, (entry.form.phone.data or "").strip())
                     for entry in self.parties.entries if (name := (entry.form.name.data or "").strip())],
        )


class PushForm(FlaskForm):
    reason = TextAreaField(_l("推送原因"), validators=[DataRequired(message=_l("请填写推送原因。")), Length(max=1000)])
