"""The case's documents, generated from its own data as PDF (WeasyPrint, HTML templates → PDF).

The step a document belongs to writes its row (kind, date, the agreement's number) in its own transaction;
the PDF is rendered after the commit — by the scheduler's render job, `flask documents render`, or at once
when someone downloads it first — and stored with the case (case_document_content), its SHA-256 recorded in
the row and in the trail. Rendering takes ~0.3 s of CPU a page set: inside the step it made a triage cost
two of them. A document is rendered as of its step (the steps completed by then, the date of its step), so
rendering it later gives the same paper.

- 研判分流 (the case accepted): 受理登记表 and 权利义务告知书;
- each mediation step (on site, in the room, the joint consultation): 调解笔录;
- an agreement: 人民调解协议书 (written, numbered (2026)X人调字第N号 per town and year) or 口头协议登记表;
- 回访: 回访记录;
- the step that closes the case: 结案报告表, then the whole 卷宗 (documents in the standard order, with a
  contents page) as one PDF.

Documents are legal papers in Chinese whatever the reader's language; labels from the forms are read in
Chinese too. Helpers add and flush; the public functions own their transaction.
"""
import hashlib
import logging
from dataclasses import dataclass
from datetime import date, datetime
from zoneinfo import ZoneInfo

from flask import current_app
from flask_babel import force_locale
from flask_babel import gettext as _
from sqlalchemy import func, select, update

from app.extensions import db
from app.models import (
    Attachment,
    CaseDocument,
    CaseDocumentContent,
    DisputeCase,
    DocumentNumberCounter,
    MediationRoom,
    SectorBody,
    Task,
    User,
    mediation_room_grid,
)
from app.models.trail import TrailEventType
from app.services.cases.mirror import lock_workflow
from app.services.cases.sector_bodies import bodies_outside_town
from app.services.cases.step_records import completed_steps, task_record_rows
from app.services.errors import ConcurrentUpdateError, InvalidInputError, NotFoundError
from app.services.people import access
from app.services.supervision.trail import append_event
from app.services.time_limits import clock
from app.services.transaction import transaction
from forms.tasks import missing_agreement_items

log = logging.getLogger(__name__)

# Every kind, in the standard order of a case file (卷宗).
KINDS = {
    "acceptance_register": "受理登记表",
    "rights_notice": "权利义务告知书",
    "mediation_record": "调解笔录",
    "agreement": "人民调解协议书",
    "oral_agreement_register": "口头协议登记表",
    "follow_up_record": "回访记录",
    "closing_report": "结案报告表",
    "case_file": "卷宗",
}
MEDIATION_STEPS = ("on_site_mediation", "mediation_session", "joint_consultation")
PARTY_ROLES = {"applicant": "申请人", "respondent": "被申请人", "other": "其他当事人"}


@dataclass(frozen=True)
class Download:
    filename: str
    content_type: str
    data: bytes


@dataclass(frozen=True)
class RenderReport:
    rendered: int
    failed_case_ids: tuple[int, ...]
    remaining: int  # documents still waiting (those of failed cases among them)


def check_step_data(case: DisputeCase, task: Task, data: dict) -> None:
    """Refuse a step whose data would make a half-filled document, or names another town's bodies.

    The forms check the same on the page and in the API; this holds for every caller of submit_task.
    """
    errors = missing_agreement_items(data)
    if task.form_key == "joint_consultation":
        town_id = case.grid.community.town_id
        named = list(data.get("sector_bodies") or []) + ([data["referral_body"]] if data.get("referral_body") else [])
        if bodies_outside_town(town_id, named):
            errors.setdefault("sector_bodies", []).append(_("只能选择本乡镇在用的行业性、专业性调解组织。"))
    if errors:
        raise InvalidInputError(_("办理信息不完整，不能生成文书：%(items)s",
                                  items=_("；").join(message for messages in errors.values() for message in messages)),
                                errors)


def request_step_documents(case: DisputeCase, task: Task, actor: User, now: datetime) -> list[CaseDocument]:
    """Helper for submit_task: the rows of the documents this step produces (see the module's list), to be
    rendered after the commit. The agreement's number is given out here, in the order of the steps."""
    data = task.submitted_data or {}
    made = []
    if task.form_key == "triage":
        made += [_request(case, "acceptance_register", task, actor, now), _request(case, "rights_notice", task, actor, now)]
    if task.form_key in MEDIATION_STEPS:
        made.append(_request(case, "mediation_record", task, actor, now))
        if data.get("result") == "agreement":
            if data.get("agreement_form") == "written":
                made.append(_request(case, "agreement", task, actor, now, number=_next_agreement_number(case, now)))
            else:
                made.append(_request(case, "oral_agreement_register", task, actor, now))
    if task.form_key == "follow_up":
        made.append(_request(case, "follow_up_record", task, actor, now))
    if case.status == "closed":
        made.append(_request(case, "closing_report", task, actor, now))
        made.append(_request(case, "case_file", task, actor, now))
    return made


def render_pending_documents(retry_failed: bool = False, batch_size: int = 50) -> RenderReport:
    """Render every document waiting for its PDF, oldest first; each case in its own transaction.

    A case whose rendering fails keeps its documents waiting with the error recorded (shown on the case
    page); they are tried again when downloaded or with `retry_failed`. A case a step is writing at the
    same moment is left for the next run.
    """
    rendered, failed = 0, []
    skipped: set[int] = set()
    while True:
        waiting = select(CaseDocument.case_id).where(CaseDocument.sha256.is_(None))
        if not retry_failed:
            waiting = waiting.where(CaseDocument.render_error.is_(None))
        if skipped:
            waiting = waiting.where(CaseDocument.case_id.not_in(skipped))
        case_ids = db.session.scalars(waiting.group_by(CaseDocument.case_id)
                                      .order_by(func.min(CaseDocument.id)).limit(batch_size)).all()
        db.session.rollback()  # end the read; each case below runs in a transaction of its own
        if not case_ids:
            break
        for case_id in case_ids:
            try:
                rendered += _render_or_record_failure(case_id)
            except ConcurrentUpdateError:
                skipped.add(case_id)
            except Exception:  # one broken document must not stop the others
                failed.append(case_id)
                skipped.add(case_id)
    remaining = db.session.scalar(select(func.count()).where(CaseDocument.sha256.is_(None))) or 0
    db.session.rollback()
    return RenderReport(rendered=rendered, failed_case_ids=tuple(failed), remaining=remaining)


def list_documents(actor: User, case: DisputeCase) -> list[CaseDocument]:
    """The documents of a case the actor may see, in the order they were made."""
    access.ensure_case_visible(actor, case)
    return list(db.session.scalars(select(CaseDocument).where(CaseDocument.case_id == case.id)
                                   .order_by(CaseDocument.created_at, CaseDocument.id)))


def get_document(actor: User, case_number: str, document_id: int) -> Download:
    """A document's PDF, for those who may see its case and download its files (others: not found).

    One not rendered yet is rendered now, with the case's other waiting documents."""
    case = access.ensure_may(actor, access.DOWNLOAD_ATTACHMENT,
                             db.session.scalar(select(DisputeCase).where(DisputeCase.number == case_number)))
    document = db.session.get(CaseDocument, document_id)
    if document is None or document.case_id != case.id:
        raise NotFoundError(_("没有找到该文书。"))
    if not document.rendered:
        try:
            _render_or_record_failure(case.id)
        except ConcurrentUpdateError:
            raise
        except Exception as error:
            raise InvalidInputError(_("文书生成失败，已记录原因，请稍后重试或联系管理员。")) from error
        document = db.session.get_one(CaseDocument, document_id)
    content = db.session.get_one(CaseDocumentContent, document.id)  # written when it was rendered
    return Download(filename=document.filename, content_type="application/pdf", data=content.data)


def render_pdf(html: str) -> bytes:
    # Imported here: WeasyPrint loads Pango and fonts, which only document steps need.
    from weasyprint import HTML

    return HTML(string=html, base_url=current_app.root_path).write_pdf()


# --- Making one document ---------------------------------------------------------------------------

def _request(case: DisputeCase, kind: str, task: Task, actor: User, now: datetime,
             number: str | None = None) -> CaseDocument:
    title = KINDS[kind]
    suffix = ""
    if kind == "mediation_record":  # one per session: numbered in the order they were held
        held = db.session.scalar(select(func.count()).where(CaseDocument.case_id == case.id,
                                                            CaseDocument.kind == kind)) or 0
        suffix = f"-{held + 1}"
    document = CaseDocument(case_id=case.id, task_id=task.id, kind=kind, title=title, number=number,
                            filename=f"{case.number}-{title}{suffix}.pdf", created_at=now, created_by_id=actor.id)
    db.session.add(document)
    return document


def _render_or_record_failure(case_id: int) -> int:
    """Render a case's waiting documents; a failure is logged and recorded on them, then raised."""
    try:
        return _render_case_documents(case_id)
    except ConcurrentUpdateError:
        raise  # a step wrote the case meanwhile: nothing failed, the next try renders them
    except Exception as error:
        log.exception("documents of case %s not rendered", case_id)
        _record_render_error(case_id, f"{type(error).__name__}: {error}")
        raise


@transaction
def _render_case_documents(case_id: int) -> int:
    lock_workflow(case_id)  # as a step does: the trail's head on the case row moves
    case = db.session.get_one(DisputeCase, case_id, populate_existing=True)  # the workflow row's case
    waiting = db.session.scalars(select(CaseDocument).where(
        CaseDocument.case_id == case_id, CaseDocument.sha256.is_(None)).order_by(CaseDocument.id)).all()
    for document in waiting:
        _render_one(case, document)
    return len(waiting)


def _render_one(case: DisputeCase, document: CaseDocument) -> None:
    task = _task(document.task_id)
    with force_locale("zh_CN"):
        html = _render(case, document.kind, task, document.created_at, document.number)
    data = render_pdf(html)
    document.size, document.sha256, document.render_error = len(data), hashlib.sha256(data).hexdigest(), None
    db.session.add(CaseDocumentContent(document_id=document.id, data=data))
    append_event(case.id, TrailEventType.DOCUMENT_GENERATED, actor=document.created_by, at=clock.now(),
                 task_id=document.task_id, data={
                     "document_id": document.id, "kind": document.kind, "title": document.title,
                     "number": document.number, "size": document.size, "sha256": document.sha256,
                     "task": task.name if task else None})


@transaction
def _record_render_error(case_id: int, message: str) -> None:
    db.session.execute(update(CaseDocument).where(CaseDocument.case_id == case_id, CaseDocument.sha256.is_(None))
                       .values(render_error=message[:500]))


def _render(case: DisputeCase, kind: str, task: Task | None, at: datetime, number: str | None) -> str:
    """The document's HTML as of `at`, its step's time."""
    context = _context(case, at)
    if kind == "case_file":
        stored = list(db.session.scalars(select(CaseDocument).where(
            CaseDocument.case_id == case.id, CaseDocument.kind != "case_file", CaseDocument.created_at <= at)))
        order = list(KINDS)
        stored.sort(key=lambda document: (order.index(document.kind), document.created_at, document.id))
        # Anchored by place in the file, not by row id: the same papers make the same file on any database.
        sections = [{"id": f"doc-{place}", "title": document.title, "number": document.number,
                     "body": _body(case, document.kind, _task(document.task_id), document.created_at,
                                   document.number, context)}
                    for place, document in enumerate(stored, start=1)]
        attachments = db.session.scalars(select(Attachment).where(Attachment.case_id == case.id)
                                          .order_by(Attachment.id)).all()
        return _render_template("documents/case_file.html", sections=sections, attachments=attachments, **context)
    return _render_template("documents/page.html", title=KINDS[kind],
                           body=_body(case, kind, task, at, number, context), **context)


def _body(case, kind, task, at, number, context) -> str:
    rows = task_record_rows(task) if task else []
    return _render_template(f"documents/{kind}.html", task=task, rows=rows, values={row.name: row.value for row in rows},
                           data=(task.submitted_data or {}) if task else {}, at=at, number=number,
                           date_text=_date_text(at), **context)


def _render_template(name: str, **context) -> str:
    # The templates alone, without the request's context processors: documents are made in CLI runs too.
    return current_app.jinja_env.get_template(name).render(**context)


def _context(case: DisputeCase, at: datetime) -> dict:
    town = case.grid.community.town
    steps = completed_steps(case, until=at)
    room = db.session.scalar(select(MediationRoom).join(
        mediation_room_grid, mediation_room_grid.c.room_id == MediationRoom.id).where(
        mediation_room_grid.c.grid_id == case.grid_id))
    opened_by = db.session.get(User, case.opened_by_id) if case.opened_by_id else None
    return {
        "case": case, "town": town, "committee": f"{town.name}人民调解委员会", "room": room,
        "parties": [{"name": party.name, "role": PARTY_ROLES.get(party.role, party.role), "phone": party.phone,
                     "id_number": party.id_number} for party in case.parties],
        "steps": steps, "opened_by": opened_by, "local": _local, "cn_date": _iso_date_text,
        "sector_bodies": {str(body.id): body.name for body in db.session.scalars(
            select(SectorBody).where(SectorBody.town_id == town.id))},
    }


def _task(task_id: int | None) -> Task | None:
    return db.session.get(Task, task_id) if task_id else None


def _next_agreement_number(case: DisputeCase, now: datetime) -> str:
    """`(2026)城人调字第12号`: the town's committee counts its agreements per (local) year."""
    town = case.grid.community.town
    year = _local_datetime(now).year
    bumped = db.session.execute(
        update(DocumentNumberCounter)
        .where(DocumentNumberCounter.town_id == town.id, DocumentNumberCounter.year == year)
        .values(last_number=DocumentNumberCounter.last_number + 1)
        .returning(DocumentNumberCounter.last_number)
    ).scalar()
    if bumped is None:
        db.session.add(DocumentNumberCounter(town_id=town.id, year=year, last_number=1))
        db.session.flush()
        bumped = 1
    return f"({year}){town.name[:1]}人调字第{bumped}号"


def _local_datetime(value: datetime) -> datetime:
    return value.astimezone(ZoneInfo(current_app.config["DISPLAY_TIMEZONE"]))


def _local(value: datetime | None) -> str:
    return _local_datetime(value).strftime("%Y年%m月%d日 %H:%M") if value else "—"


def _iso_date_text(value: str | None) -> str:
    """`2026-12-20` as 2026年12月20日 (a date the form collected)."""
    try:
        day = date.fromisoformat(value or "")
    except ValueError:
        return value or "—"
    return f"{day.year}年{day.month}月{day.day}日"


def _date_text(value: datetime) -> str:
    local = _local_datetime(value)
    return f"{local.year}年{local.month}月{local.day}日"
