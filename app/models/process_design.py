"""Designing processes: drafts being edited, and the record of every deploy, roll back and migration."""
from datetime import datetime

from sqlalchemy import JSON, ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from app.extensions import Model
from app.models.types import UtcDateTime


class ProcessDraft(Model):
    """The diagram a designer is working on for a process key (one draft per process)."""

    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(String(100), unique=True)
    bpmn_xml: Mapped[str] = mapped_column(Text)
    saved_at: Mapped[datetime] = mapped_column(UtcDateTime())
    saved_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))


class ProcessEvent(Model):
    """Append-only record of what designers did to a process: who, when, which version."""

    __table_args__ = (Index("ix_process_event_key_occurred", "key", "occurred_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(String(100))
    version: Mapped[int]
    event: Mapped[str] = mapped_column(String(40))  # definition_deployed, definition_rolled_back, case_migrated
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    actor_name: Mapped[str] = mapped_column(String(100))
    occurred_at: Mapped[datetime] = mapped_column(UtcDateTime())
    data: Mapped[dict] = mapped_column(JSON, default=dict)
