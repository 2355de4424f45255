"""Firing due timers: one indexed query finds the cases, each case advances in its own transaction."""
import logging
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select

from app.extensions import db
from app.models import DisputeCase, PendingTimer
from app.services import clock, engine
from app.services.transaction import transaction
from app.services.workflow_mirror import lock_workflow, record_step

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class SweepReport:
    cases_advanced: int
    timers_fired: int
    failed_case_ids: tuple[int, ...]


def fire_due_timers(now: datetime | None = None, batch_size: int = 500) -> SweepReport:
    """Fire every timer due by `now`; a case that fails is logged and left for the next sweep.

    The engine compares timers with the real clock, so `now` is the clock's time (tests move the
    clock with time-machine rather than pass a future `now`).
    """
    now = now or clock.now()
    case_ids = db.session.scalars(
        select(PendingTimer.case_id).where(PendingTimer.due_at <= now).distinct().limit(batch_size)
    ).all()
    db.session.rollback()  # end the read; each case below runs in a transaction of its own
    advanced, fired, failed = 0, 0, []
    for case_id in case_ids:
        try:
            count = _fire_case_timers(case_id, now)
        except Exception:  # one broken case must not stop the sweep; it is retried next time
            log.exception("timers of case %s not fired", case_id)
            failed.append(case_id)
            continue
        advanced += count > 0
        fired += count
    return SweepReport(cases_advanced=advanced, timers_fired=fired, failed_case_ids=tuple(failed))


@transaction
def _fire_case_timers(case_id: int, now: datetime) -> int:
    workflow = lock_workflow(case_id)
    still_due = db.session.scalar(
        select(PendingTimer.id).where(PendingTimer.case_id == case_id, PendingTimer.due_at <= now).limit(1)
    )
    if still_due is None:  # another sweeper got here first
        return 0
    result = engine.fire_due_timers(workflow.state)
    case = db.session.get(DisputeCase, case_id)
    record_step(case, workflow, result, actor=None, now=now)
    return len(result.fired_timers)
