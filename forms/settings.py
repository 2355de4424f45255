"""The user's settings: language and password."""
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import PasswordField, RadioField
from wtforms.validators import DataRequired, EqualTo, InputRequired, Length

from app.models import LOCALES


class SettingsForm(FlaskForm):
    # Each language is named in itself, so anyone can find their own.
    locale = RadioField(_l("界面语言"), choices=list(LOCALES.items()),
                        validators=[InputRequired(message=_l("请选择界面语言。"))])


class ChangePasswordForm(FlaskForm):
    current_password = PasswordField(_l("当前密码"), validators=[DataRequired(message=_l("请输入当前密码。")),
                                                              Length(max=128)])
    new_password = PasswordField(_l("新密码"), validators=[
        DataRequired(message=_l("请输入新密码。")),
        Length(min=8, max=128, message=_l("密码长度须为 %(min)d–%(max)d 位。"))])
    confirm_password = PasswordField(_l("再次输入新密码"), validators=[
        EqualTo("new_password", message=_l("两次输入的新密码不一致。"))])
