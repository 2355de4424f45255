"""Creating the place hierarchy: towns, communities, police grids, grids and standard addresses."""
from dataclasses import dataclass

from sqlalchemy import select

from app.extensions import db
from app.models import Address, Community, Grid, PoliceGrid, Town
from app.services.transaction import transaction


@dataclass(frozen=True)
class GridSpec:
    code: str
    name: str
    community: str
    police_grid: str
    addresses: tuple[str, ...] = ()
    kind: str = "urban"


@transaction
def create_places(town_name: str, grids: list[GridSpec]) -> list[Grid]:
    """Create a town with its grids, reusing communities and police grids by name."""
    town = db.session.scalar(select(Town).where(Town.name == town_name)) or Town(name=town_name)
    db.session.add(town)
    communities: dict[str, Community] = {}
    police_grids: dict[str, PoliceGrid] = {}
    created = []
    for spec in grids:
        community = communities.setdefault(spec.community, Community(town=town, name=spec.community))
        police_grid = police_grids.get(spec.police_grid) or db.session.scalar(
            select(PoliceGrid).where(PoliceGrid.name == spec.police_grid)
        ) or PoliceGrid(name=spec.police_grid)
        police_grids[spec.police_grid] = police_grid
        grid = Grid(code=spec.code, name=spec.name, kind=spec.kind, community=community, police_grid=police_grid)
        db.session.add(grid)
        db.session.add_all(Address(text=text, grid=grid) for text in spec.addresses)
        created.append(grid)
    db.session.flush()
    return created
