"""What the engine takes and returns, in Jiefen's terms: frozen dataclasses and the protocol through
which it reads a process version's stored specs. Nothing here imports SpiffWorkflow."""
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol


@dataclass(frozen=True)
class ProcessInfo:
    key: str
    name: str
    checksum: str


@dataclass(frozen=True)
class ReadyTask:
    engine_task_id: str
    bpmn_id: str
    name: str
    form_key: str
    roles: tuple[str, ...]
    tier: int | None
    due_at: datetime | None


@dataclass(frozen=True)
class WaitingTimer:
    bpmn_id: str
    name: str
    signal: str
    due_at: datetime
    statutory: bool = False  # `calendar=natural`: a legal clock, counted in calendar days and never paused
    closing: bool = False  # `closing_limit=true`: the case's closing limit (按时办结)
    reminder: bool = False  # `reminder=true`: a reminder before a limit, not the limit of its task


@dataclass(frozen=True)
class FiredTimer:
    bpmn_id: str
    name: str
    signal: str


class ProcessSpecs(Protocol):
    """Where the engine finds a deployed version's serialized specs (the services keep them in the database).

    `version_id` names the deployed version: this worker caches the deserialized specs under it.
    """

    @property
    def version_id(self) -> int: ...

    def read(self, serializer_version: str) -> str | None:
        """The specs serialized in that serializer version, or None if none are stored."""

    def bpmn_xml(self) -> str:
        """The version's diagram, parsed when no specs of the current serializer version are stored."""


@dataclass(frozen=True)
class SavedState:
    """A case's stored workflow: the state, the serializer version it was written in, its process version."""

    state: str
    serializer_version: str
    process: ProcessSpecs


@dataclass(frozen=True)
class EngineResult:
    """Where a workflow stands after a step, and the state to save.

    `new_specs`: the process's specs in the current serializer version (`SPEC_VERSION`), to store once
    with the process version, when none were stored yet (a version deployed before the specs were kept
    apart, or an upgrade of the library); None otherwise.
    """

    state: str
    serializer_version: str
    ready_tasks: tuple[ReadyTask, ...]
    timers: tuple[WaitingTimer, ...]
    fired_timers: tuple[FiredTimer, ...]
    completed: bool
    data: dict[str, Any]
    new_specs: str | None = None
