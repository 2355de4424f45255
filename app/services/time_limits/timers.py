"""Firing due timers: one indexed query finds the cases, each case advances in its own transaction."""
import logging
import multiprocessing
from collections.abc import Collection, Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from datetime import datetime
from functools import cache
from itertools import chain, repeat

from flask import current_app
from sqlalchemy import BindParameter, Select, and_, bindparam, exists, func, or_, select
from sqlalchemy.orm import joinedload

from app.extensions import db
from app.models import DisputeCase, PendingTimer, WorkflowState
from app.services import engine
from app.services.cases.mirror import record_step, saved_state
from app.services.errors import ConcurrentUpdateError
from app.services.time_limits import clock
from app.services.time_limits.year_schedules import current_calendar
from app.services.transaction import transaction

log = logging.getLogger(__name__)
BATCH_SIZE = 500
# A batch this small is fired in the sweep's own process: starting another (~1.3 s of CPU, importing the
# app) costs more than it saves below ~100 cases (a case takes ~25 ms).
PARALLEL_MIN_CASES = 100


@dataclass(frozen=True)
class SweepReport:
    cases_advanced: int
    timers_fired: int
    failed_case_ids: tuple[int, ...]
    remaining: int = 0  # cases still due when the sweep ended (the failed ones, retried next time)


def fire_due_timers(now: datetime | None = None, batch_size: int = BATCH_SIZE) -> SweepReport:
    """Fire every timer due by `now` on open cases; each case in its own transaction.

    Batch after batch until nothing is due: a case whose clock is paused fires only its legal
    (statutory) clocks. A case that fails is logged, skipped for the rest of this sweep and
    retried by the next. Two sweeps at once each claim a case before firing (a skipped row lock on
    PostgreSQL, the version check on SQLite), so every timer fires once. The engine compares timers
    with the real clock, so `now` is the clock's time (tests move the clock with time-machine).
    """
    now = now or clock.now()
    advanced, fired, failed = 0, 0, []
    skipped: set[int] = set()
    with _Sweepers() as sweepers:
        while True:
            case_ids = db.session.scalars(due_cases(now, skipped).limit(batch_size)).all()
            db.session.rollback()  # end the read; each case below runs in a transaction of its own
            if not case_ids:
                break
            batch_fired = 0
            for case_id, count in sweepers.fire(case_ids, now):
                if count is None:
                    failed.append(case_id)
                if not count:  # failed, or another sweep's: not again in this sweep
                    skipped.add(case_id)
                advanced += bool(count)
                batch_fired += count or 0
            fired += batch_fired
            log.info("sweep: %s timers fired on a batch of %s cases", batch_fired, len(case_ids))
    remaining = db.session.execute(select(func.count()).select_from(due_cases(now).order_by(None).subquery())).scalar_one()
    db.session.rollback()
    log.info("sweep done: %s timers fired on %s cases, %s cases failed, %s cases still due",
             fired, advanced, len(failed), remaining)
    return SweepReport(cases_advanced=advanced, timers_fired=fired, failed_case_ids=tuple(failed),
                       remaining=remaining)


class _Sweepers:
    """Where a sweep fires its cases: in its own process, or a backlog on PostgreSQL on SWEEP_PROCESSES.

    A case's step is mostly Python (the engine, the mirror), so one process keeps one core busy; on
    PostgreSQL, processes of their own (each with its own connection; the claims keep them off each other's
    cases) share a backlog between the cores. They are started for the sweep that needs them, from
    scratch ("spawn": the scheduler's threads make a forked copy unsafe), and stopped with it. SQLite has
    one writer, so its cases go one after the other."""

    def __init__(self) -> None:
        self.processes = 1 if db.engine.dialect.name == "sqlite" else current_app.config["SWEEP_PROCESSES"]
        self.pool: ProcessPoolExecutor | None = None

    def fire(self, case_ids: Sequence[int], now: datetime) -> list[tuple[int, int | None]]:
        """Each case with the number of its timers fired (None: it failed)."""
        if self.processes == 1 or len(case_ids) < PARALLEL_MIN_CASES:
            return _fire_share(case_ids, now)
        if self.pool is None:
            config = {key: value for key, value in current_app.config.items() if key.isupper()}
            self.pool = ProcessPoolExecutor(self.processes, mp_context=multiprocessing.get_context("spawn"),
                                            initializer=_start_sweeper, initargs=(config,))
        shares = [case_ids[index::self.processes] for index in range(self.processes)]
        return list(chain.from_iterable(self.pool.map(_fire_share, shares, repeat(now))))

    def __enter__(self) -> "_Sweepers":
        return self

    def __exit__(self, *_exc) -> None:
        if self.pool is not None:
            self.pool.shutdown()


def _start_sweeper(config: dict) -> None:
    """A sweeper process: the app as the sweep's own is configured, its context kept for the process's life."""
    from app import create_app

    create_app(config).app_context().push()


def _fire_share(case_ids: Sequence[int], now: datetime) -> list[tuple[int, int | None]]:
    return [(case_id, _fire_case(case_id, now)) for case_id in case_ids]


def _fire_case(case_id: int, now: datetime) -> int | None:
    """The case's timers fired, 0 if another sweep holds it, None if it failed (logged; retried next sweep)."""
    try:
        return _fire_case_timers(case_id, now)
    except ConcurrentUpdateError:
        return 0  # another sweep fired this case's timers first
    except Exception:  # one broken case must not stop the sweep
        log.exception("timers of case %s not fired", case_id)
        return None


def due_cases(now: datetime, skipped: Collection[int] = ()) -> Select:
    """Cases with a timer due by `now` that may fire, each once, the one due earliest first (a sweep's
    batches; the benchmark's due-timer query)."""
    query = select(PendingTimer.case_id).join(DisputeCase, DisputeCase.id == PendingTimer.case_id).where(_may_fire(now))
    if skipped:
        query = query.where(PendingTimer.case_id.not_in(skipped))
    return query.group_by(PendingTimer.case_id).order_by(func.min(PendingTimer.due_at))


def _may_fire(now: datetime | BindParameter[datetime]):
    """A timer due by `now` that may fire: every timer of a running clock, only the legal clocks of a paused one."""
    return and_(PendingTimer.due_at <= now,
                or_(DisputeCase.clock_paused_at.is_(None), PendingTimer.statutory.is_(True)))


@transaction
def _fire_case_timers(case_id: int, now: datetime) -> int:
    claimed = db.session.execute(_claim_statement(), {"case_id": case_id, "now": now}).first()
    if claimed is None:  # another sweep holds this case
        return 0
    workflow, case, still_due = claimed
    if not still_due:  # fired by another sweep, or paused since
        return 0
    result = engine.fire_due_timers(saved_state(workflow), current_calendar(), paused=case.clock_paused_at is not None)
    record_step(case, workflow, result, actor=None, now=now)
    return len(result.fired_timers)


@cache
def _claim_statement():
    """A sweep's claim of a case (bound: case_id, now): its workflow row, locked unless another sweep holds
    it (then no row: SKIP LOCKED on PostgreSQL, the version check on SQLite), the case with its category
    (what the step compares the data's category with), and whether a timer may still fire.

    Built once: building and keying a statement of this size cost more than running it, case after case."""
    still_due = exists().where(PendingTimer.case_id == DisputeCase.id, _may_fire(bindparam("now", type_=PendingTimer.due_at.type)))
    return (
        select(WorkflowState, DisputeCase, still_due)
        .join(DisputeCase, DisputeCase.id == WorkflowState.case_id)
        .where(WorkflowState.case_id == bindparam("case_id"))
        .options(joinedload(DisputeCase.category))
        .with_for_update(of=WorkflowState, skip_locked=True)
        .execution_options(populate_existing=True)
    )
