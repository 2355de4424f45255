"""API tokens for outside systems: issue (shown once, stored hashed), revoke, authenticate.

Each system has a service user (`api-<system>`, role police_officer, serving one police grid 警格 like a
community police officer): API calls act as that user, so the same access rules apply — it hands off to
and sees the cases of its police grid's grids — and the trail names it.
"""
import hashlib
import re
import secrets
from dataclasses import dataclass

from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import select

from app.extensions import db
from app.models import ApiToken, PoliceGrid, User
from app.services.errors import InvalidInputError
from app.services.time_limits import clock
from app.services.transaction import transaction

TOKEN_PREFIX = "jf_"
SERVICE_ROLE = "police_officer"
SYSTEM_NAME = re.compile(r"^[a-z0-9][a-z0-9_.-]{1,47}$")


@dataclass(frozen=True)
class IssuedToken:
    system: str
    username: str
    police_grid: str
    token: str  # shown once; only its hash is kept


@transaction
def create_token(system: str, police_grid: str | None = None) -> IssuedToken:
    """Issue a new token for a system, creating its service user the first time.

    A given police grid (by name) becomes the service user's area; the first token needs one.
    Earlier tokens of the system stay valid until revoked, so a token can be rotated without downtime.
    """
    if not SYSTEM_NAME.match(system):
        raise InvalidInputError(_("系统名称无效。"), {"system": [_("系统名称只能用小写字母、数字和 _ . -，2–48 个字符。")]})
    area = None
    if police_grid:
        area = db.session.scalar(select(PoliceGrid).where(PoliceGrid.name == police_grid))
        if area is None:
            raise InvalidInputError(_("无法签发令牌。"), {"police_grid": [_("警格不存在：%(police_grid)s", police_grid=police_grid)]})
    username = service_username(system)
    user = db.session.scalar(select(User).where(User.username == username))
    if user is not None and db.session.scalar(select(ApiToken.id).where(ApiToken.user_id == user.id).limit(1)) is None:
        raise InvalidInputError(_("无法签发令牌。"), {"system": [_("用户名 %(username)s 已被普通账号占用，请换一个系统名称。", username=username)]})
    now = clock.now()
    if user is None:
        if area is None:
            raise InvalidInputError(_("无法签发令牌。"), {"police_grid": [_("首次签发时请用 --police-grid 指定该系统服务的警格。")]})
        user = User(username=username, display_name=f"{system}（接口）", role=SERVICE_ROLE, created_at=now,
                    police_grid=area)
        # Nobody logs in as a service user: its password is random and never shown.
        user.set_password(secrets.token_urlsafe(32), current_app.config["PASSWORD_HASH_METHOD"])
        db.session.add(user)
    elif area is not None:
        user.police_grid = area
    if user.police_grid is None:  # only a change outside the app leaves a service user without its area
        raise InvalidInputError(_("无法签发令牌。"), {"police_grid": [_("首次签发时请用 --police-grid 指定该系统服务的警格。")]})
    area_name = user.police_grid.name
    user.active = True
    token = TOKEN_PREFIX + secrets.token_urlsafe(32)
    db.session.add(ApiToken(system=system, token_hash=hash_token(token), prefix=token[:10], user=user,
                            created_at=now))
    db.session.flush()
    return IssuedToken(system=system, username=username, police_grid=area_name, token=token)


@transaction
def revoke_tokens(system: str) -> int:
    """Revoke every live token of a system; returns how many."""
    now = clock.now()
    tokens = list(db.session.scalars(
        select(ApiToken).where(ApiToken.system == system, ApiToken.revoked_at.is_(None))
    ))
    for token in tokens:
        token.revoked_at = now
    return len(tokens)


@dataclass(frozen=True)
class ApiCaller:
    system: str
    user: User


def authenticate_token(token: str) -> ApiCaller | None:
    """The system and service user behind a live token; None for a missing, unknown or revoked one."""
    if not token or not token.startswith(TOKEN_PREFIX) or len(token) > 200:
        return None
    row = db.session.scalar(select(ApiToken).where(ApiToken.token_hash == hash_token(token)))
    if row is None or row.revoked_at is not None or not row.user.active:
        return None
    return ApiCaller(system=row.system, user=row.user)


def service_username(system: str) -> str:
    return f"api-{system}"


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()
