"""Filtering, sorting and paging the task and case lists — in SQL, never over loaded rows.

Helpers for the list functions in services/tasks.py and services/cases.py; they build queries and
read, never write.
"""
from dataclasses import dataclass, field, replace
from math import ceil

from sqlalchemy import Select, and_, func, literal_column, or_, select

from app.extensions import db
from app.models import Category, DisputeCase
from app.services.time_limits import clock
from app.services.time_limits.due_states import DUE_SOON  # one rule for badges and filters

PAGE_SIZE = 25
DUE_STATES = ("overdue", "due_soon", "on_time")
CASE_SORTS = ("newest", "due", "urgency")


@dataclass(frozen=True)
class ListFilter:
    """What a list page asks for; every field is optional. Unknown values are ignored."""

    status: str | None = None
    tier: int | None = None
    category_id: int | None = None
    grid_id: int | None = None
    due_state: str | None = None
    text: str = ""
    sort: str = "newest"
    page: int = 1

    @classmethod
    def from_args(cls, args, default_sort: str = "newest") -> "ListFilter":
        """Read a filter from query-string arguments, dropping what does not parse."""
        sort = args.get("sort") if args.get("sort") in CASE_SORTS else default_sort
        return cls(
            status=args.get("status") if args.get("status") in ("open", "closed") else None,
            tier=_int(args.get("tier")) if _int(args.get("tier")) in (1, 2, 3) else None,
            category_id=_int(args.get("category")),
            grid_id=_int(args.get("grid")),
            due_state=args.get("due") if args.get("due") in DUE_STATES else None,
            text=(args.get("q") or "").strip()[:100],
            sort=sort,
            page=max(_int(args.get("page")) or 1, 1),
        )

    def args(self, **changes) -> dict:
        """Query-string arguments for this filter with `changes` applied (for page and sort links)."""
        value = replace(self, **changes)
        pairs = {"status": value.status, "tier": value.tier, "category": value.category_id,
                 "grid": value.grid_id, "due": value.due_state, "q": value.text or None,
                 "sort": value.sort, "page": value.page if value.page > 1 else None}
        return {key: item for key, item in pairs.items() if item is not None}


@dataclass(frozen=True)
class Page:
    items: list
    page: int
    total: int
    per_page: int = PAGE_SIZE
    # For a page of cases: the earliest due time of each case's ready tasks, by case id.
    next_due: dict = field(default_factory=dict)

    @property
    def pages(self) -> int:
        return max(ceil(self.total / self.per_page), 1)


def due_state_condition(due_column, state: str):
    """SQL for a due state over a due-time column, with the boundaries of services/due_states.py."""
    now = clock.now()
    if state == "overdue":
        return due_column <= now
    if state == "due_soon":
        return and_(due_column > now, due_column <= now + DUE_SOON)
    return or_(due_column.is_(None), due_column > now + DUE_SOON)


def filter_cases(query: Select, wanted: ListFilter) -> Select:
    if wanted.status:
        query = query.where(DisputeCase.status == wanted.status)
    if wanted.tier:
        query = query.where(DisputeCase.tier == wanted.tier)
    if wanted.category_id:
        # A top-level category matches its subcategories too.
        children = select(Category.id).where(Category.parent_id == wanted.category_id)
        query = query.where(or_(DisputeCase.category_id == wanted.category_id,
                                DisputeCase.category_id.in_(children.scalar_subquery())))
    if wanted.grid_id:
        query = query.where(DisputeCase.grid_id == wanted.grid_id)
    if wanted.text:
        query = query.where(or_(DisputeCase.title.icontains(wanted.text, autoescape=True),
                                DisputeCase.number.icontains(wanted.text, autoescape=True)))
    return query


# The sort orders of the case list, each read in the order of an index of dispute_case (models/dispute_case.py):
# the next due time kept on the case row, not a subquery over tasks sorted in a temporary B-tree.
# Written out (no bound parameters) so that it is the very expression ix_dispute_case_urgency_order indexes.
CARD_RANK = literal_column("(CASE WHEN dispute_case.card = 'red' THEN 0 WHEN dispute_case.card = 'yellow' THEN 1 ELSE 2 END)")
CASE_ORDERS = {
    "due": (DisputeCase.next_due_at.is_(None), DisputeCase.next_due_at, DisputeCase.id),
    "urgency": (DisputeCase.violence_risk.desc(), CARD_RANK, DisputeCase.next_due_at.is_(None),
                DisputeCase.next_due_at, DisputeCase.id),
    "newest": (DisputeCase.opened_at.desc(), DisputeCase.id.desc()),
}


def sort_cases(query: Select, sort: str) -> Select:
    return query.order_by(*CASE_ORDERS.get(sort, CASE_ORDERS["newest"]))


def paginate(query: Select, page: int, per_page: int = PAGE_SIZE, whole_rows: bool = False) -> Page:
    """One count and one page of rows (of the first column, or `whole_rows`); a page past the end shows the last page."""
    total = db.session.scalar(select(func.count()).select_from(query.order_by(None).subquery())) or 0
    page = min(max(page, 1), max(ceil(total / per_page), 1))
    paged = query.limit(per_page).offset((page - 1) * per_page)
    items = list(db.session.execute(paged).all() if whole_rows else db.session.scalars(paged))
    return Page(items=items, page=page, total=total, per_page=per_page)


def _int(value) -> int | None:
    try:
        return int(value)
    except (TypeError, ValueError):
        return None
