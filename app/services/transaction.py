"""One use case, one transaction: commit once at the end, or roll everything back."""
import functools

from flask_babel import gettext as _
from sqlalchemy.exc import IntegrityError, OperationalError
from sqlalchemy.orm.exc import StaleDataError

from app.extensions import db
from app.services.errors import ConcurrentUpdateError


def transaction(function):
    """Run a public service function in one transaction.

    A concurrent write (a stale version, a lock conflict, a duplicate key racing in) becomes
    ConcurrentUpdateError; any error rolls back first, so nothing is half-written.
    """

    @functools.wraps(function)
    def wrapper(*args, **kwargs):
        try:
            result = function(*args, **kwargs)
            db.session.commit()
            return result
        except (StaleDataError, IntegrityError, OperationalError) as error:
            db.session.rollback()
            if isinstance(error, OperationalError) and not _is_lock_conflict(error):
                raise
            raise ConcurrentUpdateError(
                _("该案件刚被其他人更新，请刷新页面后重试。")
            ) from error
        except BaseException:
            db.session.rollback()
            raise

    return wrapper


def _is_lock_conflict(error: OperationalError) -> bool:
    text = str(error.orig).lower()
    return "locked" in text or "could not serialize" in text or "deadlock" in text
