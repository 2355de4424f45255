"""Police hand-offs (非警务警情移交) and pushes back to the police (双向推送).

A police system (POST /api/v1/handoffs) or a police officer (the hand-off page) hands a 110 call that is a
dispute, not a crime, to mediation. The incident number identifies the incident for every channel of the
police service (one deployment serves one police service): handing the same incident again — through the
same channel or another — returns the case opened the first time and creates nothing. Mediation pushes a case to the
police with a reason; police systems poll the pushes in their grids (GET /api/v1/pushes).
"""
from dataclasses import dataclass, field
from datetime import datetime

from flask_babel import gettext as _
from sqlalchemy import select

from app.extensions import db
from app.models import Address, CasePush, Category, DisputeCase, Grid, Handoff, User
from app.services.cases.registry import NewCase, NewParty, start_case
from app.services.cases.search import index_case
from app.services.errors import InvalidInputError
from app.services.people import access
from app.services.supervision.trail import TrailEventType, append_event
from app.services.time_limits import clock
from app.services.transaction import transaction

# The system name under which the hand-off page keys its incident numbers.
PAGE_SYSTEM = "web"


@dataclass(frozen=True)
class IncomingHandoff:
    system: str
    incident_number: str
    title: str
    description: str = ""
    category_code: str = ""
    address_id: int | None = None
    address: str = ""  # standard address text; anything else needs a grid code
    grid_code: str = ""
    reported_at: datetime | None = None
    parties: list[NewParty] = field(default_factory=list)


@dataclass(frozen=True)
class HandoffResult:
    case: DisputeCase
    created: bool  # False: a replay of an incident handed off before


@transaction
def hand_off_case(actor: User, incoming: IncomingHandoff) -> HandoffResult:
    """Open a case (source police_handoff) for a police incident, once per incident number."""
    access.ensure_can_hand_off(actor)
    incident_number = incoming.incident_number.strip()
    existing = db.session.scalar(select(Handoff).where(Handoff.incident_number == incident_number))
    if existing is not None:
        return HandoffResult(case=existing.case, created=False)
    grid_id, address_id, address_text = _resolve_place(incoming)
    category_id = _resolve_category(incoming.category_code)
    case = start_case(actor, NewCase(
        title=incoming.title, source="police_handoff", description=incoming.description,
        category_id=category_id, grid_id=grid_id, address_id=address_id, address_text=address_text,
        parties=list(incoming.parties),
    ))
    now = clock.now()
    db.session.add(Handoff(case_id=case.id, system=incoming.system, incident_number=incident_number,
                           reported_at=incoming.reported_at, received_at=now, received_by_id=actor.id))
    append_event(case.id, TrailEventType.HANDOFF_RECEIVED, actor=actor, at=now, data={
        "system": incoming.system, "incident_number": incident_number,
        "reported_at": incoming.reported_at.isoformat() if incoming.reported_at else None,
    })
    index_case(case.id)  # the incident number is searchable
    return HandoffResult(case=case, created=True)


@dataclass(frozen=True)
class EarlierHandoff:
    case_number: str
    system: str
    visible: bool  # whether the actor may open the case


def find_earlier_handoff(actor: User, incident_number: str) -> EarlierHandoff | None:
    """The case an incident was already handed off as, through any channel (the page checks first, so
    a second hand-off shows that case whatever else the form holds)."""
    access.ensure_can_hand_off(actor)
    handoff = db.session.scalar(select(Handoff).where(Handoff.incident_number == incident_number.strip()))
    if handoff is None:
        return None
    return EarlierHandoff(case_number=handoff.case.number, system=handoff.system,
                          visible=access.can_see_case(actor, handoff.case_id))


@transaction
def push_case_to_police(actor: User, number: str, reason: str) -> CasePush:
    """Push an open case to the police with a reason; a case is pushed once. The process does not move:
    a case the police must take over inside Jiefen is flagged at triage (violence risk)."""
    case = access.ensure_can_push_case(
        actor, db.session.scalar(select(DisputeCase).where(DisputeCase.number == number)))
    reason = reason.strip()
    if not reason:
        raise InvalidInputError(_("请填写推送原因。"), {"reason": [_("请填写推送原因。")]})
    if case.status != "open":
        raise InvalidInputError(_("案件已结案，不能推送公安。"))
    if db.session.scalar(select(CasePush.id).where(CasePush.case_id == case.id)) is not None:
        raise InvalidInputError(_("该案件已推送公安。"))
    now = clock.now()
    push = CasePush(case_id=case.id, reason=reason, pushed_at=now, pushed_by_id=actor.id)
    db.session.add(push)
    append_event(case.id, TrailEventType.CASE_PUSHED, actor=actor, at=now, data={"to": "police", "reason": reason})
    db.session.flush()
    return push


@dataclass(frozen=True)
class PushView:
    id: int
    case_number: str
    title: str
    grid_code: str
    police_grid: str
    reason: str
    pushed_at: datetime
    incident_number: str | None  # when the case came from a police hand-off


def list_pushes(actor: User, *, after_id: int = 0, limit: int = 100) -> list[PushView]:
    """Pushes of cases the actor may see, oldest first, after a cursor (the last id a poller has seen)."""
    rows = db.session.execute(
        select(CasePush, DisputeCase, Grid, Handoff.incident_number)
        .join(DisputeCase, DisputeCase.id == CasePush.case_id)
        .join(Grid, Grid.id == DisputeCase.grid_id)
        .outerjoin(Handoff, Handoff.case_id == DisputeCase.id)
        .where(access.visible_cases(actor), CasePush.id > after_id)
        .order_by(CasePush.id)
        .limit(limit)
    ).all()
    return [
        PushView(id=push.id, case_number=case.number, title=case.title, grid_code=grid.code,
                 police_grid=grid.police_grid.name, reason=push.reason, pushed_at=push.pushed_at,
                 incident_number=incident_number)
        for push, case, grid, incident_number in rows
    ]


@dataclass(frozen=True)
class PoliceLinks:
    handoff: Handoff | None  # where the case came from
    push: CasePush | None  # when it was pushed to the police


def get_police_links(actor: User, number: str) -> PoliceLinks:
    """A visible case's hand-off and push, for the case page."""
    case = access.ensure_case_visible(
        actor, db.session.scalar(select(DisputeCase).where(DisputeCase.number == number)))
    return PoliceLinks(
        handoff=db.session.scalar(select(Handoff).where(Handoff.case_id == case.id)),
        push=db.session.scalar(select(CasePush).where(CasePush.case_id == case.id)),
    )


def _resolve_place(incoming: IncomingHandoff) -> tuple[int | None, int | None, str]:
    """(grid id, address id, address text): a standard address decides the grid; otherwise a grid code."""
    text = incoming.address.strip()
    if incoming.address_id is not None:
        if db.session.get(Address, incoming.address_id) is None:
            raise InvalidInputError(_("地址不存在。"), {"address_id": [_("标准地址库中没有该地址。")]})
        return None, incoming.address_id, ""
    if text:
        address = db.session.scalar(select(Address).where(Address.text == text))
        if address is not None:
            return None, address.id, ""
    if incoming.grid_code.strip():
        grid = db.session.scalar(select(Grid).where(Grid.code == incoming.grid_code.strip()))
        if grid is None:
            raise InvalidInputError(_("网格不存在。"), {"grid_code": [_("网格编码 %(grid_code)s 不存在。", grid_code=incoming.grid_code)]})
        return grid.id, None, text
    if text:
        raise InvalidInputError(_("地址不在标准地址库中。"), {"address": [_("该地址不在标准地址库中，请同时填写网格编码。")]})
    raise InvalidInputError(_("请填写标准地址或网格编码。"), {"address": [_("请填写标准地址或网格编码。")]})


def _resolve_category(code: str) -> int | None:
    if not code:
        return None
    category_id = db.session.scalar(select(Category.id).where(Category.code == code))
    if category_id is None:
        raise InvalidInputError(_("纠纷类别不存在。"), {"category": [_("纠纷类别 %(code)s 不存在。", code=code)]})
    return category_id
