"""In-app notifications; the e-mail copy is sent after the commit (this table is the outbox)."""
from datetime import datetime

from sqlalchemy import ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.extensions import Model
from app.models.dispute_case import DisputeCase
from app.models.types import UtcDateTime


class Notification(Model):
    __table_args__ = (
        Index("ix_notification_user_read", "user_id", "read_at"),
        Index("ix_notification_email_state", "email_state"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id", ondelete="CASCADE"))
    case_id: Mapped[int | None] = mapped_column(ForeignKey("dispute_case.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(40))
    message: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime())
    read_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    email_state: Mapped[str] = mapped_column(String(10), default="none")  # none, pending, sent or failed
    email_attempts: Mapped[int] = mapped_column(default=0)

    case: Mapped[DisputeCase | None] = relationship()
