"""Hand-offs between police and mediation (双向推送): a police incident handed to mediation, and a case
pushed back to the police."""
from datetime import datetime

from sqlalchemy import ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.extensions import Model
from app.models.dispute_case import DisputeCase
from app.models.types import UtcDateTime


class Handoff(Model):
    """A non-police 110 call handed to mediation. The incident number (接警单号) is the police service's own
    number of the call: whichever channel hands it over first (an API system or the hand-off page), a
    second hand-off of the same number finds that case — one incident, one case."""

    __table_args__ = (UniqueConstraint("incident_number", name="uq_handoff_incident_number"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("dispute_case.id", ondelete="CASCADE"), unique=True)
    # The channel it came through: the API token's system name, or "web" for the hand-off page.
    system: Mapped[str] = mapped_column(String(64))
    incident_number: Mapped[str] = mapped_column(String(64))
    reported_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    received_at: Mapped[datetime] = mapped_column(UtcDateTime())
    received_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))

    case: Mapped[DisputeCase] = relationship()


class CasePush(Model):
    """A case mediation pushed to the police; police systems poll these (GET /api/v1/pushes)."""

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("dispute_case.id", ondelete="CASCADE"), unique=True)
    reason: Mapped[str] = mapped_column(Text)
    pushed_at: Mapped[datetime] = mapped_column(UtcDateTime())
    pushed_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))

    case: Mapped[DisputeCase] = relationship()
