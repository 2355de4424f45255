"""People who use Jiefen, their role and the grids they serve."""
from datetime import datetime

from flask_babel import lazy_gettext as _l
from flask_login import UserMixin
from sqlalchemy import Column, ForeignKey, String, Table
from sqlalchemy.orm import Mapped, mapped_column, relationship
from werkzeug.security import check_password_hash, generate_password_hash

from app.extensions import Model, db
from app.models.grid import Grid, PoliceGrid, Town
from app.models.mediation_room import MediationRoom
from app.models.types import UtcDateTime

ROLE_LABELS = {
    "grid_worker": _l("网格员"),
    "police_officer": _l("社区民警"),
    "dispatcher": _l("综治中心调度员"),
    "mediator": _l("人民调解员"),
    "panel_member": _l("三长会商成员"),
    "supervisor": _l("督办人员"),
    "designer": _l("流程设计员"),
    "admin": _l("系统管理员"),
}
ROLES = tuple(ROLE_LABELS)
# The languages of the user interface, by Babel locale; Chinese is the source language and the default.
DEFAULT_LOCALE = "zh_CN"
LOCALES = {"zh_CN": "中文", "en": "English"}

user_grid = Table(
    "user_grid",
    db.metadata,
    Column("user_id", ForeignKey("user_account.id", ondelete="CASCADE"), primary_key=True),
    Column("grid_id", ForeignKey("grid.id", ondelete="CASCADE"), primary_key=True, index=True),
)


class User(UserMixin, Model):
    __tablename__ = "user_account"  # "user" is reserved in PostgreSQL

    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(String(64), unique=True)
    display_name: Mapped[str] = mapped_column(String(100))
    role: Mapped[str] = mapped_column(String(20), index=True)
    password_hash: Mapped[str] = mapped_column(String(256))
    email: Mapped[str] = mapped_column(String(200), default="")
    active: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime())
    police_grid_id: Mapped[int | None] = mapped_column(ForeignKey("police_grid.id"), index=True)
    mediation_room_id: Mapped[int | None] = mapped_column(ForeignKey("mediation_room.id"), index=True)
    town_id: Mapped[int | None] = mapped_column(ForeignKey("town.id"), index=True)
    # The language of the user's pages and notifications: one of LOCALES.
    locale: Mapped[str] = mapped_column(String(10), default=DEFAULT_LOCALE, server_default=DEFAULT_LOCALE)

    grids: Mapped[list[Grid]] = relationship(secondary=user_grid, order_by=Grid.code)
    # Where a user acts beyond explicit grids (see app/services/people/access.py SCOPES): a police officer's
    # police grid (警格), a mediator's room, the town of a dispatcher, panel member or supervisor.
    police_grid: Mapped[PoliceGrid | None] = relationship()
    mediation_room: Mapped[MediationRoom | None] = relationship()
    town: Mapped[Town | None] = relationship()

    @property
    def is_active(self) -> bool:
        return self.active

    def set_password(self, password: str, method: str = "scrypt") -> None:
        self.password_hash = generate_password_hash(password, method=method)

    def check_password(self, password: str) -> bool:
        return check_password_hash(self.password_hash, password)
