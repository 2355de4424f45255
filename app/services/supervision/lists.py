"""Supervision lists (督办清单): the weekly list, reminder slips and supervised-handling slips."""
from dataclasses import dataclass
from datetime import datetime, timedelta

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_sqlalchemy.pagination import Pagination
from sqlalchemy import ColumnElement, Select, and_, func, or_, select, union
from sqlalchemy.orm import aliased

from app.extensions import db
from app.models import ROLE_LABELS, DisputeCase, Grid, Task, TaskCandidateRole, User
from app.services.cases import lists as listing
from app.services.people import access
from app.services.sql import LIKELY, likelihood, one_of
from app.services.supervision.exports import csv_text
from app.services.time_limits import clock

KINDS = {
    "weekly": _l("周清单"),
    "reminder": _l("提示单（黄牌）"),
    "supervised": _l("盯办单（红牌）"),
}


@dataclass(frozen=True)
class SupervisionRow:
    number: str
    title: str
    grid: str
    card: str
    status: str
    step: str
    handler: str
    due_at: datetime | None
    opened_at: datetime
    days_open: int


@dataclass(frozen=True)
class ListPage:
    """What a list page links to: its kind and page number (for the pager of _lists.html)."""

    kind: str
    page: int = 1

    def args(self, page: int) -> dict:
        return {"kind": self.kind, **({"page": page} if page > 1 else {})}


def supervision_page(actor: User, kind: str, page: int = 1) -> Pagination:
    """One page of a list (SupervisionRow items), in the order of `supervision_list`."""
    access.ensure_can_supervise(actor)
    now = clock.now()
    on_list = _on_list(actor, kind, now)
    query = _list_query(on_list).execution_options(**{listing.COUNTED: _count(on_list)})
    found = listing.paginate(query, page, whole_rows=True)
    found.items = _rows(found.items, now)
    return found


def supervision_list(actor: User, kind: str) -> list[SupervisionRow]:
    """Cases on a list, one row per case and current step, ordered by grid and handler (the whole list)."""
    access.ensure_can_supervise(actor)
    now = clock.now()
    return _rows(db.session.execute(_list_query(_on_list(actor, kind, now))).all(), now)


def _on_list(actor: User, kind: str, now: datetime) -> tuple[ColumnElement[bool], ...]:
    """reminder: open cases with a yellow card; supervised: open cases with a red card; weekly: open
    carded cases plus any case carded in the last seven days — read from the case row, not the trail."""
    on_list: tuple[ColumnElement[bool], ...]
    if kind == "reminder":
        on_list = (DisputeCase.status == "open", DisputeCase.card == "yellow")
    elif kind == "supervised":
        on_list = (DisputeCase.status == "open", DisputeCase.card == "red")
    elif kind == "weekly":
        on_list = (_weekly(actor, now),)
    else:
        raise ValueError(f"unknown supervision list {kind!r}")
    return (access.visible_cases(actor), *on_list)


_READY_TASK = (Task.case_id == DisputeCase.id) & (Task.state == "ready")  # a row per case and current step
_ASSIGNEE = aliased(User, name="assignee")  # made once, as access.py's aliases


def _list_query(on_list: tuple[ColumnElement[bool], ...]) -> Select:
    assignee = _ASSIGNEE
    return (
        select(DisputeCase.number, DisputeCase.title, DisputeCase.card, DisputeCase.status, DisputeCase.opened_at,
               Grid.name, Task.name, Task.id, Task.due_at, assignee.display_name)
        .join(Grid, Grid.id == DisputeCase.grid_id)
        .outerjoin(Task, _READY_TASK)
        .outerjoin(assignee, assignee.id == Task.assignee_id)
        .where(*on_list)
        .order_by(Grid.code, assignee.display_name, DisputeCase.opened_at, DisputeCase.id, Task.id)
    )


def _count(on_list: tuple[ColumnElement[bool], ...]) -> int:
    """The list's rows counted without the grid and the handler, which name a row but never add one: counted
    through them, the county's weekly list joined each of its 3,300 rows to both (30 -> 12-21 ms at 100,000 cases)."""
    return db.session.execute(
        select(func.count()).select_from(DisputeCase).outerjoin(Task, _READY_TASK).where(*on_list)).scalar_one()


def _weekly(actor: User, now: datetime):
    """Open carded cases, and cases carded in the last seven days: each half read from its own index, which
    carries the grid, with the reader's area asked in each half (bound as its grids' ids on PostgreSQL).
    - SQLite, asked the OR, walked every case of every grid in the list's order (~400 ms of CPU at 100,000 cases,
      most of it to count the rows). Told the area likely(), it reads a town's carded cases in the card indexes
      rather than each of the town's grids (the page 51 -> 28 ms of CPU).
    - PostgreSQL, asked the OR for a town, read each of its 212 grids' cases and kept the carded ones: the count and
      the page 24 ms each, against 9.5 ms each for the union. For the county (no area) it ORs the two indexes'
      bitmaps itself; a union of the county's 3,300 ids it joined by reading the whole table (95 ms)."""
    carded = and_(DisputeCase.status == "open", DisputeCase.card.in_(("yellow", "red")))
    lately = DisputeCase.card_raised_at >= now - timedelta(days=7)
    if db.engine.dialect.name != "sqlite" and access.area_grid_ids(actor) is None:
        return or_(carded, lately)
    area = likelihood(access.bound_area(actor, DisputeCase.grid_id), LIKELY)
    return DisputeCase.id.in_(union(select(DisputeCase.id).where(carded, area),
                                    select(DisputeCase.id).where(lately, area)))


def _rows(rows, now: datetime) -> list[SupervisionRow]:
    """The list's rows; an unclaimed step's handler is who may claim it, its roles read for these rows only
    (asked per row in the list's query, they were read for every row of the list before its page was cut)."""
    unclaimed = [task_id for *_, task_id, _due_at, handler in rows if task_id is not None and not handler]
    roles: dict[int, list[str]] = {}
    for task_id, role in db.session.execute(select(TaskCandidateRole.task_id, TaskCandidateRole.role)
                                            .where(one_of(TaskCandidateRole.task_id, unclaimed))):
        roles.setdefault(task_id, []).append(role)
    labels: dict[tuple[str, ...], str] = {}  # each set of roles labelled once per list
    found = []
    for number, title, card, status, opened_at, grid_name, step, task_id, due_at, handler in rows:
        if not handler:
            named = tuple(sorted(roles.get(task_id, ())))
            handler = labels.get(named) or labels.setdefault(named, _roles_label(named))
        found.append(SupervisionRow(
            number=number, title=title, grid=grid_name, card=card, status=status, step=step or "—",
            handler=handler, due_at=due_at, opened_at=opened_at, days_open=(now - opened_at).days,
        ))
    return found


def supervision_csv(actor: User, kind: str, display_zone) -> str:
    """The list as CSV text, through the one export writer (formula-safe cells, a BOM for the Chinese)."""
    header = [_("清单"), _("案件编号"), _("标题"), _("网格"), _("督办"), _("状态"), _("当前环节"), _("办理人"), _("时限"), _("登记时间"), _("已登记天数")]
    # The labels translated once, not per row: thousands of rows asked Babel ~7 times each (~60 % of the time).
    list_name, cards, open_, closed = str(KINDS[kind]), {"yellow": _("黄牌"), "red": _("红牌")}, _("办理中"), _("已结案")
    rows = [[
        list_name, row.number, row.title, row.grid, cards.get(row.card, ""),
        open_ if row.status == "open" else closed, row.step, row.handler,
        row.due_at.astimezone(display_zone).strftime("%Y-%m-%d %H:%M") if row.due_at else "",
        row.opened_at.astimezone(display_zone).strftime("%Y-%m-%d %H:%M"), row.days_open,
    ] for row in supervision_list(actor, kind)]
    return csv_text(header, rows)


def _roles_label(roles: tuple[str, ...]) -> str:
    if not roles:
        return "—"
    return _("、").join(str(ROLE_LABELS.get(role, role)) for role in roles) + _("（待认领）")
