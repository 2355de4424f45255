"""The places a case belongs to: town → community → grid, police grids, standard addresses."""
import secrets

from sqlalchemy import ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.extensions import Model


class Town(Model):
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(100), unique=True)


class Community(Model):
    id: Mapped[int] = mapped_column(primary_key=True)
    town_id: Mapped[int] = mapped_column(ForeignKey("town.id"), index=True)
    name: Mapped[str] = mapped_column(String(100))

    town: Mapped[Town] = relationship()


class PoliceGrid(Model):
    """A community police officer's area (警格); it contains several grids."""

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(100), unique=True)


class Grid(Model):
    """A governance grid (网格); every grid lies in one community and one police grid."""

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(40), unique=True)
    name: Mapped[str] = mapped_column(String(100))
    kind: Mapped[str] = mapped_column(String(20), default="urban")
    community_id: Mapped[int] = mapped_column(ForeignKey("community.id"), index=True)
    police_grid_id: Mapped[int] = mapped_column(ForeignKey("police_grid.id"), index=True)

    community: Mapped[Community] = relationship()
    police_grid: Mapped[PoliceGrid] = relationship()


class Address(Model):
    """A standard address (一标三实); it resolves to exactly one grid."""

    __table_args__ = (Index("ix_address_position", "latitude", "longitude"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    text: Mapped[str] = mapped_column(String(200), unique=True)
    grid_id: Mapped[int] = mapped_column(ForeignKey("grid.id"), index=True)
    # The unguessable token in the door plate's QR link (/r/<plate_token>); never the id. Always set (the
    # default here, migration 0004 for older rows); nullable only because SQLite adds columns that way.
    plate_token: Mapped[str | None] = mapped_column(String(32), unique=True, index=True,
                                                    default=lambda: new_plate_token())

    # WGS-84 position from the base data (optional): "用我的位置" suggests the nearest addresses.
    latitude: Mapped[float | None]
    longitude: Mapped[float | None]

    grid: Mapped[Grid] = relationship()


def new_plate_token() -> str:
    return secrets.token_urlsafe(16)
