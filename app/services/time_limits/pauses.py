"""Pausing and resuming a case's clock, and extending the legal mediation limit."""
from datetime import timedelta

from flask_babel import gettext as _
from sqlalchemy import select

from app.extensions import db
from app.models import DisputeCase, User
from app.services import engine
from app.services.cases.mirror import lock_workflow, record_step, saved_state
from app.services.errors import InvalidInputError
from app.services.people import access
from app.services.supervision.trail import TrailEventType, append_event
from app.services.time_limits import clock
from app.services.time_limits.year_schedules import current_calendar
from app.services.transaction import transaction

MAX_EXTENSION_DAYS = 90


@transaction
def pause_case_clock(actor: User, number: str, reason: str) -> DisputeCase:
    """Stop the case's clock with a recorded reason (e.g. waiting for a party who is away)."""
    case = _case_for_clock(actor, number, access.PAUSE_CLOCK)
    if not reason.strip():
        raise InvalidInputError(_("请填写暂停计时的原因。"), {"reason": [_("请填写暂停计时的原因。")]})
    if case.clock_paused_at is not None:
        raise InvalidInputError(_("该案件的计时已暂停。"))
    now = clock.now()
    case.clock_paused_at, case.clock_pause_reason = now, reason.strip()[:200]
    append_event(case.id, TrailEventType.CLOCK_PAUSED, actor=actor, at=now, data={"reason": case.clock_pause_reason})
    return case


@transaction
def resume_case_clock(actor: User, number: str) -> DisputeCase:
    """Restart the clock: each pending limit gets back the time it had left when the clock stopped,
    measured in the unit it counts — working time for working days, clock time for hours and calendar
    days — and counted on from now. The legal clocks (calendar=natural) never stopped."""
    case = _case_for_clock(actor, number, access.PAUSE_CLOCK)
    if case.clock_paused_at is None:
        raise InvalidInputError(_("该案件的计时没有暂停。"))
    now = clock.now()
    paused_at, paused_for = case.clock_paused_at, now - case.clock_paused_at
    calendar = current_calendar()

    def new_due(timer, unit):
        if unit == "statutory" or timer.due_at <= paused_at:
            return None
        if unit == "working":
            return calendar.add_working_time(now, calendar.working_time_between(paused_at, timer.due_at))
        return timer.due_at + paused_for

    workflow = lock_workflow(case.id)
    case.clock_paused_at, case.clock_pause_reason = None, ""
    result = engine.reschedule_timers(saved_state(workflow), calendar, new_due)
    if result is not None:
        record_step(case, workflow, result, actor=actor, now=now)
    append_event(case.id, TrailEventType.CLOCK_RESUMED, actor=actor, at=now,
                 data={"paused_seconds": int(paused_for.total_seconds())})
    return case


@transaction
def extend_mediation(actor: User, number: str, days: int, both_parties_consent: bool) -> DisputeCase:
    """Extend the 30-day mediation limit (People's Mediation Law): only with both parties' consent."""
    case = _case_for_clock(actor, number, access.EXTEND_MEDIATION)
    errors = {}
    if not both_parties_consent:
        errors["both_parties_consent"] = [_("延长调解期限须经双方当事人同意。")]
    if not 1 <= days <= MAX_EXTENSION_DAYS:
        errors["days"] = [_("延长天数须在 1 到 %(MAX_EXTENSION_DAYS)s 之间。", MAX_EXTENSION_DAYS=MAX_EXTENSION_DAYS)]
    if errors:
        raise InvalidInputError(_("无法延长调解期限。"), errors)
    workflow = lock_workflow(case.id)
    result = engine.shift_timers(saved_state(workflow), timedelta(days=days), only={"mediation_limit"})
    if result is None:
        raise InvalidInputError(_("该案件当前没有进行中的调解期限。"))
    now = clock.now()
    record_step(case, workflow, result, actor=actor, now=now)
    append_event(case.id, TrailEventType.MEDIATION_EXTENDED, actor=actor, at=now,
                 data={"days": days, "both_parties_consent": True})
    return case


def _case_for_clock(actor: User, number: str, action: str) -> DisputeCase:
    case = access.ensure_case_visible(
        actor, db.session.scalars(select(DisputeCase).where(DisputeCase.number == number)).first())
    access.ensure_can_manage_clock(actor, action)
    if case.status != "open":
        raise InvalidInputError(_("已结案的案件没有计时。"))
    return case
