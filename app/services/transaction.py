"""One use case, one transaction: commit once at the end, or roll everything back."""
import functools
import re

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy.exc import IntegrityError, OperationalError
from sqlalchemy.orm.exc import StaleDataError

from app.extensions import db
from app.services.errors import ConcurrentUpdateError, DuplicateError

# A unique key a user can collide with by typing, by its first column → what they are told. Any other
# unique key (a trail sequence number, a version number, a case number) only collides when two writers
# race on the same case: that is a concurrent update.
DUPLICATE_MESSAGES = {
    "user_account.username": _l("该用户名已被使用，请换一个。"),
    "category.code": _l("该纠纷类别代码已存在。"),
    "grid.code": _l("该网格编码已存在。"),
    "town.name": _l("该镇街名称已存在。"),
    "police_grid.name": _l("该警格名称已存在。"),
    "address.text": _l("该标准地址已存在。"),
    "mediation_room.name": _l("该调解室名称已存在。"),
    "process_design.key": _l("该流程已有草稿，请打开已有的草稿。"),
    "handoff.system": _l("该警情编号已移交过。"),
}
_SQLITE_UNIQUE = re.compile(r"UNIQUE constraint failed: (\w+\.\w+)")
_POSTGRES_KEY = re.compile(r"Key \((\w+)")


def transaction(function):
    """Run a public service function in one transaction.

    A concurrent write (a stale version, a lock conflict, a duplicate key racing in) becomes
    ConcurrentUpdateError; a duplicate of something the user typed becomes DuplicateError naming it;
    any error rolls back first, so nothing is half-written.
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
            key = unique_key_of(error) if isinstance(error, IntegrityError) else None
            if key is not None and key in DUPLICATE_MESSAGES:
                raise DuplicateError(str(DUPLICATE_MESSAGES[key])) from error
            raise ConcurrentUpdateError(_("该案件刚被其他人更新，请刷新页面后重试。")) from error
        except BaseException:
            db.session.rollback()
            raise

    return wrapper


def unique_key_of(error: IntegrityError) -> str | None:
    """`table.first_column` of the unique key an INSERT or UPDATE collided with, on SQLite or PostgreSQL."""
    message = str(error.orig)
    sqlite = _SQLITE_UNIQUE.search(message)
    if sqlite:
        return sqlite.group(1)
    diag = getattr(error.orig, "diag", None)
    postgres = _POSTGRES_KEY.search(getattr(diag, "message_detail", None) or message)
    if diag is not None and diag.table_name and postgres:
        return f"{diag.table_name}.{postgres.group(1)}"
    return None


def _is_lock_conflict(error: OperationalError) -> bool:
    text = str(error.orig).lower()
    return "locked" in text or "could not serialize" in text or "deadlock" in text
