"""Sweeps as separate processes (`flask scheduler sweep`) against the test database: each timer fires
once when two run at once, and a sweep killed halfway leaves every case whole for the next one.

The cases are opened with the clock set four days back, so their 3-day timers are due by the real
clock that the child processes read.
"""
import os
import signal
import subprocess
import sys
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
import time_machine
from sqlalchemy import event, func, select, update

from app.extensions import db
from app.models import DisputeCase, PendingTimer, TrailEvent, WorkflowState
from app.services.time_limits import timers
from tests import factories as f

ROOT = Path(__file__).resolve().parents[2]
pytestmark = pytest.mark.commits  # the sweeps are processes of their own, on their own connections


@pytest.fixture
def due_cases(app, world):
    """Cases whose yellow card and on-site limit fell due a day ago."""
    with time_machine.travel(datetime.now(timezone.utc) - timedelta(days=4), tick=False):
        ids = []
        for index in range(8):
            case = f.open_case(world, f"进程 {index}")
            f.step(world, case, "triage_case", f.TRIAGE_L1)
            ids.append(case.id)
    db.session.remove()
    return ids


# The sweep command, with its per-case step wrapped: on the `hold_at`-th case it writes that case's step
# (flushed, not committed), says "holding" on stdout and waits for a kill — a kill that lands mid-sweep,
# mid-transaction, at a known point, with no sleep-and-hope.
HOLDING_SWEEP = """
import sys
from flask.cli import main
from app.extensions import db
from app.services.time_limits import timers

real_record_step, stepped = timers.record_step, []

def record_step_then_hold(*args, **kwargs):
    real_record_step(*args, **kwargs)
    stepped.append(1)
    if len(stepped) == {hold_at}:
        db.session.flush()
        print("holding", flush=True)
        sys.stdin.read()

timers.record_step = record_step_then_hold
sys.argv = ["flask", "--app", "wsgi", "scheduler", "sweep"]
main()
"""


def sweep_process(app, hold_at: int | None = None) -> subprocess.Popen:
    env = {**os.environ, "DATABASE_URL": app.config["SQLALCHEMY_DATABASE_URI"], "JIEFEN_DAY_COUNTING": "calendar",
           "SECRET_KEY": "sweep-process-key-" + "x" * 32, "JIEFEN_RATELIMIT_STORAGE_URI": "memory://",
           "JIEFEN_TRAIL_KEY": app.config["TRAIL_KEY"]}
    command = ["-m", "flask", "--app", "wsgi", "scheduler", "sweep"]
    if hold_at:  # in one process: another would go on committing while this one holds
        command, env["JIEFEN_SWEEP_THREADS"] = ["-c", HOLDING_SWEEP.format(hold_at=hold_at)], "1"
    return subprocess.Popen([sys.executable, *command], cwd=ROOT, env=env, stdin=subprocess.PIPE,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def fired_per_case(ids) -> dict[int, list[str]]:
    db.session.remove()
    rows = db.session.execute(select(TrailEvent.case_id, TrailEvent.data).where(
        TrailEvent.case_id.in_(ids), TrailEvent.event == "timer_fired")).all()
    fired = {case_id: [] for case_id in ids}
    for case_id, data in rows:
        fired[case_id].append(data["signal"])
    return {case_id: sorted(signals) for case_id, signals in fired.items()}


def test_two_sweep_processes_fire_each_timer_once(app, due_cases):
    sweeps = [sweep_process(app), sweep_process(app)]
    outputs = [sweep.communicate(timeout=120) for sweep in sweeps]
    assert all(sweep.returncode == 0 for sweep in sweeps), outputs
    assert fired_per_case(due_cases) == {case_id: ["escalated", "yellow_card"] for case_id in due_cases}
    assert "0 cases failed" in outputs[0][0] and "0 cases failed" in outputs[1][0]


def test_a_sweep_killed_halfway_leaves_whole_cases_and_the_next_sweep_finishes(app, due_cases):
    sweep = sweep_process(app, hold_at=3)  # two cases committed, the third written but not committed
    line = sweep.stdout.readline()  # blocks until the sweep holds (or exits: then "")
    assert line == "holding\n", (line, sweep.stderr.read() if sweep.poll() is not None else "")
    fired = sum(1 for signals in fired_per_case(due_cases).values() if signals)
    assert fired == 2 and 0 < fired < len(due_cases)  # the kill lands mid-sweep
    sweep.send_signal(signal.SIGKILL)
    sweep.wait(timeout=30)
    assert sweep.returncode == -signal.SIGKILL
    partial = fired_per_case(due_cases)
    assert sum(1 for signals in partial.values() if signals) == 2  # the third case's writes rolled back
    for case_id, signals in partial.items():  # each case all or nothing
        case = db.session.get(DisputeCase, case_id)
        if signals:
            assert signals == ["escalated", "yellow_card"] and case.card == "yellow" and case.tier == 2
        else:
            assert case.card == "none" and case.tier == 1
            assert db.session.scalar(select(func.count()).select_from(PendingTimer).where(
                PendingTimer.case_id == case_id)) == 3
    finisher = sweep_process(app)
    finisher.communicate(timeout=120)
    assert finisher.returncode == 0
    assert fired_per_case(due_cases) == {case_id: ["escalated", "yellow_card"] for case_id in due_cases}


def test_a_sweep_shares_a_backlog_between_processes_and_reports_a_broken_case(app, due_cases, monkeypatch):
    monkeypatch.setitem(app.config, "SWEEP_PROCESSES", 2)
    monkeypatch.setattr(timers, "PARALLEL_MIN_CASES", 2)  # the 8 due cases make a backlog
    broken, *whole = due_cases
    db.session.execute(update(WorkflowState).where(WorkflowState.case_id == broken).values(state="{not json"))
    db.session.commit()
    steps_here = []
    record = lambda *args: steps_here.append(args[2]) if args[2].startswith("UPDATE workflow_state") else None  # noqa: E731
    event.listen(db.engine, "before_cursor_execute", record)
    try:
        report = timers.fire_due_timers()
    finally:
        event.remove(db.engine, "before_cursor_execute", record)
    assert (report.timers_fired, report.cases_advanced, report.failed_case_ids, report.remaining) == (14, 7, (broken,), 1)
    assert fired_per_case(whole) == {case_id: ["escalated", "yellow_card"] for case_id in whole}
    # On PostgreSQL the sweep's own process fired none of them: its two sweepers did. SQLite sweeps in one.
    assert len(steps_here) == (7 if db.engine.dialect.name == "sqlite" else 0)
