"""Opening cases and reading them back for the people who may see them."""
from dataclasses import dataclass, field

from flask import current_app
from flask_babel import gettext as _
from flask_sqlalchemy.pagination import Pagination
from sqlalchemy import select, update
from sqlalchemy.orm import selectinload

from app.extensions import db
from app.models import (
    Address,
    CaseNumberCounter,
    Category,
    DisputeCase,
    Grid,
    Party,
    ProcessDefinition,
    Task,
    TrailEvent,
    User,
    WorkflowState,
)
from app.models.dispute_case import SOURCES
from app.models.party import PARTY_ROLES
from app.services import engine
from app.services.cases import lists as listing
from app.services.cases.files import Upload, store_attachment
from app.services.cases.mirror import record_step
from app.services.cases.search import index_case
from app.services.cases.start_data import workflow_start_data
from app.services.cases.submissions import record_submission
from app.services.design.processes import StoredSpecs, latest_definition
from app.services.errors import InvalidInputError
from app.services.people import access
from app.services.supervision.case_counts import record_counts
from app.services.supervision.trail import TrailBreak, TrailEventType, append_event, case_trail_breaks
from app.services.time_limits import clock
from app.services.time_limits.year_schedules import current_calendar
from app.services.transaction import transaction

PROCESS_KEY = "dispute_mediation"
MAX_PHOTOS = 9


@dataclass(frozen=True)
class NewParty:
    name: str
    role: str
    phone: str = ""
    id_number: str = ""


@dataclass(frozen=True)
class NewCase:
    title: str
    source: str
    description: str = ""
    category_id: int | None = None
    grid_id: int | None = None
    address_id: int | None = None
    address_text: str = ""
    parties: list[NewParty] = field(default_factory=list)
    # Where the reporter stood (latitude, longitude), as the phone gave it and the user confirmed.
    position: tuple[float, float] | None = None
    photos: list[Upload] = field(default_factory=list)


@dataclass(frozen=True)
class CaseView:
    """Everything the case page shows, loaded in a few queries."""

    case: DisputeCase
    open_tasks: list[Task]
    trail: list[TrailEvent]
    definition_version: int | None  # None: no workflow row (the page shows a dash)
    trail_breaks: list[TrailBreak]  # shown to trail auditors only; empty for everyone else


@transaction
def open_case(actor: User, new_case: NewCase, client_id: str | None = None) -> DisputeCase:
    """Register a case, start its workflow on the newest process version and route it to its grid.

    Photos taken on patrol are stored with it; `client_id` makes a phone's resend the same submission.
    """
    if len(new_case.photos) > MAX_PHOTOS:
        raise InvalidInputError(_("照片过多。"), {"photos": [_("每次最多上传 %(count)s 张照片。", count=MAX_PHOTOS)]})
    case = start_case(actor, new_case)
    for photo in new_case.photos:
        store_attachment(actor, case, photo, case.opened_at)
    record_submission(actor, client_id, "case", case.id, None, case.opened_at)
    return case


def start_case(actor: User | None, new_case: NewCase) -> DisputeCase:
    """Helper (adds and flushes; the calling public function owns the transaction): the case, its workflow
    and its trail. Intake channels (app/services/intake/handoffs.py, resident_reports.py) open cases through it.
    `actor` None is a resident reporting through a door plate: the caller has checked the plate's token.
    """
    grid_id, address = _resolve_location(new_case)
    if actor is not None:
        access.ensure_can_register_case(actor, grid_id)
    category = _check_case_fields(new_case)
    position = _checked_position(new_case.position)
    now = clock.now()
    calendar = current_calendar()
    case = DisputeCase(
        number=_next_case_number(calendar.local_date(now).year),
        title=new_case.title.strip(),
        description=new_case.description.strip(),
        category_id=new_case.category_id,
        source=new_case.source,
        grid_id=grid_id,
        address_id=address.id if address else None,
        address_text=address.text if address else new_case.address_text.strip(),
        opened_at=now,
        opened_by_id=actor.id if actor else None,
        reported_latitude=position[0] if position else None,
        reported_longitude=position[1] if position else None,
        parties=[Party(name=p.name.strip(), role=p.role, phone=p.phone, id_number=p.id_number)
                 for p in new_case.parties],
    )
    db.session.add(case)
    db.session.flush()
    record_counts(case, None)
    definition = latest_definition(PROCESS_KEY)
    result = engine.start_workflow(StoredSpecs(definition.id), workflow_start_data(
        case.number, case.title, category.code if category else "", case.source), calendar)
    workflow = WorkflowState(case_id=case.id, definition_id=definition.id, state=result.state,
                             serializer_version=result.serializer_version)
    db.session.add(workflow)
    append_event(case.id, TrailEventType.CASE_OPENED, actor=actor, at=now, data={
        "number": case.number, "title": case.title, "source": case.source,
        "process": f"{definition.key} v{definition.version}",
    })
    record_step(case, workflow, result, actor=actor, now=now)
    index_case(case.id)
    return case


def get_case(actor: User, number: str) -> CaseView:
    case = access.ensure_case_visible(actor, db.session.scalars(
        select(DisputeCase).where(DisputeCase.number == number).options(selectinload(DisputeCase.parties))
    ).first())
    open_tasks = db.session.scalars(
        select(Task).where(Task.case_id == case.id, Task.state == "ready").order_by(Task.id)
    ).all()
    trail = db.session.scalars(
        select(TrailEvent).where(TrailEvent.case_id == case.id).order_by(TrailEvent.seq)
    ).all()
    version = db.session.scalar(
        select(ProcessDefinition.version)
        .join(WorkflowState, WorkflowState.definition_id == ProcessDefinition.id)
        .where(WorkflowState.case_id == case.id)
    )
    return CaseView(
        case=case,
        open_tasks=list(open_tasks),
        trail=list(trail),
        definition_version=version,
        trail_breaks=case_trail_breaks(case, list(trail)) if access.may(actor, access.AUDIT_TRAIL) else [],
    )


def list_cases(actor: User, wanted: listing.ListFilter | None = None) -> Pagination:
    """The cases the actor may see, filtered, sorted and one page of them (all in SQL). The list shows each
    case's next due time from its row (mirror.py keeps it with each step): the same one the list sorts by."""
    wanted = wanted or listing.ListFilter()
    return listing.paginate(filtered_cases(actor, wanted), wanted.page,
                            few=lambda: filtered_cases(actor, wanted, few=True))


def filtered_cases(actor: User, wanted: listing.ListFilter, few: bool = False):
    """The query of the case list: the actor's visible cases, filtered and sorted (every page); `few`: see
    lists.filter_cases."""
    query = (
        select(DisputeCase)
        .where(access.visible_cases(actor))
        .options(selectinload(DisputeCase.grid), selectinload(DisputeCase.category))
    )
    if wanted.text:  # a search shows whose case it is
        query = query.options(selectinload(DisputeCase.parties))
    if wanted.due_state:
        query = query.where(DisputeCase.status == "open").where(
            listing.due_state_condition(DisputeCase.next_due_at, wanted.due_state))
    return listing.sort_cases(listing.filter_cases(query, wanted, few), wanted.sort)


def _resolve_location(new_case: NewCase) -> tuple[int, Address | None]:
    """An address decides the grid (一标三实); without one the grid must be given."""
    if new_case.address_id is not None:
        address = db.session.get(Address, new_case.address_id)
        if address is None:
            raise InvalidInputError(_("地址不存在。"), {"address_id": [_("请选择标准地址库中的地址。")]})
        return address.grid_id, address
    if new_case.grid_id is None or db.session.get(Grid, new_case.grid_id) is None:
        raise InvalidInputError(_("请选择地址或网格。"), {"grid_id": [_("请选择案件所在网格。")]})
    return new_case.grid_id, None


def _checked_position(position: tuple[float, float] | None) -> tuple[float, float] | None:
    if position is None:
        return None
    latitude, longitude = position
    if not (-90 <= latitude <= 90 and -180 <= longitude <= 180):
        raise InvalidInputError(_("位置无效。"), {"position": [_("位置坐标超出范围，请重新定位。")]})
    return latitude, longitude


def _check_case_fields(new_case: NewCase) -> Category | None:
    errors: dict[str, list[str]] = {}
    if not new_case.title.strip():
        errors["title"] = [_("请填写纠纷标题。")]
    if new_case.source not in SOURCES:
        errors["source"] = [_("请选择案件来源。")]
    category = db.session.get(Category, new_case.category_id) if new_case.category_id is not None else None
    if new_case.category_id is not None and category is None:
        errors["category_id"] = [_("纠纷类别不存在。")]
    for party in new_case.parties:
        if not party.name.strip() or party.role not in PARTY_ROLES:
            errors.setdefault("parties", []).append(_("当事人需要姓名和身份。"))
    if errors:
        raise InvalidInputError(_("登记信息有误，请修改后再提交。"), errors)
    return category


def _next_case_number(year: int) -> str:
    """`JF-2026-000123`: a per-year counter bumped under the row lock of this transaction."""
    bumped = db.session.execute(
        update(CaseNumberCounter)
        .where(CaseNumberCounter.year == year)
        .values(last_number=CaseNumberCounter.last_number + 1)
        .returning(CaseNumberCounter.last_number)
    ).scalar()
    if bumped is None:
        db.session.add(CaseNumberCounter(year=year, last_number=1))
        db.session.flush()
        bumped = 1
    return f"{current_app.config['CASE_NUMBER_PREFIX']}-{year}-{bumped:06d}"
