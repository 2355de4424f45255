"""Log-in sessions kept on the server, and the defences of the log-in form.

A log-in starts a `user_session` row; the signed cookie holds a random id whose sha256 is the row's key.
Every request that needs the user resumes the session (Flask-Login's user loader): it must not have been
ended (log-out, password change, an admin) nor have passed the idle or absolute timeout. `last_seen_at`
is written at most once a minute.

Failed log-ins are recorded by user name (known or not) and IP address, in the database so that every
worker sees them: too many for one name lock it for a while; too many from one address refuse that
address. Admins see locks and recent failures, unlock names, and end any user's sessions.
"""
import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import func, select, update
from sqlalchemy.orm import joinedload

from app.extensions import db
from app.models import LoginFailure, LoginLock, User, UserSession
from app.services.errors import InvalidInputError, NotFoundError
from app.services.people.access import ensure_can_manage_accounts
from app.services.people.users import password_matches, verify_credentials
from app.services.time_limits import clock
from app.services.transaction import transaction

# How stale `last_seen_at` may be before a request writes it again.
TOUCH_INTERVAL = timedelta(minutes=1)
# How long the admin's page looks back for failed log-ins.
RECENT_FAILURES = timedelta(hours=24)
MAX_USERNAME = 64


@dataclass(frozen=True)
class LoginResult:
    """A log-in either started a session (`user`, `token` for the cookie) or was `refused`:
    "credentials" (wrong name or password), "locked" (the name, until `retry_at`) or "throttled" (the IP)."""

    user: User | None = None
    token: str | None = None
    refused: str | None = None
    retry_at: datetime | None = None


@dataclass(frozen=True)
class SignInOverview:
    locks: list[LoginLock]
    failures: list[LoginFailure]
    live_sessions: list[tuple[User, int]]  # users with live sessions, and how many


@transaction
def log_in(username: str, password: str, *, ip: str, user_agent: str) -> LoginResult:
    """Check a log-in against the locks, the throttle and the password; record a failure or start a session."""
    now = clock.now()
    config = current_app.config
    name = username[:MAX_USERNAME]
    lock = _active_lock(name, now)
    if lock is not None:
        return LoginResult(refused="locked", retry_at=lock.locked_until)
    window_start = now - timedelta(minutes=config["LOGIN_FAILURE_WINDOW_MINUTES"])
    from_ip = db.session.scalar(select(func.count()).where(LoginFailure.ip == ip, LoginFailure.at > window_start))
    if from_ip >= config["LOGIN_MAX_FAILURES_PER_IP"]:
        return LoginResult(refused="throttled")
    user = verify_credentials(name, password)
    if user is None:
        db.session.add(LoginFailure(username=name, ip=ip, at=now))
        db.session.flush()
        if _failures_counting_towards_lock(name, window_start) >= config["LOGIN_MAX_FAILURES_PER_ACCOUNT"]:
            lock = LoginLock(username=name, locked_at=now,
                             locked_until=now + timedelta(minutes=config["LOGIN_LOCK_MINUTES"]))
            db.session.add(lock)
            return LoginResult(refused="locked", retry_at=lock.locked_until)
        return LoginResult(refused="credentials")
    return LoginResult(user=user, token=_start_session(user, now, ip, user_agent))


def resume_session(token: str | None, user_id: int) -> User | None:
    """The user of a live session, else None (ended, timed out, or not this user's)."""
    if not token:
        return None
    row = db.session.scalar(select(UserSession).options(joinedload(UserSession.user))
                            .where(UserSession.token_hash == _hash(token)))
    now = clock.now()
    if row is None or row.user_id != user_id or not row.user.active or not _is_live(row, now):
        return None
    if now - row.last_seen_at >= TOUCH_INTERVAL:
        _touch(row.id, now)
    return row.user


@transaction
def log_out(token: str | None) -> None:
    row = db.session.scalar(select(UserSession).where(UserSession.token_hash == _hash(token or "")))
    if row is not None and row.ended_at is None:
        row.ended_at, row.end_reason = clock.now(), "logged_out"


@transaction
def change_password(actor: User, current_password: str, new_password: str, *, ip: str, user_agent: str) -> str:
    """Set a new password and end every session of the actor; returns a new session for this browser."""
    if not password_matches(actor, current_password):
        raise InvalidInputError(_("无法修改密码。"), {"current_password": [_("当前密码不正确。")]})
    if len(new_password) < 8:
        raise InvalidInputError(_("无法修改密码。"), {"new_password": [_("密码至少 8 位。")]})
    now = clock.now()
    actor.set_password(new_password, current_app.config["PASSWORD_HASH_METHOD"])
    db.session.add(actor)
    _end_sessions(select(UserSession).where(UserSession.user_id == actor.id), now, "password_changed")
    return _start_session(actor, now, ip, user_agent)


def sign_in_overview(actor: User) -> SignInOverview:
    """What the admin watches: names locked now, failures of the last day, users logged in."""
    ensure_can_manage_accounts(actor)
    now = clock.now()
    locks = list(db.session.scalars(select(LoginLock).where(*_lock_in_force(now)).order_by(LoginLock.locked_at.desc())))
    failures = list(db.session.scalars(select(LoginFailure).where(LoginFailure.at > now - RECENT_FAILURES)
                                       .order_by(LoginFailure.at.desc()).limit(200)))
    live = db.session.execute(select(User, func.count(UserSession.id)).join(UserSession.user)
                              .where(*_live(now)).group_by(User.id).order_by(User.username)).all()
    return SignInOverview(locks=locks, failures=failures, live_sessions=[(user, count) for user, count in live])


def user_sessions(actor: User, username: str) -> tuple[User, list[UserSession]]:
    """A user and their live sessions, newest first."""
    ensure_can_manage_accounts(actor)
    user = _user_named(username)
    rows = db.session.scalars(select(UserSession).where(UserSession.user_id == user.id, *_live(clock.now()))
                              .order_by(UserSession.created_at.desc()))
    return user, list(rows)


@transaction
def revoke_sessions(actor: User, username: str, session_id: int | None = None) -> int:
    """End one live session of a user (or all of them, without `session_id`); returns how many ended."""
    ensure_can_manage_accounts(actor)
    user = _user_named(username)
    query = select(UserSession).where(UserSession.user_id == user.id)
    if session_id is not None:
        query = query.where(UserSession.id == session_id)
    return _end_sessions(query, clock.now(), "revoked")


@transaction
def unlock_account(actor: User, lock_id: int) -> LoginLock:
    """Lift a lock now; failures before it no longer count towards the next one."""
    ensure_can_manage_accounts(actor)
    now = clock.now()
    lock = db.session.scalar(select(LoginLock).where(LoginLock.id == lock_id, *_lock_in_force(now)))
    if lock is None:
        raise NotFoundError(_("该锁定不存在或已解除。"))
    lock.unlocked_at, lock.unlocked_by = now, actor
    return lock


def _start_session(user: User, now: datetime, ip: str, user_agent: str) -> str:
    token = secrets.token_urlsafe(32)
    db.session.add(UserSession(user=user, token_hash=_hash(token), created_at=now, last_seen_at=now,
                               ip=ip[:45], user_agent=user_agent[:200]))
    db.session.flush()
    return token


def _end_sessions(query, now: datetime, reason: str) -> int:
    rows = list(db.session.scalars(query.where(UserSession.ended_at.is_(None))))
    for row in rows:
        row.ended_at, row.end_reason = now, reason
    return len(rows)


@transaction
def _touch(session_id: int, now: datetime) -> None:
    # A conditional UPDATE: two workers touching at once both succeed, and neither rewinds the other.
    db.session.execute(update(UserSession).where(UserSession.id == session_id, UserSession.last_seen_at < now)
                       .values(last_seen_at=now))


def _live(now: datetime) -> tuple:
    config = current_app.config
    return (UserSession.ended_at.is_(None),
            UserSession.last_seen_at > now - timedelta(minutes=config["SESSION_IDLE_MINUTES"]),
            UserSession.created_at > now - timedelta(hours=config["SESSION_ABSOLUTE_HOURS"]))


def _is_live(row: UserSession, now: datetime) -> bool:
    config = current_app.config
    return (row.ended_at is None
            and now - row.last_seen_at < timedelta(minutes=config["SESSION_IDLE_MINUTES"])
            and now - row.created_at < timedelta(hours=config["SESSION_ABSOLUTE_HOURS"]))


def _lock_in_force(now: datetime) -> tuple:
    return LoginLock.unlocked_at.is_(None), LoginLock.locked_until > now


def _active_lock(name: str, now: datetime) -> LoginLock | None:
    return db.session.scalar(select(LoginLock).where(LoginLock.username == name, *_lock_in_force(now)).limit(1))


def _failures_counting_towards_lock(name: str, window_start: datetime) -> int:
    """Failures of the name in the window, since its last lock ended and since its last successful log-in."""
    last_lock = db.session.scalar(select(LoginLock).where(LoginLock.username == name)
                                  .order_by(LoginLock.locked_at.desc()).limit(1))
    last_login = db.session.scalar(select(func.max(UserSession.created_at)).join(UserSession.user)
                                   .where(User.username == name))
    since = max([window_start, *([last_lock.ended_at()] if last_lock else []), *([last_login] if last_login else [])])
    return db.session.scalar(select(func.count()).where(LoginFailure.username == name, LoginFailure.at > since)) or 0


def _user_named(username: str) -> User:
    user = db.session.scalar(select(User).where(User.username == username))
    if user is None:
        raise NotFoundError(_("用户不存在。"))
    return user


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()
