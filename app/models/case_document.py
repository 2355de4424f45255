"""Documents generated from a case's own data (受理登记表, 调解协议书, 卷宗 ...), as PDF.

The step that makes a document writes its row (kind, number, date) in the step's transaction; the PDF is
rendered after the commit (services/cases/documents.py), so until then `sha256` is empty. Like attachments,
the bytes live in their own table.
"""
from datetime import datetime

from sqlalchemy import ForeignKey, Index, LargeBinary, String, UniqueConstraint, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.extensions import Model
from app.models.types import UtcDateTime
from app.models.user import User


class CaseDocument(Model):
    __table_args__ = (
        Index("ix_case_document_case_created", "case_id", "created_at"),
        # The documents waiting to be rendered, for the render job.
        Index("ix_case_document_pending", "id", sqlite_where=text("sha256 IS NULL"),
              postgresql_where=text("sha256 IS NULL")),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("dispute_case.id", ondelete="CASCADE"))
    task_id: Mapped[int | None] = mapped_column(ForeignKey("task.id"))
    kind: Mapped[str] = mapped_column(String(40))  # one of services/cases/documents.py KINDS
    title: Mapped[str] = mapped_column(String(100))
    # The committee's document number, e.g. (2026)城人调字第12号; agreements only.
    number: Mapped[str | None] = mapped_column(String(60))
    filename: Mapped[str] = mapped_column(String(160))
    size: Mapped[int | None]  # None until rendered, like sha256
    sha256: Mapped[str | None] = mapped_column(String(64))
    # Why the last rendering failed (it is retried on download and by `flask documents render --retry`).
    render_error: Mapped[str | None] = mapped_column(String(500))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime())
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))

    created_by: Mapped[User | None] = relationship()

    @property
    def rendered(self) -> bool:
        return self.sha256 is not None


class CaseDocumentContent(Model):
    document_id: Mapped[int] = mapped_column(ForeignKey("case_document.id", ondelete="CASCADE"), primary_key=True)
    data: Mapped[bytes] = mapped_column(LargeBinary)


class DocumentNumberCounter(Model):
    """The last agreement number a town's mediation committee gave out in a year."""

    __table_args__ = (UniqueConstraint("town_id", "year", name="uq_document_number_counter_town_year"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    town_id: Mapped[int] = mapped_column(ForeignKey("town.id", ondelete="CASCADE"))
    year: Mapped[int]
    last_number: Mapped[int] = mapped_column(default=0)
