"""How urgent an open task or case is: one rule for every list, badge and filter."""
from datetime import datetime, timedelta

from flask_babel import lazy_gettext as _l

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
