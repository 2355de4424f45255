"""User accounts: creating them and checking passwords."""
import functools
import secrets
from typing import TypeGuard

from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import select
from werkzeug.security import check_password_hash, generate_password_hash

from app.extensions import db
from app.models import DEFAULT_LOCALE, LOCALES, ROLES, Grid, MediationRoom, PoliceGrid, Town, User
from app.services.errors import InvalidInputError
from app.services.time_limits import clock
from app.services.transaction import transaction


@transaction
def create_user(username: str, display_name: str, role: str, password: str, grid_codes: list[str], *,
                police_grid: str | None = None, mediation_room: str | None = None, town: str | None = None,
                locale: str = DEFAULT_LOCALE) -> User:
    """Grid workers serve grids; police officers a police grid; mediators a room; others a town."""
    errors: dict[str, list[str]] = {}
    if role not in ROLES:
        errors["role"] = [_("角色必须是：%(roles)s", roles=", ".join(ROLES))]
    if len(password) < 8:
        errors["password"] = [_("密码至少 8 位。")]
    if db.session.scalar(select(User.id).where(User.username == username)) is not None:
        errors["username"] = [_("用户名 %(username)s 已存在。", username=username)]
    grids = list(db.session.scalars(select(Grid).where(Grid.code.in_(grid_codes)))) if grid_codes else []
    missing = set(grid_codes) - {grid.code for grid in grids}
    if missing:
        errors["grid"] = [_("网格不存在：%(codes)s", codes=", ".join(sorted(missing)))]
    scope = {}
    for key, model, name in (("police_grid", PoliceGrid, police_grid), ("mediation_room", MediationRoom, mediation_room),
                             ("town", Town, town)):
        if name:
            scope[key] = db.session.scalar(select(model).where(model.name == name))
            if scope[key] is None:
                errors[key] = [_("不存在：%(name)s", name=name)]
    if locale not in LOCALES:
        errors["locale"] = [_("语言必须是：%(locales)s", locales=", ".join(LOCALES))]
    if errors:
        raise InvalidInputError(_("无法创建用户。"), errors)
    user = User(username=username, display_name=display_name or username, role=role, created_at=clock.now(),
                grids=grids, locale=locale, **scope)
    user.set_password(password, current_app.config["PASSWORD_HASH_METHOD"])
    db.session.add(user)
    db.session.flush()
    return user


@transaction
def update_user_locale(actor: User, locale: str) -> User:
    """The language of the actor's own pages and notifications."""
    if locale not in LOCALES:
        raise InvalidInputError(_("不支持该语言。"), {"locale": [_("语言必须是：%(locales)s", locales=", ".join(LOCALES))]})
    actor.locale = locale
    db.session.add(actor)
    return actor


def verify_credentials(username: str, password: str) -> User | None:
    """The active user with this name and password, else None.

    An unknown name costs the same password-hash work as a known one (a dummy hash), so the time of the
    answer does not tell whether an account exists.
    """
    user = db.session.scalar(select(User).where(User.username == username))
    if not password_matches(user, password) or not user.active:
        return None
    return user


def password_matches(user: User | None, password: str) -> TypeGuard[User]:
    """True only for a user whose password this is; without a user, as slow as with one."""
    method = current_app.config["PASSWORD_HASH_METHOD"]
    matches = check_password_hash(user.password_hash if user is not None else _dummy_hash(method), password)
    return matches and user is not None


@functools.cache
def _dummy_hash(method: str) -> str:
    return generate_password_hash(secrets.token_urlsafe(16), method=method)
