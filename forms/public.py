"""The resident's pages: reporting through the door plate and following a case by its code."""
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length, Regexp


class ResidentReportForm(FlaskForm):
    title = StringField(_l("纠纷简述"), validators=[DataRequired(message=_l("请简要写明是什么纠纷。")), Length(max=100)])
    description = TextAreaField(_l("具体情况"), validators=[
        DataRequired(message=_l("请写明具体情况。")), Length(max=2000, message=_l("具体情况最多 2000 字。")),
    ])
    name = StringField(_l("您的姓名"), validators=[DataRequired(message=_l("请填写您的姓名。")), Length(max=50)])
    phone = StringField(_l("联系电话"), validators=[
        DataRequired(message=_l("请填写联系电话。")),
        Regexp(r"^\+?[0-9][0-9 -]{4,19}$", message=_l("请填写有效的电话号码。")),
    ])
    consent = BooleanField(_l("我同意将姓名和电话用于本次纠纷的调解联系（不会公开）"),
                           validators=[DataRequired(message=_l("请勾选同意后再提交。"))])


class TrackForm(FlaskForm):
    class Meta:
        csrf = False  # a read by GET: the code is the only secret

    code = StringField(_l("查询码"), validators=[DataRequired(message=_l("请输入查询码。")), Length(max=32)])
