"""A people's mediation room (人民调解室): it serves a set of grids; mediators belong to one room."""
from sqlalchemy import Column, ForeignKey, String, Table
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.extensions import Model, db
from app.models.grid import Grid, Town

# Each grid is served by at most one room (grid_id is the key), so a level-2 task has one room.
mediation_room_grid = Table(
    "mediation_room_grid",
    db.metadata,
    Column("grid_id", ForeignKey("grid.id", ondelete="CASCADE"), primary_key=True),
    Column("room_id", ForeignKey("mediation_room.id", ondelete="CASCADE"), nullable=False, index=True),
)


class MediationRoom(Model):
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(100), unique=True)
    town_id: Mapped[int] = mapped_column(ForeignKey("town.id"), index=True)

    town: Mapped[Town] = relationship()
    grids: Mapped[list[Grid]] = relationship(secondary=mediation_room_grid, order_by=Grid.code)
