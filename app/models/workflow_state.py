"""The serialized SpiffWorkflow state of a case, versioned for optimistic locking.

`state` is the workflow instance only (its specs are stored once per process version, ProcessSpec), kept
compressed (CompressedText);
`serializer_version` says in which format it was written, and is read on load (engine.SavedState).
"""
from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from app.extensions import Model
from app.models.types import CompressedText


class WorkflowState(Model):
    case_id: Mapped[int] = mapped_column(
        ForeignKey("dispute_case.id", ondelete="CASCADE"), primary_key=True
    )
    definition_id: Mapped[int] = mapped_column(ForeignKey("process_definition.id"), index=True)
    serializer_version: Mapped[str] = mapped_column(String(30))
    state: Mapped[str] = mapped_column(CompressedText())
    version: Mapped[int] = mapped_column(default=1)

    # Every UPDATE checks the version it read: a concurrent writer makes it fail instead of
    # silently overwriting the other's step.
    __mapper_args__ = {"version_id_col": version}
