"""Sweeps as separate processes (`flask scheduler sweep`) against the test database: each timer fires
once when two run at once, and a sweep killed halfway leaves every case whole for the next one.

The cases are opened with the clock set four days back, so their 3-day timers are due by the real
clock that the child processes read.
"""
import os
import signal
import subprocess
import sys
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
import time_machine
from sqlalchemy import func, select

from app.extensions import db
from app.models import DisputeCase, PendingTimer, TrailEvent
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


def sweep_process(app) -> subprocess.Popen:
    env = {**os.environ, "DATABASE_URL": app.config["SQLALCHEMY_DATABASE_URI"], "JIEFEN_DAY_COUNTING": "calendar",
           "SECRET_KEY": "sweep-process-key-" + "x" * 32, "JIEFEN_RATELIMIT_STORAGE_URI": "memory://",
           "JIEFEN_TRAIL_KEY": app.config["TRAIL_KEY"]}
    return subprocess.Popen([sys.executable, "-m", "flask", "--app", "wsgi", "scheduler", "sweep"], cwd=ROOT,
                            env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


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
    sweep = sweep_process(app)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and sweep.poll() is None:
        db.session.remove()
        done = db.session.scalar(select(func.count(func.distinct(TrailEvent.case_id))).where(
            TrailEvent.case_id.in_(due_cases), TrailEvent.event == "timer_fired"))
        if done:
            sweep.send_signal(signal.SIGKILL)
            break
        time.sleep(0.01)
    sweep.wait(timeout=30)
    partial = fired_per_case(due_cases)
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
