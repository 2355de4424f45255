"""One sweep fires everything that is due, batch after batch, however much has piled up."""
import logging
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from app.extensions import db
from app.models import Notification, PendingTimer
from app.services.cases.task_actions import claim_task
from app.services.supervision.trail import verify_trails
from app.services.time_limits import clock as jiefen_clock
from app.services.time_limits.timers import BATCH_SIZE, fire_due_timers
from tests import factories as f


def pile_up(world, clock, count: int) -> None:
    for index in range(count):
        f.open_case(world, f"积压 {index}")
    clock.shift(timedelta(days=1, minutes=1))  # every case's 1-day triage limit is due


def due_timers() -> int:
    return db.session.scalar(select(func.count()).select_from(PendingTimer).where(
        PendingTimer.due_at <= jiefen_clock.now()))


def test_a_sweep_goes_on_batch_after_batch_and_says_what_it_did(world, clock, caplog, monkeypatch):
    # Alembic's logging set-up (the test session migrates in-process) disables loggers that existed before it.
    monkeypatch.setattr(logging.getLogger("app.services.time_limits.timers"), "disabled", False)
    pile_up(world, clock, 12)
    with caplog.at_level(logging.INFO):
        report = fire_due_timers(batch_size=5)
    assert (report.timers_fired, report.cases_advanced, report.failed_case_ids, report.remaining) == (12, 12, (), 0)
    assert due_timers() == 0
    assert [m for m in caplog.messages if "on a batch of" in m] == [
        "sweep: 5 timers fired on a batch of 5 cases", "sweep: 5 timers fired on a batch of 5 cases",
        "sweep: 2 timers fired on a batch of 2 cases"]
    assert "sweep done: 12 timers fired on 12 cases, 0 cases failed, 0 cases still due" in caplog.messages
    verified = verify_trails()
    assert (verified.cases, verified.breaks) == (12, [])


@pytest.mark.sqlite  # the batches are looped in Python; on PostgreSQL, batch after batch: the test above
def test_a_sweep_of_more_than_500_due_cases_finishes_in_one_run(world, clock):
    count = BATCH_SIZE + 12
    f.copy_case(f.open_case(world, "积压"), count - 1)  # the others copied in bulk: opening them is not the point
    clock.shift(timedelta(days=1, minutes=1))  # every case's 1-day triage limit is due
    assert due_timers() == count
    report = fire_due_timers()
    assert (report.timers_fired, report.cases_advanced, report.failed_case_ids, report.remaining) == (count, count, (), 0)
    assert due_timers() == 0
    verified = verify_trails()  # the copies' trails, chained in bulk, then appended to by the sweep
    assert (verified.cases, verified.breaks) == (count, [])


def test_a_fired_limit_tells_the_supervisor_and_whoever_may_or_does_hold_the_step_now(world, clock):
    untriaged = f.open_case(world, "未研判")
    claimed = f.open_case(world, "已认领研判")
    claim_task(world["dispatcher"], f.current_task(claimed).id)
    on_site = f.open_case(world, "现场调解超时")
    f.step(world, on_site, "triage_case", f.TRIAGE_L1)
    clock.shift(timedelta(days=4))  # triage's 1-day limit; on site, the 3-day limit moves the case up to the room
    fire_due_timers()

    def told(case) -> set[int]:
        return set(db.session.scalars(select(Notification.user_id).where(Notification.case_id == case.id)))

    # The grid's own people only (the other town's dispatcher, mediator and supervisor are not told).
    assert told(untriaged) == told(claimed) == {world["supervisor"].id, world["dispatcher"].id}
    assert told(on_site) == {world["supervisor"].id, world["mediator"].id}  # who holds the step it moved to
