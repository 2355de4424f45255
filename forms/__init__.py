"""WTForms forms: one per user task (found by the task's form key), plus the app's own forms."""
from forms.base import TaskForm
from forms.tasks import TASK_FORMS


def task_form_class(form_key: str) -> type[TaskForm]:
    """The form class for a task's form key; a process naming an unknown form is a deploy error."""
    try:
        return TASK_FORMS[form_key]
    except KeyError:
        raise LookupError(f"没有名为 “{form_key}” 的任务表单。") from None
