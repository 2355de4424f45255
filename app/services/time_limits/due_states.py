"""How urgent an open task or case is: one rule for every list, badge and filter."""
from datetime import datetime, timedelta

from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from app.extensions import db
from app.models import PendingTimer

DUE_SOON = timedelta(hours=24)
DUE_STATE_LABELS = {
    "paused": _l("暂停计时"),
    "overdue": _l("已超期"),
    "red": _l("红牌"),
    "yellow": _l("黄牌"),
    "due_soon": _l("即将到期"),
    "on_time": _l("按时"),
}


def due_state(due_at: datetime | None, card: str, now: datetime, paused: bool = False) -> str:
    """The most urgent of: paused clock, past due, red card, yellow card, due within a day, on time."""
    if paused:
        return "paused"
    if due_at is not None and due_at <= now:
        return "overdue"
    if card in ("red", "yellow"):
        return card
    if due_at is not None and due_at - now <= DUE_SOON:
        return "due_soon"
    return "on_time"


def legal_clocks(case_id: int) -> list[PendingTimer]:
    """The case's running legal clocks (calendar days, not stopped by a pause), soonest first."""
    return list(db.session.scalars(select(PendingTimer).where(
        PendingTimer.case_id == case_id, PendingTimer.statutory.is_(True)).order_by(PendingTimer.due_at)))
