"""One form per user task of `processes/`, named by the task's `camunda:formKey`.

Field names are the data the gateways read (`result`, `tier`, `violence_risk`,
`judicial_confirmation`), so a form and its process agree on one vocabulary.
"""
from flask_babel import lazy_gettext as _l
from wtforms import BooleanField, DateField, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, InputRequired, Length, Optional, ValidationError

from app.services.cases.catalog import category_choices
from forms.base import TaskForm

TIER_CHOICES = [(1, _l("一级：现场调解")), (2, _l("二级：调解室调解")), (3, _l("三级：三长会商"))]
AGREEMENT_FORMS = [("oral", _l("口头协议")), ("written", _l("书面协议（人民调解协议书）"))]
REFERRAL_ROUTES = [("litigation", _l("诉讼")), ("arbitration", _l("仲裁")), ("administrative", _l("行政途径"))]
TEXT = [Optional(), Length(max=4000)]
REQUIRED_TEXT = [DataRequired(message=_l("请填写此项。")), Length(max=4000)]


def _terms_required_for_agreement(form, field):
    if form.result.data == "agreement" and not (field.data or "").strip():
        raise ValidationError(_l("达成协议时请写明协议内容。"))


class TriageForm(TaskForm):
    category = SelectField(_l("纠纷类别"), validators=[InputRequired(message=_l("请选择纠纷类别。"))])
    violence_risk = BooleanField(_l("存在引发过激行为（民转刑）的风险，立即移交公安"))
    tier = SelectField(_l("分流层级"), coerce=int, choices=TIER_CHOICES, validators=[InputRequired()])
    triage_note = TextAreaField(_l("研判意见"), validators=REQUIRED_TEXT)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.category.choices = [(code, label) for code, label in category_choices()]


class PoliceHandlingForm(TaskForm):
    police_action = TextAreaField(_l("处置情况"), validators=REQUIRED_TEXT)
    result = SelectField(_l("处置结果"), choices=[
        ("returned_to_mediation", _l("风险已化解，退回调解")),
        ("taken_over", _l("转为治安或刑事案件，由公安处理")),
    ], validators=[InputRequired()])
    tier = SelectField(_l("退回调解的层级"), coerce=int, choices=TIER_CHOICES, validators=[InputRequired()])


class OnSiteMediationForm(TaskForm):
    session_record = TextAreaField(_l("现场调解记录"), validators=REQUIRED_TEXT)
    result = SelectField(_l("调解结果"), choices=[
        ("agreement", _l("调解成功，达成协议")),
        ("unresolved", _l("未能化解，上交调解室")),
        ("violence_risk", _l("发现过激风险，移交公安")),
    ], validators=[InputRequired()])
    agreement_form = SelectField(_l("协议形式"), choices=AGREEMENT_FORMS, validators=[Optional()])
    agreement_terms = TextAreaField(_l("协议内容"), validators=[Length(max=4000), _terms_required_for_agreement])


class FourAccountsForm(TaskForm):
    psychological_account = TextAreaField(_l("心理帐"), validators=REQUIRED_TEXT)
    emotional_account = TextAreaField(_l("感情帐"), validators=REQUIRED_TEXT)
    consequences_account = TextAreaField(_l("后果帐"), validators=REQUIRED_TEXT)
    interests_account = TextAreaField(_l("利益帐"), validators=REQUIRED_TEXT)


class MediationSessionForm(TaskForm):
    session_record = TextAreaField(_l("调解笔录"), validators=REQUIRED_TEXT)
    result = SelectField(_l("调解结果"), choices=[
        ("agreement", _l("调解成功，达成协议")),
        ("continue", _l("需要再次调解")),
        ("unresolved", _l("未能化解，提请三长会商")),
        ("violence_risk", _l("发现过激风险，移交公安")),
    ], validators=[InputRequired()])
    agreement_form = SelectField(_l("协议形式"), choices=AGREEMENT_FORMS, validators=[Optional()])
    agreement_terms = TextAreaField(_l("协议内容"), validators=[Length(max=4000), _terms_required_for_agreement])
    judicial_confirmation = BooleanField(_l("当事人拟申请司法确认"))


class JointConsultationForm(TaskForm):
    participants = StringField(_l("参加单位与人员"), validators=[DataRequired(message=_l("请填写此项。")), Length(max=500)])
    session_record = TextAreaField(_l("会商记录"), validators=REQUIRED_TEXT)
    result = SelectField(_l("会商结果"), choices=[
        ("agreement", _l("调解成功，达成协议")),
        ("ended", _l("调解终止，告知其他解决途径")),
        ("violence_risk", _l("发现过激风险，移交公安")),
    ], validators=[InputRequired()])
    agreement_terms = TextAreaField(_l("协议内容"), validators=[Length(max=4000), _terms_required_for_agreement])
    judicial_confirmation = BooleanField(_l("当事人拟申请司法确认"))
    referral_route = SelectField(_l("告知的其他途径"), choices=[("", "—")] + REFERRAL_ROUTES, validators=[Optional()])

    def validate_referral_route(self, field):
        if self.result.data == "ended" and not field.data:
            raise ValidationError(_l("调解终止时请选择告知当事人的其他途径。"))


class JudicialConfirmationForm(TaskForm):
    court = StringField(_l("受理法院"), validators=[DataRequired(message=_l("请填写此项。")), Length(max=200)])
    applied_on = DateField(_l("申请日期"), validators=[InputRequired(message=_l("请填写日期。"))])
    note = TextAreaField(_l("备注"), validators=TEXT)


class FollowUpForm(TaskForm):
    agreement_kept = SelectField(_l("协议履行情况"), choices=[
        ("yes", _l("已履行")), ("partly", _l("部分履行")), ("no", _l("未履行")), ("not_applicable", _l("不适用")),
    ], validators=[InputRequired()])
    satisfaction = SelectField(_l("当事人满意度"), choices=[
        ("satisfied", _l("满意")), ("neutral", _l("基本满意")), ("dissatisfied", _l("不满意")),
    ], validators=[InputRequired()])
    recurrence_risk = BooleanField(_l("存在反复风险"))
    note = TextAreaField(_l("回访记录"), validators=REQUIRED_TEXT)


TASK_FORMS: dict[str, type[TaskForm]] = {
    "triage": TriageForm,
    "police_handling": PoliceHandlingForm,
    "on_site_mediation": OnSiteMediationForm,
    "four_accounts": FourAccountsForm,
    "mediation_session": MediationSessionForm,
    "joint_consultation": JointConsultationForm,
    "judicial_confirmation": JudicialConfirmationForm,
    "follow_up": FollowUpForm,
}
