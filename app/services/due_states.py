"""How urgent an open task or case is: one rule for every list, badge and filter."""
from datetime import datetime, timedelta

DUE_SOON = timedelta(hours=24)
DUE_STATE_LABELS = {
    "paused": "暂停计时",
    "overdue": "已超期",
    "red": "红牌",
    "yellow": "黄牌",
    "due_soon": "即将到期",
    "on_time": "按时",
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
