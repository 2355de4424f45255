"""Appending to and checking the hash-chained case trail. Helpers only: they add, never commit."""
import hashlib
import json
from datetime import datetime, timezone
from typing import Any

from sqlalchemy import select

from app.extensions import db
from app.models import TrailEvent, User

GENESIS_HASH = "0" * 64


def append_event(
    case_id: int, event: str, *, actor: User | None, at: datetime, data: dict[str, Any] | None = None,
    task_id: int | None = None,
) -> TrailEvent:
    """Add the next entry of a case's trail, chained to the previous entry's hash."""
    previous = db.session.execute(
        select(TrailEvent.seq, TrailEvent.hash)
        .where(TrailEvent.case_id == case_id)
        .order_by(TrailEvent.seq.desc())
        .limit(1)
    ).first()
    entry = TrailEvent(
        case_id=case_id,
        seq=previous.seq + 1 if previous else 1,
        occurred_at=at,
        actor_id=actor.id if actor else None,
        actor_name=actor.display_name if actor else "系统",
        event=event,
        task_id=task_id,
        data=data or {},
        prev_hash=previous.hash if previous else GENESIS_HASH,
    )
    entry.hash = entry_hash(entry)
    db.session.add(entry)
    db.session.flush()
    return entry


def entry_hash(entry: TrailEvent) -> str:
    canonical = json.dumps(
        {
            "case_id": entry.case_id,
            "seq": entry.seq,
            "occurred_at": entry.occurred_at.astimezone(timezone.utc).isoformat(),
            "actor_id": entry.actor_id,
            "actor_name": entry.actor_name,
            "event": entry.event,
            "task_id": entry.task_id,
            "data": entry.data,
            "prev_hash": entry.prev_hash,
        },
        sort_keys=True,
        ensure_ascii=False,
        separators=(",", ":"),
        default=str,
    )
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


def first_broken_entry(case_id: int) -> int | None:
    """The seq of the first entry whose hash or link does not match, or None if the chain holds."""
    expected_prev = GENESIS_HASH
    for entry in db.session.scalars(
        select(TrailEvent).where(TrailEvent.case_id == case_id).order_by(TrailEvent.seq)
    ):
        if entry.prev_hash != expected_prev or entry.hash != entry_hash(entry):
            return entry.seq
        expected_prev = entry.hash
    return None
