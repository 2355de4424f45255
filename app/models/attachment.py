"""A file attached to a case (or one of its tasks). The bytes live in their own table, so lists
of attachments never load them, and they are written in the same transaction as the trail entry."""
from datetime import datetime

from sqlalchemy import ForeignKey, Index, LargeBinary, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.extensions import Model
from app.models.types import UtcDateTime
from app.models.user import User


class Attachment(Model):
    __table_args__ = (Index("ix_attachment_case_created", "case_id", "created_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("dispute_case.id", ondelete="CASCADE"))
    task_id: Mapped[int | None] = mapped_column(ForeignKey("task.id"))
    uploaded_by_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"))
    filename: Mapped[str] = mapped_column(String(160))  # sanitised; shown and offered on download
    content_type: Mapped[str] = mapped_column(String(100))
    size: Mapped[int]
    sha256: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime())

    uploaded_by: Mapped[User] = relationship()


class AttachmentContent(Model):
    attachment_id: Mapped[int] = mapped_column(
        ForeignKey("attachment.id", ondelete="CASCADE"), primary_key=True
    )
    data: Mapped[bytes] = mapped_column(LargeBinary)
    # A small JPEG preview of a photo, for the case page's gallery; None for other files.
    thumbnail: Mapped[bytes | None] = mapped_column(LargeBinary)
