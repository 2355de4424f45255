"""The People's Mediation Law clocks: 30 days of mediation, 30 days to apply for judicial confirmation."""
from datetime import timedelta

import pytest
from sqlalchemy import select

from app.extensions import db
from app.models import Notification, PendingTimer, TrailEvent
from app.services.errors import InvalidInputError
from app.services.time_limits import pauses as clocks
from app.services.time_limits.timers import fire_due_timers
from tests import factories as f
from tests.conftest import START


def due(case, bpmn_id):
    return db.session.scalar(select(PendingTimer.due_at).where(
        PendingTimer.case_id == case.id, PendingTimer.bpmn_id == bpmn_id))


def test_mediation_is_limited_to_30_calendar_days_even_on_working_days(world, clock, day_counting):
    day_counting("working")
    case = f.open_case(world)
    f.step(world, case, "triage_case", f.TRIAGE_L2)
    assert due(case, "mediation_limit") == START + timedelta(days=30)
    clock.shift(timedelta(days=30, minutes=1))
    fire_due_timers()
    notes = db.session.scalars(select(Notification.kind).where(Notification.case_id == case.id)).all()
    assert "mediation_overdue" in notes
    assert f.current_task(case).bpmn_id == "assess_four_accounts"  # a reminder: mediation goes on


def test_an_extension_needs_both_parties_and_moves_the_limit(world, clock):
    case = f.open_case(world)
    f.step(world, case, "triage_case", f.TRIAGE_L2)
    with pytest.raises(InvalidInputError):
        clocks.extend_mediation(world["mediator"], case.number, 15, both_parties_consent=False)
    clocks.extend_mediation(world["mediator"], case.number, 15, both_parties_consent=True)
    assert due(case, "mediation_limit") == START + timedelta(days=45)
    assert due(case, "yellow_card") == START + timedelta(days=3)  # only the mediation limit moves
    event = db.session.scalar(select(TrailEvent).where(TrailEvent.case_id == case.id,
                                                       TrailEvent.event == "mediation_extended"))
    assert event.data == {"days": 15, "both_parties_consent": True}


def test_no_extension_outside_the_mediation_room(world, clock):
    case = f.open_case(world)
    with pytest.raises(InvalidInputError, match="没有进行中的调解期限"):
        clocks.extend_mediation(world["dispatcher"], case.number, 10, both_parties_consent=True)


def test_the_judicial_confirmation_window_reminds_before_it_closes(world, clock):
    case = f.open_case(world)
    f.step(world, case, "triage_case", f.TRIAGE_L2)
    f.step(world, case, "assess_four_accounts", f.FOUR_ACCOUNTS)
    f.step(world, case, "hold_mediation_session", f.SESSION_CONFIRM)
    assert f.current_task(case).bpmn_id == "refer_judicial_confirmation"
    assert due(case, "confirmation_reminder") == START + timedelta(days=25)
    clock.shift(timedelta(days=25, minutes=1))
    fire_due_timers()
    notes = db.session.scalars(select(Notification).where(Notification.case_id == case.id,
                                                          Notification.kind == "confirmation_window_closing")).all()
    assert notes and "司法确认期限" in notes[0].message
    assert f.current_task(case).bpmn_id == "refer_judicial_confirmation"
