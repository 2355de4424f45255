"""A party to a dispute. Holds personal data: shown only to people who may see the case."""
from typing import TYPE_CHECKING

from flask_babel import lazy_gettext as _l
from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.extensions import Model

if TYPE_CHECKING:  # dispute_case imports this module
    from app.models.dispute_case import DisputeCase

PARTY_ROLE_LABELS = {"applicant": _l("申请人"), "respondent": _l("被申请人"), "other": _l("其他")}
PARTY_ROLES = tuple(PARTY_ROLE_LABELS)


class Party(Model):
    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("dispute_case.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(100))
    role: Mapped[str] = mapped_column(String(20))
    phone: Mapped[str] = mapped_column(String(40), default="")
    id_number: Mapped[str] = mapped_column(String(40), default="")

    case: Mapped["DisputeCase"] = relationship(back_populates="parties")
