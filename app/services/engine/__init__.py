"""The only package that imports SpiffWorkflow.

It speaks Jiefen's terms: it takes BPMN text, serialized state and plain data, and returns frozen
dataclasses. SpiffWorkflow's exceptions become our errors here, expressions in diagrams run through
the restricted evaluator (never `eval`/`exec`), timer durations go through the business calendar.
A case stores only its workflow instance; the process specs are stored once per deployed version
(`ProcessSpecs`) and cached per version in the worker. The serializer version saved beside every
state is read on load: a state in an older format is upgraded (SpiffWorkflow's own migrations) and
saved in the current format at its next step — tests/data/saved_states/ keeps states of earlier
formats, and tests load, continue and close each. `runtime` runs workflows; `design` validates,
compares and migrates definitions; `dry_run` walks a diagram before it deploys; `results` holds the
dataclasses. `_spiff` is internal to the package: the machinery the others share and, in one commented
section, every call into SpiffWorkflow's private API (safe under the pin `SpiffWorkflow~=3.2.0`).
"""
from app.services.engine.design import (
    DefinitionDiff,
    DefinitionProblem,
    DiagramPosition,
    DroppedWork,
    ElementChange,
    check_diagram_file,
    diagram_position,
    diff_definitions,
    dropped_work,
    migrate_workflow,
    migration_problem,
    process_key_of,
    validate_definition,
)
from app.services.engine.dry_run import dry_run
from app.services.engine.runtime import (
    MAX_BPMN_BYTES,
    SERIALIZER_VERSION,
    SPEC_VERSION,
    EngineResult,
    FiredTimer,
    ProcessInfo,
    ProcessSpecs,
    ReadyTask,
    SavedState,
    WaitingTimer,
    checksum,
    complete_task,
    describe,
    fire_due_timers,
    forget_specs,
    inspect_definition,
    reschedule_timers,
    serialize_specs,
    shift_timers,
    start_workflow,
    timer_expression_problem,
)

__all__ = [
    "MAX_BPMN_BYTES", "SERIALIZER_VERSION", "SPEC_VERSION", "ProcessSpecs", "SavedState", "serialize_specs", "forget_specs",
    "DefinitionDiff", "DefinitionProblem", "DiagramPosition",
    "DroppedWork", "ElementChange", "EngineResult", "FiredTimer", "ProcessInfo", "ReadyTask", "WaitingTimer",
    "check_diagram_file", "checksum", "complete_task", "describe", "diagram_position", "diff_definitions",
    "dropped_work", "dry_run", "fire_due_timers", "inspect_definition", "migrate_workflow", "migration_problem",
    "process_key_of", "reschedule_timers", "shift_timers", "start_workflow",
    "timer_expression_problem", "validate_definition",
]
