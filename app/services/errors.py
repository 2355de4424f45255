"""Domain errors. Views map them to messages and status codes; nothing half-done survives one."""


class JiefenError(Exception):
    """Base of every error a user can be shown."""

    status_code = 400

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


class NotFoundError(JiefenError):
    status_code = 404


class AccessDeniedError(JiefenError):
    status_code = 403


class InvalidInputError(JiefenError):
    """Submitted values were refused; `field_errors` maps a field to its messages."""

    status_code = 422

    def __init__(self, message: str, field_errors: dict[str, list[str]] | None = None):
        super().__init__(message)
        self.field_errors = field_errors or {}


class TaskNotReadyError(JiefenError):
    """The task was already completed, cancelled, or moved on: a stale or double submission."""

    status_code = 409


class TaskConflictError(JiefenError):
    """A claim, assignment or hand-back raced another one (claimed meanwhile, already yours...)."""

    status_code = 409


class ConcurrentUpdateError(JiefenError):
    """Someone else changed the case between reading and saving it."""

    status_code = 409


class DuplicateError(JiefenError):
    """What the user entered already exists (a user name, a code, a draft): the message names it."""

    status_code = 409


class ProcessError(JiefenError):
    """The process model could not run a step (no matching gateway condition, a bad expression)."""

    status_code = 422


class DefinitionError(JiefenError):
    """A BPMN definition could not be parsed or deployed."""

    status_code = 422


class DefinitionInvalidError(DefinitionError):
    """A diagram failed validation; `problems` lists each with its element (engine.DefinitionProblem)."""

    def __init__(self, message: str, problems: list | None = None):
        super().__init__(message)
        self.problems = list(problems or [])
