"""The sector mediation bodies of each town (the "N" of "3+N"): listing them for forms, keeping the list."""
from flask_babel import gettext as _
from sqlalchemy import func, select

from app.extensions import db
from app.models import SectorBody, Town, User
from app.models.sector_body import DEFAULT_SECTOR_BODIES
from app.services.errors import AccessDeniedError, InvalidInputError, NotFoundError
from app.services.transaction import transaction

MAX_NAME_LENGTH = 100


def all_sector_bodies() -> list[SectorBody]:
    """Every body of every town, active or not, by town and position: what past steps may name."""
    return list(db.session.scalars(select(SectorBody).order_by(SectorBody.town_id, SectorBody.position,
                                                                SectorBody.id)))


def sector_bodies_of_town(town_id: int, active_only: bool = True) -> list[SectorBody]:
    query = select(SectorBody).where(SectorBody.town_id == town_id)
    if active_only:
        query = query.where(SectorBody.active.is_(True))
    return list(db.session.scalars(query.order_by(SectorBody.position, SectorBody.id)))


def bodies_outside_town(town_id: int, body_ids: list[int]) -> list[int]:
    """The ids among `body_ids` that are not active bodies of the town (a step may name only those)."""
    wanted = {int(body_id) for body_id in body_ids}
    if not wanted:
        return []
    allowed = set(db.session.scalars(select(SectorBody.id).where(
        SectorBody.id.in_(wanted), SectorBody.town_id == town_id, SectorBody.active.is_(True))))
    return sorted(wanted - allowed)


def add_default_sector_bodies(town: Town) -> int:
    """Helper (adds, flushes): give a town the default list, skipping names it has; returns how many were added."""
    have = set(db.session.scalars(select(SectorBody.name).where(SectorBody.town_id == town.id)))
    position = db.session.scalar(select(func.count()).where(SectorBody.town_id == town.id)) or 0
    added = 0
    for name in DEFAULT_SECTOR_BODIES:
        if name not in have:
            db.session.add(SectorBody(town_id=town.id, name=name, position=position + added))
            added += 1
    db.session.flush()
    return added


@transaction
def seed_sector_bodies(town_name: str) -> int:
    """Give a town (by name) the default list of sector bodies (`flask seed-sector-bodies`)."""
    town = db.session.scalar(select(Town).where(Town.name == town_name))
    if town is None:
        raise NotFoundError(_("没有找到该乡镇。"))
    return add_default_sector_bodies(town)


@transaction
def add_sector_body(actor: User, town_id: int, name: str) -> SectorBody:
    _ensure_admin(actor)
    name = (name or "").strip()
    if db.session.get(Town, town_id) is None:
        raise InvalidInputError(_("乡镇不存在。"), {"town_id": [_("请选择乡镇。")]})
    if not name or len(name) > MAX_NAME_LENGTH:
        raise InvalidInputError(_("请填写调解组织名称。"), {"name": [_("请填写调解组织名称（最多 100 字）。")]})
    if db.session.scalar(select(SectorBody.id).where(SectorBody.town_id == town_id, SectorBody.name == name)):
        raise InvalidInputError(_("该乡镇已有同名调解组织。"), {"name": [_("该乡镇已有同名调解组织。")]})
    position = db.session.scalar(select(func.count()).where(SectorBody.town_id == town_id)) or 0
    body = SectorBody(town_id=town_id, name=name, position=position)
    db.session.add(body)
    db.session.flush()
    return body


@transaction
def set_sector_body_active(actor: User, body_id: int, active: bool) -> SectorBody:
    """Deactivate a body no longer used (past steps keep naming it) or bring it back."""
    _ensure_admin(actor)
    body = db.session.get(SectorBody, body_id)
    if body is None:
        raise NotFoundError(_("没有找到该调解组织。"))
    body.active = active
    return body


def towns() -> list[Town]:
    return list(db.session.scalars(select(Town).order_by(Town.id)))


def _ensure_admin(actor: User) -> None:
    if actor.role != "admin":
        raise AccessDeniedError(_("只有系统管理员可以维护行业性专业调解组织名单。"))
