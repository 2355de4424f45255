"""The resident's pages: reporting through the door plate and following a case by its code."""
from flask_wtf import FlaskForm
from wtforms import BooleanField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length, Regexp


class ResidentReportForm(FlaskForm):
    title = StringField("纠纷简述", validators=[DataRequired(message="请简要写明是什么纠纷。"), Length(max=100)])
    description = TextAreaField("具体情况", validators=[
        DataRequired(message="请写明具体情况。"), Length(max=2000, message="具体情况最多 2000 字。"),
    ])
    name = StringField("您的姓名", validators=[DataRequired(message="请填写您的姓名。"), Length(max=50)])
    phone = StringField("联系电话", validators=[
        DataRequired(message="请填写联系电话。"),
        Regexp(r"^\+?[0-9][0-9 -]{4,19}$", message="请填写有效的电话号码。"),
    ])
    consent = BooleanField("我同意将姓名和电话用于本次纠纷的调解联系（不会公开）",
                           validators=[DataRequired(message="请勾选同意后再提交。")])


class TrackForm(FlaskForm):
    class Meta:
        csrf = False  # a read by GET: the code is the only secret

    code = StringField("查询码", validators=[DataRequired(message="请输入查询码。"), Length(max=32)])
