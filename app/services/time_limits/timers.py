"""Firing due timers: one indexed query finds the cases, each case advances in its own transaction."""
import logging
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select

from app.extensions import db
from app.models import DisputeCase, PendingTimer
from app.services import engine
from app.services.cases.mirror import claim_workflow, record_step
from app.services.errors import ConcurrentUpdateError
from app.services.time_limits import clock
from app.services.time_limits.year_schedules import current_calendar
from app.services.transaction import transaction

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class SweepReport:
    cases_advanced: int
    timers_fired: int
    failed_case_ids: tuple[int, ...]


def fire_due_timers(now: datetime | None = None, batch_size: int = 500) -> SweepReport:
    """Fire every timer due by `now` on open cases whose clock runs; each case in its own transaction.

    A case that fails is logged and left for the next sweep. Two sweeps at once each claim a case
    before firing (a skipped row lock on PostgreSQL, the version check on SQLite), so every timer
    fires once. The engine compares timers with the real clock, so `now` is the clock's time (tests
    move the clock with time-machine rather than pass a future `now`).
    """
    now = now or clock.now()
    case_ids = db.session.scalars(
        select(PendingTimer.case_id)
        .join(DisputeCase, DisputeCase.id == PendingTimer.case_id)
        .where(PendingTimer.due_at <= now, DisputeCase.clock_paused_at.is_(None))
        .group_by(PendingTimer.case_id)
        .order_by(func.min(PendingTimer.due_at))
        .limit(batch_size)
    ).all()
    db.session.rollback()  # end the read; each case below runs in a transaction of its own
    advanced, fired, failed = 0, 0, []
    for case_id in case_ids:
        try:
            count = _fire_case_timers(case_id, now)
        except ConcurrentUpdateError:
            continue  # another sweep fired this case's timers first
        except Exception:  # one broken case must not stop the sweep; it is retried next time
            log.exception("timers of case %s not fired", case_id)
            failed.append(case_id)
            continue
        advanced += count > 0
        fired += count
    return SweepReport(cases_advanced=advanced, timers_fired=fired, failed_case_ids=tuple(failed))


@transaction
def _fire_case_timers(case_id: int, now: datetime) -> int:
    workflow = claim_workflow(case_id)
    if workflow is None:  # another sweep holds this case
        return 0
    case = db.session.get(DisputeCase, case_id, populate_existing=True)
    still_due = db.session.scalar(
        select(PendingTimer.id).where(PendingTimer.case_id == case_id, PendingTimer.due_at <= now).limit(1)
    )
    if still_due is None or case.clock_paused_at is not None:  # fired by another sweep, or paused
        return 0
    result = engine.fire_due_timers(workflow.state, current_calendar())
    record_step(case, workflow, result, actor=None, now=now)
    return len(result.fired_timers)
