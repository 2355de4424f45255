"""The user-task mirror: every ready or finished user task, so task lists never load a workflow; the
roles that may do each (a row per role, like spiff-arena's human_task_user); and, per case, the roles
any of its tasks has named (the cases routed to a mediation room or the joint consultation)."""
from datetime import datetime

from sqlalchemy import JSON, ForeignKey, Index, String, text
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
        # The task lists' order by due time (services/cases/tasks.py), walked instead of sorted, and their count
        # read in it (state, then the case to join). An expression index: never rebuild `task` in a SQLite
        # batch migration, which would drop it.
        Index("ix_task_ready_order", "state", text("(due_at IS NULL)"), "due_at", "created_at", "id", "case_id",
              "grid_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("dispute_case.id", ondelete="CASCADE"))
    engine_task_id: Mapped[str] = mapped_column(String(36), unique=True)
    bpmn_id: Mapped[str] = mapped_column(String(100))
    name: Mapped[str] = mapped_column(String(200))
    form_key: Mapped[str] = mapped_column(String(100))
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
    # The process's camunda:candidateGroups; lists of tasks load them with selectinload.
    candidate_roles: Mapped[list["TaskCandidateRole"]] = relationship(
        cascade="all, delete-orphan", passive_deletes=True, order_by="TaskCandidateRole.role")

    @property
    def roles(self) -> list[str]:
        return [row.role for row in self.candidate_roles]

    @roles.setter
    def roles(self, roles) -> None:
        """Set the candidate roles; rows of roles the task keeps stay as they are."""
        kept = {row.role: row for row in self.candidate_roles}
        self.candidate_roles = [kept.get(role) or TaskCandidateRole(role=role) for role in dict.fromkeys(roles)]


class TaskCandidateRole(Model):
    """A role that may take a task. Access filters ask EXISTS on (role, task_id), so "the tasks my role
    may take" reads the index, never a string match over the task table."""
    __table_args__ = (Index("ix_task_candidate_role_role_task", "role", "task_id"),)

    task_id: Mapped[int] = mapped_column(ForeignKey("task.id", ondelete="CASCADE"), primary_key=True)
    role: Mapped[str] = mapped_column(String(20), primary_key=True)  # as User.role


class CaseRoute(Model):
    """A role some task of the case names: the case has been routed to that role. Kept with the task rows
    (cases/mirror.py), so that "the cases routed to me" (a mediator's, a panel member's list) is one
    primary-key probe per case instead of a walk of the case's tasks and their roles."""
    __table_args__ = (Index("ix_case_route_role_case", "role", "case_id"),)

    case_id: Mapped[int] = mapped_column(ForeignKey("dispute_case.id", ondelete="CASCADE"), primary_key=True)
    role: Mapped[str] = mapped_column(String(20), primary_key=True)  # as User.role
