"""Reference lists the forms offer: dispute categories, grids, addresses (and the nearest ones)."""
import math
from dataclasses import dataclass

from sqlalchemy import select

from app.extensions import db
from app.models import Address, Category, Grid, User
from app.services.people import access


def category_choices() -> list[tuple[str, str]]:
    """(code, label) of every category, subcategories after their parent."""
    categories = db.session.scalars(select(Category).order_by(Category.position, Category.id)).all()
    by_parent: dict[int | None, list[Category]] = {}
    for category in categories:
        by_parent.setdefault(category.parent_id, []).append(category)
    choices = []
    for top in by_parent.get(None, []):
        choices.append((top.code, top.name))
        choices.extend((sub.code, f"{top.name} / {sub.name}") for sub in by_parent.get(top.id, []))
    return choices


def category_id_choices() -> list[tuple[int, str]]:
    ids = dict(db.session.execute(select(Category.code, Category.id)).all())
    return [(ids[code], label) for code, label in category_choices()]


def category_id_for(code: str) -> int | None:
    return db.session.scalar(select(Category.id).where(Category.code == code))


def grids_for(actor: User) -> list[Grid]:
    query = select(Grid).where(access.in_area(actor, Grid.id)).order_by(Grid.code)
    return list(db.session.scalars(query))


def addresses_for(actor: User) -> list[Address]:
    grid_ids = [grid.id for grid in grids_for(actor)]
    return list(db.session.scalars(select(Address).where(Address.grid_id.in_(grid_ids)).order_by(Address.text)))


@dataclass(frozen=True)
class NearbyAddress:
    address_id: int
    text: str
    grid_id: int
    grid: str
    distance_m: int


# Half-widths of the boxes searched in turn, in degrees of latitude (~110 m, ~550 m, ~2.2 km, ~9 km).
_SEARCH_BOXES = (0.001, 0.005, 0.02, 0.08)


def nearest_addresses(actor: User, latitude: float, longitude: float, limit: int = 5) -> list[NearbyAddress]:
    """The standard addresses of the actor's area nearest to a position, with their grids ("用我的位置").

    An indexed bounding-box query, widened until it finds something; the few rows found are ordered by
    their distance on the ground. No map tiles are needed.
    """
    grid_ids = select(Grid.id).where(access.in_area(actor, Grid.id))
    for half in _SEARCH_BOXES:
        # A degree of longitude shrinks with the latitude: widen the box so it stays about square.
        half_lon = half / max(math.cos(math.radians(latitude)), 0.01)
        rows = db.session.execute(
            select(Address.id, Address.text, Address.latitude, Address.longitude, Grid.id, Grid.code, Grid.name)
            .join(Grid, Grid.id == Address.grid_id)
            .where(Address.latitude.between(latitude - half, latitude + half),
                   Address.longitude.between(longitude - half_lon, longitude + half_lon),
                   Address.grid_id.in_(grid_ids))
            .limit(200)
        ).all()
        if rows:
            found = [NearbyAddress(address_id, text, grid_id, f"{code} {name}",
                                   round(_metres(latitude, longitude, lat, lon)))
                     for address_id, text, lat, lon, grid_id, code, name in rows
                     if lat is not None and lon is not None]  # as the box query makes sure
            return sorted(found, key=lambda nearby: nearby.distance_m)[:limit]
    return []


def _metres(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """Great-circle distance (haversine)."""
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lon2 - lon1)
    a = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * 6_371_000 * math.asin(math.sqrt(a))
