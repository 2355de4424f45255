"""The user's settings."""
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import RadioField
from wtforms.validators import InputRequired

from app.models import LOCALES


class SettingsForm(FlaskForm):
    # Each language is named in itself, so anyone can find their own.
    locale = RadioField(_l("界面语言"), choices=list(LOCALES.items()),
                        validators=[InputRequired(message=_l("请选择界面语言。"))])
