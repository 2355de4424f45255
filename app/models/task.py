"""The user-task mirror: every ready or finished user task, so task lists never load a workflow."""
from datetime import datetime

from sqlalchemy import JSON, ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.extensions import Model
from app.models.dispute_case import DisputeCase
from app.models.types import UtcDateTime
from app.models.user import User


class Task(Model):
    __table_args__ = (
        Index("ix_task_state_grid", "state", "grid_id"),
        Index("ix_task_assignee_state", "assignee_id", "state"),
        Index("ix_task_case_state", "case_id", "state"),
        Index("ix_task_state_due", "state", "due_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("dispute_case.id", ondelete="CASCADE"))
    engine_task_id: Mapped[str] = mapped_column(String(36), unique=True)
    bpmn_id: Mapped[str] = mapped_column(String(100))
    name: Mapped[str] = mapped_column(String(200))
    form_key: Mapped[str] = mapped_column(String(100))
    # Candidate roles as ",grid_worker,police_officer," so one LIKE finds a role.
    candidate_roles: Mapped[str] = mapped_column(String(200))
    tier: Mapped[int | None]
    grid_id: Mapped[int] = mapped_column(ForeignKey("grid.id"))
    assignee_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    state: Mapped[str] = mapped_column(String(10), default="ready")  # ready, completed or cancelled
    created_at: Mapped[datetime] = mapped_column(UtcDateTime())
    due_at: Mapped[datetime | None] = mapped_column(UtcDateTime(), index=True)
    completed_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    # When the task's limit was first recorded as breached (by the sweep at the due time, or at
    # completion if that came later), exactly once; on_time is set at completion.
    breached_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    on_time: Mapped[bool | None]
    completed_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    submitted_data: Mapped[dict | None] = mapped_column(JSON)

    case: Mapped[DisputeCase] = relationship()
    assignee: Mapped[User | None] = relationship(foreign_keys=[assignee_id])
    completed_by: Mapped[User | None] = relationship(foreign_keys=[completed_by_id])

    @property
    def roles(self) -> list[str]:
        return [role for role in self.candidate_roles.split(",") if role]
