from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import FloatField, MultipleFileField, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Optional
from wtforms.widgets import HiddenInput

from forms.base import optional_id

SOURCE_CHOICES = [
    ("grid_patrol", _l("网格员排查")),
    ("police_handoff", _l("公安移交（非警务警情）")),
    ("resident_report", _l("群众自报")),
    ("walk_in", _l("来访登记")),
]


class NewCaseForm(FlaskForm):
    """Registration (受理登记): the dispute, where it is, and who is in it."""

    title = StringField(_l("纠纷标题"), validators=[DataRequired(message=_l("请填写纠纷标题。")), Length(max=200)])
    description = TextAreaField(_l("基本情况"), validators=[Optional(), Length(max=4000)])
    category_id = SelectField(_l("纠纷类别"), coerce=optional_id, validators=[Optional()])
    source = SelectField(_l("案件来源"), choices=SOURCE_CHOICES, validators=[InputRequired()])
    address_id = SelectField(_l("标准地址"), coerce=optional_id, validators=[Optional()])
    grid_id = SelectField(_l("所属网格（无标准地址时）"), coerce=optional_id, validators=[Optional()])
    address_text = StringField(_l("地址说明"), validators=[Optional(), Length(max=200)])
    applicant_name = StringField(_l("申请人姓名"), validators=[DataRequired(message=_l("请填写申请人姓名。")), Length(max=100)])
    applicant_phone = StringField(_l("申请人电话"), validators=[Optional(), Length(max=40)])
    respondent_name = StringField(_l("被申请人姓名"), validators=[Optional(), Length(max=100)])
    respondent_phone = StringField(_l("被申请人电话"), validators=[Optional(), Length(max=40)])
    photos = MultipleFileField(_l("现场照片"))
    # The phone's position when "用我的位置" was used and confirmed (hidden; filled by app/static/field/app.js).
    latitude = FloatField(widget=HiddenInput(), validators=[Optional(), NumberRange(-90, 90)])
    longitude = FloatField(widget=HiddenInput(), validators=[Optional(), NumberRange(-180, 180)])

    def position(self) -> tuple[float, float] | None:
        if self.latitude.data is None or self.longitude.data is None:
            return None
        return self.latitude.data, self.longitude.data

    def set_choices(self, categories, grids, addresses) -> None:
        self.category_id.choices = [("", "—")] + [(category_id, label) for category_id, label in categories]
        self.grid_id.choices = [("", "—")] + [(grid.id, f"{grid.code} {grid.name}") for grid in grids]
        self.address_id.choices = [("", "—")] + [(address.id, address.text) for address in addresses]
