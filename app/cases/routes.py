from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from app.services.cases import catalog, search, step_records
from app.services.cases import documents as case_documents
from app.services.cases import files as case_files
from app.services.cases import registry as case_service
from app.services.cases.lists import ListFilter
from app.services.errors import ConcurrentUpdateError, InvalidInputError
from app.services.people import access
from app.services.supervision import tables
from app.services.time_limits import pauses as clocks
from app.supervision.dashboard import FORMATS, download
from app.views import (
    earlier_submission_or_refusal,
    flash_form_errors,
    flash_outcome,
    submission_made,
    submission_refused,
    uploads,
)
from forms.base import show_field_errors
from forms.cases import NewCaseForm
from forms.clocks import ExtendMediationForm, PauseClockForm
from forms.task_actions import AttachmentForm, CommentForm

bp = Blueprint("cases", __name__, url_prefix="/cases")


@bp.get("/")
@login_required
def index():
    wanted = ListFilter.from_args(request.args)
    return render_template("cases/index.html", page=case_service.list_cases(current_user, wanted), wanted=wanted,
                           grids=catalog.grids_for(current_user), categories=catalog.category_id_choices(),
                           phones_visible=search.phones_visible(current_user))


@bp.app_template_filter()
def masked_phone(phone: str) -> str:
    return search.mask_phone(phone)


@bp.get("/export.<fmt>")
@login_required
def export(fmt: str):
    """The case list with its current filters, every page."""
    if fmt not in FORMATS:
        abort(404)
    title, header, rows = tables.case_list_table(current_user, ListFilter.from_args(request.args))
    return download("jiefen-cases", fmt, title, header, rows)


@bp.get("/<number>/trail.csv")
@login_required
def trail_csv(number: str):
    title, header, rows = tables.case_trail_table(current_user, number)
    return download(f"jiefen-trail-{number}", "csv", title, header, rows)


@bp.route("/new", methods=["GET", "POST"])
@login_required
def new():
    if not access.may(current_user, access.REGISTER_CASE):
        abort(403)
    if request.method == "POST" and (answered := earlier_submission_or_refusal()):
        return answered
    form = NewCaseForm()
    form.set_choices(catalog.category_id_choices(), catalog.grids_for(current_user),
                     catalog.addresses_for(current_user))
    if form.validate_on_submit():
        parties = [case_service.NewParty(form.applicant_name.data or "", "applicant", form.applicant_phone.data or "")]
        if form.respondent_name.data:
            parties.append(case_service.NewParty(form.respondent_name.data, "respondent",
                                                 form.respondent_phone.data or ""))
        new_case = case_service.NewCase(
            title=form.title.data or "", description=form.description.data or "", category_id=form.category_id.data,
            source=form.source.data, grid_id=form.grid_id.data, address_id=form.address_id.data,
            address_text=form.address_text.data or "", parties=parties, position=form.position(),
            photos=uploads(form.photos.data),
        )
        try:
            case = case_service.open_case(current_user, new_case, request.form.get("client_id"))
        except InvalidInputError as error:
            if (refused := submission_refused(error.message, error.field_errors)) is not None:
                return refused
            show_field_errors(form, error.field_errors)
            flash(error.message, "error")
        except ConcurrentUpdateError:
            return earlier_submission_or_refusal() or abort(409)
        else:
            return submission_made(_("案件 %(number)s 已登记。", number=case.number),
                                   url_for("cases.show", number=case.number))
    elif form.is_submitted():
        if (refused := submission_refused(_("表单有误，请按提示修改。"), form.errors)) is not None:
            return refused
        flash(_("表单有误，请按提示修改。"), "error")
    return render_template("cases/new.html", form=form), 422 if form.is_submitted() else 200


@bp.get("/<number>")
@login_required
def show(number: str):
    view = case_service.get_case(current_user, number)
    return render_template("cases/show.html", view=view,
                           case_file=case_files.get_case_file(current_user, view.case.id), case_number=number,
                           comment_form=CommentForm(formdata=None), attachment_form=AttachmentForm(formdata=None),
                           pause_form=PauseClockForm(), extend_form=ExtendMediationForm(),
                           step_rows={step.task.id: step.rows for step in step_records.completed_steps(view.case)},
                           documents=case_documents.list_documents(current_user, view.case))


@bp.post("/<number>/clock/pause")
@login_required
def pause_clock(number: str):
    form = PauseClockForm()
    if not form.validate_on_submit():
        flash_form_errors(form)
    else:
        flash_outcome(lambda: clocks.pause_case_clock(current_user, number, form.reason.data), _("已暂停计时。"))
    return redirect(url_for("cases.show", number=number))


@bp.post("/<number>/clock/resume")
@login_required
def resume_clock(number: str):
    flash_outcome(lambda: clocks.resume_case_clock(current_user, number), _("已恢复计时，各项时限已顺延。"))
    return redirect(url_for("cases.show", number=number))


@bp.post("/<number>/mediation/extend")
@login_required
def extend_mediation(number: str):
    form = ExtendMediationForm()
    if not form.validate_on_submit():
        flash_form_errors(form)
    else:
        flash_outcome(lambda: clocks.extend_mediation(current_user, number, form.days.data,
                                                       form.both_parties_consent.data),
                       _("调解期限已延长 %(days)s 天。", days=form.days.data))
    return redirect(url_for("cases.show", number=number))
