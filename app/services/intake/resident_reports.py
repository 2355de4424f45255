"""Residents' own reports through the QR code on their door plate (智慧门牌), and following them by code.

No log-in: the door plate's unguessable token stands for the address, and the report lands as a case
(source resident_report) on that address's grid. The resident gets a tracking code; tracking shows the
case's progress only — no parties, no names, no descriptions.
"""
import secrets
from dataclasses import dataclass
from datetime import datetime

from flask_babel import gettext as _
from sqlalchemy import select

from app.extensions import db
from app.models import Address, DisputeCase, Grid, Task, User
from app.services.cases import catalog
from app.services.cases.registry import NewCase, NewParty, start_case
from app.services.cases.search import index_case
from app.services.errors import InvalidInputError, NotFoundError
from app.services.people import access
from app.services.supervision.trail import TrailEventType, append_event
from app.services.time_limits import clock
from app.services.transaction import transaction

# No 0/O, 1/I/L: easy to read aloud and type from a phone screen. 12 of 31 symbols ≈ 59 bits.
CODE_ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"
CODE_LENGTH = 12


@dataclass(frozen=True)
class ResidentReport:
    title: str
    description: str
    name: str
    phone: str
    consent: bool


@dataclass(frozen=True)
class ReportReceipt:
    case_number: str
    tracking_code: str  # grouped for reading: ABCD-EFGH-JKMN


@dataclass(frozen=True)
class TrackedStep:
    name: str
    since: datetime
    due_at: datetime | None
    finished_at: datetime | None


@dataclass(frozen=True)
class Tracking:
    """What a tracking code shows: progress, never personal data."""

    case_number: str
    status: str
    outcome: str | None
    tier: int | None
    category: str | None
    opened_at: datetime
    closed_at: datetime | None
    current_steps: list[TrackedStep]
    finished_steps: list[TrackedStep]


def find_plate(plate_token: str) -> Address:
    """The address a door plate stands for; an unknown token is not found."""
    address = db.session.scalar(select(Address).where(Address.plate_token == plate_token)) if plate_token else None
    if address is None:
        raise NotFoundError(_("门牌二维码无效，请联系网格员。"))
    return address


@transaction
def report_dispute(plate_token: str, report: ResidentReport) -> ReportReceipt:
    """Open a case on the door plate's address for a resident and give them a tracking code."""
    address = find_plate(plate_token)
    if not report.consent:
        raise InvalidInputError(_("请同意将您的姓名和电话用于调解联系。"), {"consent": [_("请勾选同意后再提交。")]})
    case = start_case(None, NewCase(
        title=report.title, source="resident_report", description=report.description, address_id=address.id,
        parties=[NewParty(report.name, "applicant", report.phone.strip())],
    ))
    case.tracking_code = _new_tracking_code()
    append_event(case.id, TrailEventType.REPORT_RECEIVED, actor=None, at=clock.now(), data={
        "channel": "door_plate", "consent": True,
    })
    index_case(case.id)  # the tracking code is searchable
    return ReportReceipt(case_number=case.number, tracking_code=format_code(case.tracking_code))


def track_case(code: str) -> Tracking:
    """A case's progress by its tracking code (dashes, spaces and case do not matter)."""
    normalized = normalize_code(code)
    case = None
    if len(normalized) == CODE_LENGTH:
        case = db.session.scalar(select(DisputeCase).where(DisputeCase.tracking_code == normalized))
    if case is None:
        raise NotFoundError(_("没有找到该查询码对应的案件，请核对后重新输入。"))
    tasks = db.session.scalars(
        select(Task).where(Task.case_id == case.id, Task.state != "cancelled").order_by(Task.id)
    ).all()
    return Tracking(
        case_number=case.number, status=case.status, outcome=case.outcome, tier=case.tier,
        category=case.category.label if case.category else None, opened_at=case.opened_at,
        closed_at=case.closed_at,
        current_steps=[TrackedStep(t.name, t.created_at, t.due_at, None) for t in tasks if t.state == "ready"],
        finished_steps=[TrackedStep(t.name, t.created_at, None, t.completed_at)
                        for t in tasks if t.state == "completed"],
    )


def list_plates(actor: User, grid_code: str = "") -> list[Address]:
    """Addresses of the actor's grids, for the door-plate QR sheet; optionally one grid."""
    access.ensure_can_print_plates(actor)
    addresses = catalog.addresses_for(actor)
    if grid_code:
        addresses = [address for address in addresses if address.grid.code == grid_code]
    return addresses


def plate_grids(actor: User) -> list[Grid]:
    access.ensure_can_print_plates(actor)
    return catalog.grids_for(actor)


def normalize_code(code: str) -> str:
    return "".join(ch for ch in (code or "").upper() if ch.isalnum())[:32]


def format_code(code: str) -> str:
    return "-".join(code[i:i + 4] for i in range(0, len(code), 4))


def _new_tracking_code() -> str:
    while True:
        code = "".join(secrets.choice(CODE_ALPHABET) for _ in range(CODE_LENGTH))
        if db.session.scalar(select(DisputeCase.id).where(DisputeCase.tracking_code == code)) is None:
            return code
