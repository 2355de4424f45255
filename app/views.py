"""What the blueprints share: telling the user how an action went."""
from collections.abc import Callable
from typing import TypeVar

from flask import flash
from flask_babel import gettext as _

from app.services.errors import InvalidInputError, JiefenError
from forms.base import join_messages

Result = TypeVar("Result")


def error_text(error: JiefenError) -> str:
    """An error's message followed by its field messages, as one line."""
    details = [message for messages in getattr(error, "field_errors", {}).values() for message in messages]
    return join_messages([error.message, *details])


def flash_outcome(action: Callable[[], Result], success: str | None,
                  refused: tuple[type[JiefenError], ...] = (InvalidInputError,)) -> Result | None:
    """Run a service call; flash `success`, or the reason it was refused (None is returned then)."""
    try:
        result = action()
    except refused as error:
        flash(error_text(error), "error")
        return None
    if success:
        flash(success, "success")
    return result


def flash_form_errors(form) -> None:
    """A small action form that failed validation: its field errors as one message."""
    messages = [message for errors in form.errors.values() for message in errors]
    flash(join_messages(messages) or _("表单有误。"), "error")
