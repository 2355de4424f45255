"""Submissions a phone sends with an id of its own (offline drafts, flaky connections).

The id is recorded in the same transaction as what the submission made, so a resend — after a lost
response, or from the offline queue — finds the earlier result instead of opening a second case or
completing a task twice.
"""
import re
from dataclasses import dataclass
from datetime import datetime

from flask_babel import gettext as _
from sqlalchemy import select

from app.extensions import db
from app.models import ClientSubmission, DisputeCase, User
from app.services.errors import InvalidInputError

CLIENT_ID = re.compile(r"^[A-Za-z0-9_-]{8,64}$")


@dataclass(frozen=True)
class EarlierSubmission:
    kind: str
    case_number: str
    object_id: int | None
    created_at: datetime


def checked_client_id(client_id: str | None) -> str | None:
    """A client id as sent by a form or the offline queue: absent, or 8–64 letters, digits, - and _."""
    if not client_id:
        return None
    if not CLIENT_ID.match(client_id):
        raise InvalidInputError(_("提交编号无效。"), {"client_id": [_("提交编号无效，请刷新页面后重试。")]})
    return client_id


def find_submission(actor: User, client_id: str | None) -> EarlierSubmission | None:
    """What the actor's earlier submission with this id made, if there was one."""
    if not checked_client_id(client_id):
        return None
    row = db.session.execute(
        select(ClientSubmission, DisputeCase.number)
        .join(DisputeCase, DisputeCase.id == ClientSubmission.case_id)
        .where(ClientSubmission.user_id == actor.id, ClientSubmission.client_id == client_id)
    ).first()
    if row is None:
        return None
    submission, number = row
    return EarlierSubmission(kind=submission.kind, case_number=number, object_id=submission.object_id,
                             created_at=submission.created_at)


def record_submission(actor: User, client_id: str | None, kind: str, case_id: int, object_id: int | None,
                      now: datetime) -> None:
    """Helper for the public functions (adds; the caller commits): a racing resend collides on the unique key."""
    if checked_client_id(client_id):
        db.session.add(ClientSubmission(user_id=actor.id, client_id=client_id, kind=kind, case_id=case_id,
                                        object_id=object_id, created_at=now))
