from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from app.services.cases import catalog
from app.services.errors import InvalidInputError
from app.services.intake import handoffs as handoff_service
from app.services.people import access
from forms.base import show_field_errors
from forms.handoffs import HandoffForm, PushForm

bp = Blueprint("handoffs", __name__, url_prefix="/handoffs")

BLANK_PARTIES = {"parties": [{"role": "applicant"}, {"role": "respondent"}]}


@bp.route("/new", methods=["GET", "POST"])
@login_required
def new():
    access.ensure_can_hand_off(current_user)
    form = HandoffForm() if request.method == "POST" else HandoffForm(data=BLANK_PARTIES)
    earlier = _earlier_handoff(form) if form.is_submitted() else None
    if earlier is not None:
        flash(_("接警单号 %(incident_number)s 已移交过，即案件 %(number)s。", incident_number=(form.incident_number.data or "").strip(), number=earlier.case_number), "info")
        if earlier.visible:
            return redirect(url_for("cases.show", number=earlier.case_number))
    elif form.validate_on_submit():
        try:
            result = handoff_service.hand_off_case(current_user, form.to_handoff(handoff_service.PAGE_SYSTEM))
        except InvalidInputError as error:
            show_field_errors(form, error.field_errors)
            flash(error.message, "error")
        else:
            if result.created:
                flash(_("警情已移交调解，案件 %(number)s 已登记。", number=result.case.number), "success")
            else:
                flash(_("接警单号 %(incident_number)s 已移交过，即案件 %(number)s。", incident_number=form.incident_number.data, number=result.case.number), "info")
            return redirect(url_for("cases.show", number=result.case.number))
    elif form.is_submitted():
        flash(_("表单有误，请按提示修改。"), "error")
    return render_template("handoffs/new.html", form=form, addresses=catalog.addresses_for(current_user),
                           grids=catalog.grids_for(current_user)), 422 if form.is_submitted() else 200


def _earlier_handoff(form: HandoffForm):
    """The case of an incident handed off before (through the API or this page), if the number is valid."""
    if not form.incident_number.validate(form):
        return None
    return handoff_service.find_earlier_handoff(current_user, form.incident_number.data or "")


@bp.post("/push/<number>")
@login_required
def push(number: str):
    form = PushForm()
    if not form.validate_on_submit():
        flash(_("请填写推送公安的原因。"), "error")
        return redirect(url_for("cases.show", number=number))
    try:
        handoff_service.push_case_to_police(current_user, number, form.reason.data)
    except InvalidInputError as error:
        flash(error.message, "error")
    else:
        flash(_("案件 %(number)s 已推送公安。", number=number), "success")
    return redirect(url_for("cases.show", number=number))


@bp.app_template_global()
def police_links(case):
    """The case page's police panel: the hand-off the case came from and its push to the police."""
    return handoff_service.get_police_links(current_user, case.number)


@bp.app_template_global()
def can_push_to_police() -> bool:
    return current_user.role in access.ROLES_THAT_PUSH_TO_POLICE
