"""The only package that imports SpiffWorkflow.

It speaks Jiefen's terms: it takes BPMN text, serialized state and plain data, and returns frozen
dataclasses. SpiffWorkflow's exceptions become our errors here, expressions in diagrams run through
the restricted evaluator (never `eval`/`exec`), timer durations go through the business calendar,
and the serializer version is returned beside every saved state so a later library upgrade can
migrate it. `runtime` runs workflows; `design` validates, compares and migrates definitions.
"""
from app.services.engine.design import (
    DefinitionDiff,
    DefinitionProblem,
    DiagramPosition,
    ElementChange,
    diagram_position,
    diff_definitions,
    migrate_workflow,
    migration_problem,
    process_key_of,
    validate_definition,
)
from app.services.engine.runtime import (
    MAX_BPMN_BYTES,
    SERIALIZER_VERSION,
    EngineResult,
    FiredTimer,
    ProcessInfo,
    ReadyTask,
    WaitingTimer,
    checksum,
    complete_task,
    describe,
    fire_due_timers,
    inspect_definition,
    reschedule_timers,
    shift_timers,
    start_workflow,
    timer_expression_problem,
)

__all__ = [
    "MAX_BPMN_BYTES", "SERIALIZER_VERSION", "DefinitionDiff", "DefinitionProblem", "DiagramPosition",
    "ElementChange", "EngineResult", "FiredTimer", "ProcessInfo", "ReadyTask", "WaitingTimer", "checksum",
    "complete_task", "describe", "diagram_position", "diff_definitions", "fire_due_timers", "inspect_definition",
    "migrate_workflow", "migration_problem", "process_key_of", "reschedule_timers", "shift_timers", "start_workflow",
    "timer_expression_problem", "validate_definition",
]
