"""One form per user task of `processes/`, named by the task's `camunda:formKey`.

Field names are the data the gateways read (`result`, `tier`, `violence_risk`,
`judicial_confirmation`), so a form and its process agree on one vocabulary.
"""
from flask_babel import lazy_gettext as _l
from wtforms import BooleanField, DateField, Form, SelectField, SelectMultipleField, StringField, TextAreaField
from wtforms.validators import DataRequired, InputRequired, Length, Optional, ValidationError

from app.services.cases.catalog import category_choices
from app.services.cases.sector_bodies import all_sector_bodies, sector_bodies_of_town
from forms.base import TaskForm

TIER_CHOICES = [(1, _l("一级：现场调解")), (2, _l("二级：调解室调解")), (3, _l("三级：三长会商"))]
AGREEMENT_FORMS = [("oral", _l("口头协议")), ("written", _l("书面协议（人民调解协议书）"))]
REFERRAL_ROUTES = [("litigation", _l("诉讼")), ("arbitration", _l("仲裁")), ("administrative", _l("行政途径"))]
TEXT = [Optional(), Length(max=4000)]
REQUIRED_TEXT = [DataRequired(message=_l("请填写此项。")), Length(max=4000)]
# What an agreement must state (People's Mediation Law Art. 28, 29): every agreement its terms and how and
# by when they are performed; a written one (人民调解协议书) also the parties' particulars, the main facts,
# the disputed matters and each party's responsibility.
AGREEMENT_ITEMS = ("agreement_terms", "performance_method", "performance_deadline")
WRITTEN_AGREEMENT_ITEMS = ("parties_particulars", "facts", "disputed_matters", "responsibilities") + AGREEMENT_ITEMS


def missing_agreement_items(data: dict) -> dict[str, list[str]]:
    """For a step that reached an agreement: the items it lacks, each with the message to show.

    Shared by the forms (page and API) and by the step itself, so a document is never half-filled.
    """
    if data.get("result") != "agreement":
        return {}
    kind = data.get("agreement_form")
    if kind not in dict(AGREEMENT_FORMS):
        return {"agreement_form": [str(_l("达成协议时请选择协议形式（口头或书面）。"))]}
    wanted = WRITTEN_AGREEMENT_ITEMS if kind == "written" else AGREEMENT_ITEMS
    return {name: [str(AGREEMENT_ITEM_MESSAGES[name])] for name in wanted
            if not str(data.get(name) or "").strip()}


AGREEMENT_ITEM_MESSAGES = {
    "parties_particulars": _l("书面协议须写明当事人的基本情况（人民调解法第二十九条）。"),
    "facts": _l("书面协议须写明纠纷的主要事实（人民调解法第二十九条）。"),
    "disputed_matters": _l("书面协议须写明争议事项（人民调解法第二十九条）。"),
    "responsibilities": _l("书面协议须写明各方当事人的责任（人民调解法第二十九条）。"),
    "agreement_terms": _l("达成协议时请写明协议内容。"),
    "performance_method": _l("达成协议时请写明履行方式。"),
    "performance_deadline": _l("达成协议时请填写履行期限。"),
}


class AgreementChecks(Form):
    """Mixed into the forms of the steps that can reach an agreement (before TaskForm): the Art. 29 items
    must be there."""

    def validate(self, extra_validators=None):
        valid = super().validate(extra_validators)
        missing = missing_agreement_items({name: field.data for name, field in self._fields.items()})
        for name, messages in missing.items():
            self[name].errors = list(self[name].errors) + messages
        return valid and not missing


# The agreement's fields, in each form where it can be reached (one call per field keeps the form's order).
def _agreement_form_field():
    return SelectField(_l("协议形式"), choices=[("", "—")] + AGREEMENT_FORMS, validators=[Optional()])


def _agreement_text(label, max_length=4000):
    return TextAreaField(label, validators=[Optional(), Length(max=max_length)])


def _parties_particulars_field():
    return _agreement_text(_l("当事人基本情况（姓名、性别、年龄、民族、职业、住址、身份证号）"))


def _facts_field():
    return _agreement_text(_l("纠纷的主要事实"))


def _disputed_matters_field():
    return _agreement_text(_l("争议事项"))


def _responsibilities_field():
    return _agreement_text(_l("各方当事人的责任"))


def _agreement_terms_field():
    return _agreement_text(_l("协议内容"))


def _performance_method_field():
    return StringField(_l("履行方式"), validators=[Optional(), Length(max=500)])


def _performance_deadline_field():
    return DateField(_l("履行期限"), validators=[Optional()])


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


class OnSiteMediationForm(AgreementChecks, TaskForm):
    session_record = TextAreaField(_l("现场调解记录"), validators=REQUIRED_TEXT)
    result = SelectField(_l("调解结果"), choices=[
        ("agreement", _l("调解成功，达成协议")),
        ("unresolved", _l("未能化解，上交调解室")),
        ("violence_risk", _l("发现过激风险，移交公安")),
    ], validators=[InputRequired()])
    agreement_form = _agreement_form_field()
    parties_particulars = _parties_particulars_field()
    facts = _facts_field()
    disputed_matters = _disputed_matters_field()
    responsibilities = _responsibilities_field()
    agreement_terms = _agreement_terms_field()
    performance_method = _performance_method_field()
    performance_deadline = _performance_deadline_field()


class FourAccountsForm(TaskForm):
    psychological_account = TextAreaField(_l("心理帐"), validators=REQUIRED_TEXT)
    emotional_account = TextAreaField(_l("感情帐"), validators=REQUIRED_TEXT)
    consequences_account = TextAreaField(_l("后果帐"), validators=REQUIRED_TEXT)
    interests_account = TextAreaField(_l("利益帐"), validators=REQUIRED_TEXT)


class MediationSessionForm(AgreementChecks, TaskForm):
    session_record = TextAreaField(_l("调解笔录"), validators=REQUIRED_TEXT)
    result = SelectField(_l("调解结果"), choices=[
        ("agreement", _l("调解成功，达成协议")),
        ("continue", _l("需要再次调解")),
        ("unresolved", _l("未能化解，提请三长会商")),
        ("violence_risk", _l("发现过激风险，移交公安")),
    ], validators=[InputRequired()])
    agreement_form = _agreement_form_field()
    parties_particulars = _parties_particulars_field()
    facts = _facts_field()
    disputed_matters = _disputed_matters_field()
    responsibilities = _responsibilities_field()
    agreement_terms = _agreement_terms_field()
    performance_method = _performance_method_field()
    performance_deadline = _performance_deadline_field()
    judicial_confirmation = BooleanField(_l("当事人拟申请司法确认"))


class JointConsultationForm(AgreementChecks, TaskForm):
    """三长会商 with sector bodies and village lawyers ("3+N"): who took part, what was decided."""

    court_participant = StringField(_l("法院参加人员"), validators=[DataRequired(message=_l("请填写此项。")), Length(max=200)])
    justice_office_participant = StringField(_l("司法所参加人员"), validators=[DataRequired(message=_l("请填写此项。")),
                                                                        Length(max=200)])
    police_participant = StringField(_l("派出所参加人员"), validators=[DataRequired(message=_l("请填写此项。")), Length(max=200)])
    sector_bodies = SelectMultipleField(_l("参加的行业性、专业性调解组织"), coerce=int, validators=[Optional()])
    village_lawyer = StringField(_l("驻村律师"), validators=[Optional(), Length(max=200)])
    participants = StringField(_l("其他参加单位与人员"), validators=[Optional(), Length(max=500)])
    session_record = TextAreaField(_l("会商记录"), validators=REQUIRED_TEXT)
    result = SelectField(_l("会商结果"), choices=[
        ("agreement", _l("调解成功，达成协议")),
        ("referred", _l("移送行业性、专业性调解组织调解")),
        ("ended", _l("调解终止，告知其他解决途径")),
        ("violence_risk", _l("发现过激风险，移交公安")),
    ], validators=[InputRequired()])
    # No Optional(): it would stop the chain before validate_referral_body sees an empty choice.
    referral_body = SelectField(_l("移送的调解组织"), default="")
    agreement_form = _agreement_form_field()
    parties_particulars = _parties_particulars_field()
    facts = _facts_field()
    disputed_matters = _disputed_matters_field()
    responsibilities = _responsibilities_field()
    agreement_terms = _agreement_terms_field()
    performance_method = _performance_method_field()
    performance_deadline = _performance_deadline_field()
    judicial_confirmation = BooleanField(_l("当事人拟申请司法确认"))
    referral_route = SelectField(_l("告知的其他途径"), choices=[("", "—")] + REFERRAL_ROUTES, default="")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # Every town's bodies, so past steps still read by name; bind_case narrows the page to the case's town.
        bodies = all_sector_bodies()
        self._inactive = {body.id for body in bodies if not body.active}
        self.sector_bodies.choices = [(body.id, body.name) for body in bodies]
        self.referral_body.choices = [("", "—")] + [(str(body.id), body.name) for body in bodies]

    def bind_case(self, case) -> None:
        town_bodies = sector_bodies_of_town(case.grid.community.town_id)
        self.sector_bodies.choices = [(body.id, body.name) for body in town_bodies]
        self.referral_body.choices = [("", "—")] + [(str(body.id), body.name) for body in town_bodies]

    def validate_sector_bodies(self, field):
        if set(field.data or ()) & self._inactive:
            raise ValidationError(_l("所选调解组织已停用。"))

    def validate_referral_body(self, field):
        if self.result.data == "referred" and not field.data:
            raise ValidationError(_l("移送调解时请选择接收的调解组织。"))
        if field.data and int(field.data) in self._inactive:
            raise ValidationError(_l("所选调解组织已停用。"))

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
