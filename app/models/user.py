"""People who use Jiefen, their role and the grids they serve."""
from datetime import datetime

from flask_login import UserMixin
from sqlalchemy import Column, ForeignKey, String, Table
from sqlalchemy.orm import Mapped, mapped_column, relationship
from werkzeug.security import check_password_hash, generate_password_hash

from app.extensions import db
from app.models.grid import Grid, PoliceGrid, Town
from app.models.mediation_room import MediationRoom
from app.models.types import UtcDateTime

ROLE_LABELS = {
    "grid_worker": "网格员",
    "police_officer": "社区民警",
    "dispatcher": "综治中心调度员",
    "mediator": "人民调解员",
    "panel_member": "三长会商成员",
    "supervisor": "督办人员",
    "designer": "流程设计员",
    "admin": "系统管理员",
}
ROLES = tuple(ROLE_LABELS)

user_grid = Table(
    "user_grid",
    db.metadata,
    Column("user_id", ForeignKey("user_account.id", ondelete="CASCADE"), primary_key=True),
    Column("grid_id", ForeignKey("grid.id", ondelete="CASCADE"), primary_key=True, index=True),
)


class User(UserMixin, db.Model):
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

    grids: Mapped[list[Grid]] = relationship(secondary=user_grid, order_by=Grid.code)
    # Where a user acts beyond explicit grids (see app/services/access.py SCOPES): a police officer's
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
