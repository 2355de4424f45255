"""A submission a phone made with its own id, so a resend after a lost connection is the same submission."""
from datetime import datetime

from sqlalchemy import ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from app.extensions import Model
from app.models.types import UtcDateTime

SUBMISSION_KINDS = ("case", "task", "comment", "attachment")


class ClientSubmission(Model):
    __table_args__ = (UniqueConstraint("user_id", "client_id", name="uq_client_submission_user_client"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id", ondelete="CASCADE"))
    client_id: Mapped[str] = mapped_column(String(64))
    kind: Mapped[str] = mapped_column(String(20))
    case_id: Mapped[int] = mapped_column(ForeignKey("dispute_case.id", ondelete="CASCADE"))
    # What was made: the task completed, the comment or attachment added (None for a new case).
    object_id: Mapped[int | None]
    created_at: Mapped[datetime] = mapped_column(UtcDateTime())
