from flask_wtf import FlaskForm
from wtforms import SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, InputRequired, Length, Optional

SOURCE_CHOICES = [
    ("grid_patrol", "网格员排查"),
    ("police_handoff", "公安移交（非警务警情）"),
    ("resident_report", "群众自报"),
    ("walk_in", "来访登记"),
]


def _optional_int(value):
    return int(value) if value not in (None, "", "None") else None


class NewCaseForm(FlaskForm):
    """Registration (受理登记): the dispute, where it is, and who is in it."""

    title = StringField("纠纷标题", validators=[DataRequired(message="请填写纠纷标题。"), Length(max=200)])
    description = TextAreaField("基本情况", validators=[Optional(), Length(max=4000)])
    category_id = SelectField("纠纷类别", coerce=_optional_int, validators=[Optional()])
    source = SelectField("案件来源", choices=SOURCE_CHOICES, validators=[InputRequired()])
    address_id = SelectField("标准地址", coerce=_optional_int, validators=[Optional()])
    grid_id = SelectField("所属网格（无标准地址时）", coerce=_optional_int, validators=[Optional()])
    address_text = StringField("地址说明", validators=[Optional(), Length(max=200)])
    applicant_name = StringField("申请人姓名", validators=[DataRequired(message="请填写申请人姓名。"), Length(max=100)])
    applicant_phone = StringField("申请人电话", validators=[Optional(), Length(max=40)])
    respondent_name = StringField("被申请人姓名", validators=[Optional(), Length(max=100)])
    respondent_phone = StringField("被申请人电话", validators=[Optional(), Length(max=40)])

    def set_choices(self, categories, grids, addresses) -> None:
        self.category_id.choices = [("", "—")] + [(category_id, label) for category_id, label in categories]
        self.grid_id.choices = [("", "—")] + [(grid.id, f"{grid.code} {grid.name}") for grid in grids]
        self.address_id.choices = [("", "—")] + [(address.id, address.text) for address in addresses]
