"""Notifications: written in the step's transaction, read in the inbox, e-mailed after the commit."""
import logging
import smtplib
from collections.abc import Callable
from dataclasses import dataclass
from email.message import EmailMessage
from functools import cache
from typing import Any, cast

from flask import current_app
from flask_babel import force_locale
from flask_babel import gettext as _
from sqlalchemy import CursorResult, Integer, bindparam, func, insert, or_, select, update

from app.extensions import db
from app.models import DEFAULT_LOCALE, DisputeCase, Notification, Task, User
from app.services.people import access
from app.services.time_limits import clock
from app.services.transaction import transaction

log = logging.getLogger(__name__)
MAX_EMAIL_ATTEMPTS = 5


@dataclass(frozen=True)
class MailReport:
    sent: int
    failed: int


# What happened, and the text of the notice: built with gettext, once per recipient in their language.
Notice = tuple[str, Callable[[], str]]


def notify_case_people(case: DisputeCase, notices: list[Notice], ready_tasks: list[Task]) -> int:
    """Notify the case's supervisors and whoever holds its `ready_tasks` (the assignee, else the
    candidates serving the grid) of each notice. A helper of a step's mirror: it only adds rows.

    The recipients are found once for all the notices of a step (a sweep fires two or three timers of a
    case at once), in one query. Each text is stored as written then (the inbox and the e-mail show it as
    it was)."""
    if not notices:
        return 0
    assignees = [task.assignee_id for task in ready_tasks if task.assignee_id is not None]
    roles_by_grid: dict[int, dict[str, None]] = {case.grid_id: {"supervisor": None}}  # ordered sets
    for task in ready_tasks:
        if task.assignee_id is None:
            roles_by_grid.setdefault(task.grid_id, {}).update(dict.fromkeys(task.roles))
    grids = {f"grid_{index}": grid_id for index, grid_id in enumerate(roles_by_grid)}
    recipients = db.session.execute(_recipients_statement(tuple(tuple(roles) for roles in roles_by_grid.values())),
                                    {"assignees": assignees, **grids}).all()
    mail_on = bool(current_app.config["SMTP_HOST"])
    now = clock.now()
    texts: dict[str, list[str]] = {}  # per language, the notices' texts in order
    for locale in {locale or DEFAULT_LOCALE for _user_id, _email, locale in recipients}:
        with force_locale(locale):
            texts[locale] = [message() for _kind, message in notices]
    rows = [{"user_id": user_id, "case_id": case.id, "kind": kind, "message": texts[locale or DEFAULT_LOCALE][index],
             "created_at": now, "email_state": "pending" if mail_on and email else "none"}
            for index, (kind, _message) in enumerate(notices) for user_id, email, locale in recipients]
    if rows:  # one INSERT for them all, in Core: nothing reads the new rows back as objects
        db.session.connection().execute(insert(Notification), rows)
    return len(recipients)


@cache
def _recipients_statement(roles_per_grid: tuple[tuple[str, ...], ...]):
    """(id, e-mail, locale) of the assignees (bound: assignees) and of the users of each grid's roles (bound:
    grid_0, grid_1, …). Built once per shape: building and keying it cost more than running it."""
    serving = [access.users_serving_grid(bindparam(f"grid_{index}", type_=Integer), roles)
               for index, roles in enumerate(roles_per_grid)]
    return select(User.id, User.email, User.locale).where(
        or_(User.id.in_(bindparam("assignees", expanding=True)), *serving)).order_by(User.id)


def list_notifications(actor: User, limit: int = 100) -> list[Notification]:
    return list(db.session.scalars(
        select(Notification).where(Notification.user_id == actor.id)
        .order_by(Notification.created_at.desc(), Notification.id.desc()).limit(limit)
    ))


def unread_count(actor: User) -> int:
    return db.session.scalar(select(func.count()).select_from(Notification).where(
        Notification.user_id == actor.id, Notification.read_at.is_(None))) or 0


@transaction
def mark_notifications_read(actor: User, notification_ids: list[int] | None = None) -> int:
    """Mark the actor's notifications read (all of them when no ids are given)."""
    query = update(Notification).where(Notification.user_id == actor.id, Notification.read_at.is_(None))
    if notification_ids is not None:
        query = query.where(Notification.id.in_(notification_ids))
    # An UPDATE's result is a CursorResult (with its rowcount); Session.execute is typed for any statement.
    return cast(CursorResult[Any], db.session.execute(query.values(read_at=clock.now()))).rowcount


def send_pending_emails(limit: int = 200) -> MailReport:
    """Send the e-mail copies of committed notifications, one transaction per message."""
    pending = db.session.scalars(select(Notification.id).where(Notification.email_state == "pending")
                                 .order_by(Notification.id).limit(limit)).all()
    db.session.rollback()
    sent = failed = 0
    for notification_id in pending:
        if _send_one(notification_id):
            sent += 1
        else:
            failed += 1
    return MailReport(sent=sent, failed=failed)


@transaction
def _send_one(notification_id: int) -> bool:
    notification = db.session.get(Notification, notification_id, with_for_update=True)
    if notification is None or notification.email_state != "pending":
        return True
    recipient = db.session.get_one(User, notification.user_id)
    message = EmailMessage()
    message["From"] = current_app.config["MAIL_FROM"]
    message["To"] = recipient.email
    with force_locale(recipient.locale or DEFAULT_LOCALE):
        message["Subject"] = _("【解纷】%(message)s", message=notification.message[:60])
    message.set_content(notification.message)
    notification.email_attempts += 1
    try:
        _smtp_send(message)
    except (OSError, smtplib.SMTPException) as error:
        log.warning("e-mail for notification %s failed: %s", notification_id, error)
        if notification.email_attempts >= MAX_EMAIL_ATTEMPTS:
            notification.email_state = "failed"
        return False
    notification.email_state = "sent"
    return True


def _smtp_send(message: EmailMessage) -> None:
    config = current_app.config
    with smtplib.SMTP(config["SMTP_HOST"], config["SMTP_PORT"], timeout=10) as smtp:
        if config["SMTP_STARTTLS"]:
            smtp.starttls()
        if config["SMTP_USERNAME"]:
            smtp.login(config["SMTP_USERNAME"], config["SMTP_PASSWORD"])
        smtp.send_message(message)
