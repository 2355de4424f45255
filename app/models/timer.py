"""Timers a case's workflow waits on, with their due time, so the sweep finds due work by index."""
from datetime import datetime

from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from app.extensions import Model
from app.models.types import UtcDateTime


class PendingTimer(Model):
    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("dispute_case.id", ondelete="CASCADE"), index=True)
    bpmn_id: Mapped[str] = mapped_column(String(100))
    name: Mapped[str] = mapped_column(String(200))
    signal: Mapped[str] = mapped_column(String(40), default="")
    due_at: Mapped[datetime] = mapped_column(UtcDateTime(), index=True)
    # A legal clock (calendar days): it keeps running, and fires, while the case's clock is paused.
    statutory: Mapped[bool] = mapped_column(default=False)
    # The case's closing limit (dispute_case.due_at): a breach when it passes before handling ends.
    closing: Mapped[bool] = mapped_column(default=False)
