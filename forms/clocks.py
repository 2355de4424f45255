from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, IntegerField, StringField
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange


class PauseClockForm(FlaskForm):
    reason = StringField(_l("暂停计时原因"), validators=[DataRequired(message=_l("请填写暂停计时的原因。")), Length(max=200)])


class ExtendMediationForm(FlaskForm):
    days = IntegerField(_l("延长天数"), validators=[InputRequired(message=_l("请填写延长天数。")), NumberRange(1, 90)])
    both_parties_consent = BooleanField(_l("双方当事人均同意延长"))
