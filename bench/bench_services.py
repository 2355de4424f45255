"""Service figures on a real database: opening cases, completing steps, a timer sweep, task lists.

Run by hand: `PYTHONPATH=. .venv/bin/python bench/bench_services.py [cases]` on a temporary SQLite file, or set
JIEFEN_BENCH_DATABASE_URL to a scratch PostgreSQL database (it is emptied). Prints figures only.
"""
import os
import secrets
import statistics
import sys
import tempfile
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path

import time_machine
from flask_migrate import upgrade
from sqlalchemy import text

from app import create_app
from app.extensions import db
from app.services.cases import tasks
from app.services.design.processes import deploy_processes
from app.services.time_limits.timers import fire_due_timers
from forms.tasks import TASK_FORMS
from tests import factories

ROOT = Path(__file__).resolve().parent.parent


def main(count: int) -> None:
    url = os.environ.get("JIEFEN_BENCH_DATABASE_URL") or f"sqlite:///{tempfile.mkdtemp()}/bench.sqlite"
    app = create_app({"SQLALCHEMY_DATABASE_URI": url, "PASSWORD_HASH_METHOD": "pbkdf2:sha256:1000",
                      "DAY_COUNTING": "working", "SECRET_KEY": secrets.token_urlsafe(48),
                      "RATELIMIT_STORAGE_URI": "memory://", "TRAIL_KEY": "bench-only-trail-key-not-a-secret-000"})
    with app.app_context(), time_machine.travel(datetime(2026, 11, 24, 1, 0, tzinfo=timezone.utc), tick=True) as clock:
        if db.engine.dialect.name == "postgresql":
            with db.engine.begin() as connection:
                connection.execute(text("DROP SCHEMA public CASCADE; CREATE SCHEMA public"))
        upgrade(directory=str(app.config["MIGRATIONS_DIR"]))
        deploy_processes(ROOT / "processes", TASK_FORMS)
        world = factories.make_world()
        opened, stepped = [], []
        for index in range(count):
            began = time.perf_counter()
            case = factories.open_case(world, f"bench {index}")
            opened.append(time.perf_counter() - began)
            task = factories.current_task(case)
            began = time.perf_counter()
            tasks.submit_task(world["dispatcher"], task.id, factories.TRIAGE_L1)
            stepped.append(time.perf_counter() - began)
        began = time.perf_counter()
        listed = tasks.list_my_tasks(world["grid_worker"])
        list_ms = (time.perf_counter() - began) * 1000
        clock.shift(timedelta(days=5))
        began = time.perf_counter()
        report = fire_due_timers()
        sweep_s = time.perf_counter() - began
    print(f"services on {url.split(':')[0]}, {count} cases")
    print(f"  open_case            median {statistics.median(opened) * 1000:7.1f} ms")
    print(f"  submit_task triage median {statistics.median(stepped) * 1000:7.1f} ms")
    print(f"  list_my_tasks, page 1 of {listed.total} ready tasks  {list_ms:7.1f} ms")
    print(f"  sweep: {report.timers_fired} timers on {report.cases_advanced} cases in {sweep_s:.2f} s "
          f"({report.cases_advanced / sweep_s:.0f} cases/s)")


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 200)
