"""Reference lists the forms offer: dispute categories, grids, addresses."""
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
