"""Deployed versions of a BPMN process; cases stay on the version they started on."""
from datetime import datetime

from sqlalchemy import ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from app.extensions import Model
from app.models.types import UtcDateTime


class ProcessDefinition(Model):
    __table_args__ = (UniqueConstraint("key", "version", name="uq_process_definition_key_version"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(String(100), index=True)
    version: Mapped[int]
    name: Mapped[str] = mapped_column(String(200))
    # Read only where a diagram is shown or parsed, not with every case opened on the version.
    bpmn_xml: Mapped[str] = mapped_column(Text, deferred=True)
    checksum: Mapped[str] = mapped_column(String(64))
    deployed_at: Mapped[datetime] = mapped_column(UtcDateTime())
    deployed_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))


class ProcessSpec(Model):
    """A version's process and subprocess specs, serialized once (per serializer version) instead of in
    every case's workflow state, which holds only the instance (app/services/engine/runtime.py)."""

    definition_id: Mapped[int] = mapped_column(
        ForeignKey("process_definition.id", ondelete="CASCADE"), primary_key=True
    )
    serializer_version: Mapped[str] = mapped_column(String(20), primary_key=True)
    specs: Mapped[str] = mapped_column(Text)
