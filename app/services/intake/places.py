"""Creating the place hierarchy: towns, communities, police grids, grids and standard addresses."""
from dataclasses import dataclass, field

from flask_babel import gettext as _
from sqlalchemy import select

from app.extensions import db
from app.models import Address, Community, Grid, MediationRoom, PoliceGrid, Town
from app.services.cases.sector_bodies import add_default_sector_bodies
from app.services.errors import InvalidInputError
from app.services.transaction import transaction


@dataclass(frozen=True)
class GridSpec:
    code: str
    name: str
    community: str
    police_grid: str
    addresses: tuple[str, ...] = ()
    kind: str = "urban"
    # Base-data positions of some addresses: text → (latitude, longitude).
    positions: dict[str, tuple[float, float]] = field(default_factory=dict)


@transaction
def create_places(town_name: str, grids: list[GridSpec]) -> list[Grid]:
    """Create a town with its grids, reusing communities and police grids by name."""
    existing = db.session.scalar(select(Town).where(Town.name == town_name))
    town = existing or Town(name=town_name)
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
        db.session.add_all(
            Address(text=text, grid=grid, latitude=spec.positions.get(text, (None, None))[0],
                    longitude=spec.positions.get(text, (None, None))[1])
            for text in spec.addresses)
        created.append(grid)
    db.session.flush()
    if existing is None:  # a new town starts with the default list of sector mediation bodies
        add_default_sector_bodies(town)
    return created


@transaction
def create_mediation_room(name: str, town_name: str, grid_codes: list[str]) -> MediationRoom:
    """A people's mediation room serving the given grids; their level-2 work goes to its mediators."""
    town = db.session.scalar(select(Town).where(Town.name == town_name))
    grids = list(db.session.scalars(select(Grid).where(Grid.code.in_(grid_codes))))
    if town is None or len(grids) != len(set(grid_codes)):
        raise InvalidInputError(_("调解室的乡镇或网格不存在。"))
    room = MediationRoom(name=name, town=town, grids=grids)
    db.session.add(room)
    db.session.flush()
    return room
