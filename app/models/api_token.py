"""API tokens of outside systems (e.g. a police 110 platform): only a hash of the secret is stored."""
from datetime import datetime

from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.extensions import Model
from app.models.types import UtcDateTime
from app.models.user import User


class ApiToken(Model):
    """A bearer token of one system; calls act as the system's service user, with its role and grids."""

    id: Mapped[int] = mapped_column(primary_key=True)
    system: Mapped[str] = mapped_column(String(64), index=True)
    # sha256 of the whole token, hex; the token itself is shown once and never stored.
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    # The first characters, to tell tokens apart in lists and logs.
    prefix: Mapped[str] = mapped_column(String(12))
    user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"), index=True)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime())
    revoked_at: Mapped[datetime | None] = mapped_column(UtcDateTime())

    user: Mapped[User] = relationship()
