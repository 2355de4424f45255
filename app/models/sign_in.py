"""Log-in sessions kept on the server, and failed log-ins with the locks they cause."""
from datetime import datetime

from sqlalchemy import ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.extensions import Model
from app.models.types import UtcDateTime
from app.models.user import User


class UserSession(Model):
    """One logged-in browser. The signed cookie holds a random id; only its sha256 is stored here.

    A request is logged in while the row is not ended and neither the idle nor the absolute timeout
    has passed (app/services/people/sessions.py).
    """

    __tablename__ = "user_session"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id", ondelete="CASCADE"), index=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime())
    # Touched at most once a minute, so a busy user does not write on every request.
    last_seen_at: Mapped[datetime] = mapped_column(UtcDateTime())
    ended_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    # logged_out, password_changed, revoked (by an admin)
    end_reason: Mapped[str | None] = mapped_column(String(20))
    ip: Mapped[str] = mapped_column(String(45), default="")
    user_agent: Mapped[str] = mapped_column(String(200), default="")

    user: Mapped[User] = relationship()


class LoginFailure(Model):
    """A log-in refused for a wrong user name or password, by the name as typed (known or not) and IP."""

    __tablename__ = "login_failure"
    __table_args__ = (
        Index("ix_login_failure_username_at", "username", "at"),
        Index("ix_login_failure_ip_at", "ip", "at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(String(64))
    ip: Mapped[str] = mapped_column(String(45))
    at: Mapped[datetime] = mapped_column(UtcDateTime())


class LoginLock(Model):
    """A user name locked after repeated failures, until `locked_until` or an admin unlocks it.

    Names are locked whether or not an account has them, so a lock tells a prober nothing.
    """

    __tablename__ = "login_lock"
    __table_args__ = (Index("ix_login_lock_username_locked_at", "username", "locked_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(String(64))
    locked_at: Mapped[datetime] = mapped_column(UtcDateTime())
    locked_until: Mapped[datetime] = mapped_column(UtcDateTime(), index=True)
    unlocked_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    unlocked_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id", ondelete="SET NULL"))

    unlocked_by: Mapped[User | None] = relationship()

    def ended_at(self) -> datetime:
        return self.unlocked_at or self.locked_until
