"""Jobs are entry points like views: thin, in an app context, calling services."""
import logging

from flask import Flask

from app.services.cases.documents import render_pending_documents
from app.services.supervision.notifications import send_pending_emails
from app.services.time_limits.timers import fire_due_timers

log = logging.getLogger(__name__)


def sweep(app: Flask) -> None:
    """Fire due timers, then send the e-mails their notifications queued."""
    with app.app_context():
        report = fire_due_timers()
        if report.timers_fired or report.failed_case_ids:
            log.info("sweep: %s timers fired on %s cases, %s cases failed, %s cases still due",
                     report.timers_fired, report.cases_advanced, len(report.failed_case_ids), report.remaining)
        if app.config["SMTP_HOST"]:
            send_pending_emails()


def render_documents(app: Flask) -> None:
    """Render the PDFs that steps have asked for since the last run."""
    with app.app_context():
        report = render_pending_documents()
        if report.rendered or report.failed_case_ids:
            log.info("documents: %s rendered, %s cases failed, %s waiting",
                     report.rendered, len(report.failed_case_ids), report.remaining)
