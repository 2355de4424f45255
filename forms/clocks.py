from flask_wtf import FlaskForm
from wtforms import BooleanField, IntegerField, StringField
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange


class PauseClockForm(FlaskForm):
    reason = StringField("暂停计时原因", validators=[DataRequired(message="请填写暂停计时的原因。"), Length(max=200)])


class ExtendMediationForm(FlaskForm):
    days = IntegerField("延长天数", validators=[InputRequired(message="请填写延长天数。"), NumberRange(1, 90)])
    both_parties_consent = BooleanField("双方当事人均同意延长")
