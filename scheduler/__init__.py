"""The background jobs: APScheduler calls the timer and e-mail sweep, and the document renderer, at
fixed intervals.

Run it once per deployment as its own process (`flask --app wsgi scheduler run`), never inside
web workers. Starting a second copy by mistake does no harm: each case is claimed in the
database before its timers fire (see app/services/time_limits/timers.py).
"""
from apscheduler.schedulers.blocking import BlockingScheduler
from apscheduler.triggers.interval import IntervalTrigger
from flask import Flask

from app.services.time_limits import clock
from scheduler.jobs import render_documents, sweep


def build_scheduler(app: Flask) -> BlockingScheduler:
    scheduler = BlockingScheduler(timezone="UTC")
    for job, interval in ((sweep, "SWEEP_INTERVAL_SECONDS"), (render_documents, "DOCUMENT_RENDER_INTERVAL_SECONDS")):
        scheduler.add_job(
            job,
            IntervalTrigger(seconds=app.config[interval]),
            args=[app],
            id=job.__name__,
            max_instances=1,
            coalesce=True,
            # At start-up, at once: timers that fell due while the system was down fire, documents render.
            next_run_time=clock.now(),
        )
    return scheduler
