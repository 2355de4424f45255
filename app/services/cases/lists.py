"""Filtering, sorting and paging the task and case lists — in SQL, never over loaded rows.

Helpers for the list functions in services/tasks.py and services/cases.py; they build queries and
read, never write.
"""
import re
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import date, datetime, time, timedelta
from math import ceil
from zoneinfo import ZoneInfo

from flask import current_app
from flask_babel import gettext as _
from flask_sqlalchemy.pagination import Pagination, SelectPagination
from sqlalchemy import ColumnClause, Select, and_, exists, false, func, literal_column, or_, select
from sqlalchemy.orm import lazyload

from app.extensions import db
from app.input_guard import RefusedInputError, query_int
from app.models import Category, DisputeCase, Grid, Task
from app.models.dispute_case import OUTCOMES, SOURCES
from app.services.cases import search
from app.services.sql import likelihood
from app.services.time_limits import clock
from app.services.time_limits.due_states import DUE_SOON  # one rule for badges and filters

PAGE_SIZE = 25
DUE_STATES = ("overdue", "due_soon", "on_time")
CASE_SORTS = ("newest", "due", "urgency")
OUTSTANDING_CARDS = ("yellow", "red")
# Set on a list query whose rows are too many to count (a text many cases carry): `paginate` reads its
# pages without a count.
UNCOUNTED = "jiefen_uncounted"
# Set on a list with a filter its order indexes carry (`_in_the_walk`): counted first, and read with the filter
# asked plainly (`filter_cases(few=True)`) when it has at most FEW_ROWS rows. The walk for a page of a list that
# few cases match reads most of the index (the county's cases closed late: ~35 ms of SQLite's CPU); reading those
# few cases through the filter's index and sorting them takes a few.
WALKED = "jiefen_walked"
FEW_ROWS = 500
# Set on a list of cases whose rows are known to be so many (the cases a text search found): not counted again.
COUNTED = "jiefen_counted"
STEP_ID = re.compile(r"^[A-Za-z_][A-Za-z0-9_.-]{0,99}$")


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
    # The filters a dashboard figure links to (the cases behind it); dates are local calendar days,
    # both ends included.
    community_id: int | None = None
    source: str | None = None
    outcomes: tuple[str, ...] = ()
    card: str | None = None
    step: str | None = None  # the BPMN id of a ready task
    on_time: bool | None = None
    opened_from: date | None = None
    opened_to: date | None = None
    closed_from: date | None = None
    closed_to: date | None = None

    @classmethod
    def from_args(cls, args, default_sort: str = "newest") -> "ListFilter":
        """Read a filter from query-string arguments: unknown choices are dropped; a number that is not
        one (or beyond what the database holds) is refused with 400 (input_guard.query_int)."""
        sort = args.get("sort") if args.get("sort") in CASE_SORTS else default_sort
        return cls(
            status=args.get("status") if args.get("status") in ("open", "closed") else None,
            tier=query_int(args, "tier", maximum=3),
            category_id=query_int(args, "category"),
            grid_id=query_int(args, "grid"),
            due_state=args.get("due") if args.get("due") in DUE_STATES else None,
            text=(args.get("q") or "").strip()[:100],
            sort=sort,
            page=query_int(args, "page", default=1),
            community_id=query_int(args, "community"),
            source=args.get("source") if args.get("source") in SOURCES else None,
            outcomes=tuple(value for value in OUTCOMES if value in args.getlist("outcome")),
            card=args.get("card") if args.get("card") in OUTSTANDING_CARDS else None,
            step=args.get("step") if STEP_ID.match(args.get("step") or "") else None,
            on_time={"yes": True, "no": False}.get(args.get("on_time")),
            opened_from=_date(args.get("opened_from")),
            opened_to=_date(args.get("opened_to")),
            closed_from=_date(args.get("closed_from")),
            closed_to=_date(args.get("closed_to")),
        )

    def args(self, **changes) -> dict:
        """Query-string arguments for this filter with `changes` applied (for page and sort links)."""
        value = replace(self, **changes)
        pairs = {"status": value.status, "tier": value.tier, "category": value.category_id,
                 "grid": value.grid_id, "due": value.due_state, "q": value.text or None,
                 "sort": value.sort, "page": value.page if value.page > 1 else None,
                 "community": value.community_id, "source": value.source, "outcome": list(value.outcomes) or None,
                 "card": value.card, "step": value.step,
                 "on_time": None if value.on_time is None else ("yes" if value.on_time else "no"),
                 "opened_from": value.opened_from, "opened_to": value.opened_to,
                 "closed_from": value.closed_from, "closed_to": value.closed_to}
        return {key: item.isoformat() if isinstance(item, date) else item
                for key, item in pairs.items() if item is not None}

    @property
    def narrowed(self) -> bool:
        """Whether a dashboard filter beyond the list's own bar is set (the page says so)."""
        return any((self.community_id, self.source, self.outcomes, self.card, self.step,
                    self.on_time is not None, self.opened_from, self.opened_to, self.closed_from, self.closed_to))


def due_state_condition(due_column, state: str):
    """SQL for a due state over a due-time column, with the boundaries of services/due_states.py."""
    now = clock.now()
    if state == "overdue":
        return due_column <= now
    if state == "due_soon":
        return and_(due_column > now, due_column <= now + DUE_SOON)
    return or_(due_column.is_(None), due_column > now + DUE_SOON)


def filter_cases(query: Select, wanted: ListFilter, few: bool = False) -> Select:
    """The filters of `wanted` added to a list's query; a caller's own filters go in before, since the text
    is searched last, in the light of the whole list (search.text_condition). A list with a filter its order
    indexes carry is marked WALKED; `few` (it was counted at most FEW_ROWS) asks those filters plainly."""
    walked = False

    def in_the_walk(condition):
        nonlocal walked
        walked = True
        return condition if few else _in_the_walk(condition)

    if wanted.status:
        query = query.where(in_the_walk(DisputeCase.status == wanted.status))
    if wanted.tier:
        query = query.where(in_the_walk(DisputeCase.tier == wanted.tier))
    if wanted.category_id:  # a top-level category matches its subcategories too
        category_ids = [wanted.category_id, *db.session.scalars(
            select(Category.id).where(Category.parent_id == wanted.category_id))]
        query = query.where(in_the_walk(DisputeCase.category_id.in_(category_ids)))
    if wanted.grid_id:
        query = query.where(DisputeCase.grid_id == wanted.grid_id)
    if wanted.community_id:
        query = query.where(DisputeCase.grid_id.in_(
            select(Grid.id).where(Grid.community_id == wanted.community_id).scalar_subquery()))
    if wanted.source:
        query = query.where(in_the_walk(DisputeCase.source == wanted.source))
    if wanted.outcomes:  # a case has an outcome once closed (mirror.py)
        query = query.where(in_the_walk(DisputeCase.outcome.in_(wanted.outcomes)))
    if wanted.card:
        query = query.where(DisputeCase.status == "open", DisputeCase.card == wanted.card)
    if wanted.step:
        query = query.where(DisputeCase.status == "open", exists().where(
            Task.case_id == DisputeCase.id, Task.state == "ready", Task.bpmn_id == wanted.step))
    if wanted.on_time is not None:
        query = query.where(in_the_walk(DisputeCase.on_time.is_(wanted.on_time)))
    for column, start, end in ((DisputeCase.opened_at, wanted.opened_from, wanted.opened_to),
                               (DisputeCase.closed_at, wanted.closed_from, wanted.closed_to)):
        if start:
            query = query.where(in_the_walk(column >= local_day_start(start)))
        if end:
            query = query.where(in_the_walk(column < local_day_start(end + timedelta(days=1))))
    if walked and not wanted.text:  # a search's list is read by its matches' ids, or walked uncounted
        query = query.execution_options(**{WALKED: True})
    if wanted.text:  # last: how to search depends on the list it searches
        condition, carrying = search.text_condition(query, wanted.text)
        query = query.where(condition)
        if carrying is None:
            query = query.execution_options(**{UNCOUNTED: True})
        elif query.column_descriptions[0]["entity"] is DisputeCase:  # a row a case: they are the rows
            query = query.execution_options(**{COUNTED: carrying})
    return query


def _in_the_walk(condition):
    """A filter the list's order indexes carry (models/dispute_case.py), told to SQLite as matching about half
    the cases (likelihood()): its page walks the order and checks the filter in each index entry, its count reads
    the index that leads with the filter. With no statistics, SQLite took any indexed filter as selective: the
    county's tier 2 was read and sorted whole for a page (26,000 cases, 134 ms of CPU at 100,000 cases). Told it
    is likely (likely()), the count too walked a whole order index (20-27 ms). PostgreSQL weighs it from its
    statistics."""
    return likelihood(condition, 0.5)


# The sort orders of the case list, each read in the order of an index of dispute_case (models/dispute_case.py):
# the next due time kept on the case row, not a subquery over tasks sorted in a temporary B-tree.
# Written out (no bound parameters) so that it is the very expression ix_dispute_case_urgency_order indexes.
CARD_RANK: ColumnClause[int] = literal_column("(CASE WHEN dispute_case.card = 'red' THEN 0 WHEN dispute_case.card = 'yellow' THEN 1 ELSE 2 END)")
CASE_ORDERS = {
    "due": (DisputeCase.next_due_at.is_(None), DisputeCase.next_due_at, DisputeCase.id),
    "urgency": (DisputeCase.violence_risk.desc(), CARD_RANK, DisputeCase.next_due_at.is_(None),
                DisputeCase.next_due_at, DisputeCase.id),
    "newest": (DisputeCase.opened_at.desc(), DisputeCase.id.desc()),
}


def local_day_start(day: date) -> datetime:
    """The instant a calendar day begins in the display time zone."""
    return datetime.combine(day, time(), ZoneInfo(current_app.config["DISPLAY_TIMEZONE"]))


def sort_cases(query: Select, sort: str) -> Select:
    return query.order_by(*CASE_ORDERS.get(sort, CASE_ORDERS["newest"]))


class RowPagination(SelectPagination):
    """Flask-SQLAlchemy's page of a select, whose items are its whole rows (tuples of every selected
    column) instead of the first column's values made unique (`db.paginate` takes `.unique().scalars()`)."""

    def _query_items(self) -> list:
        paged = self._query_args["select"].limit(self.per_page).offset(self._query_offset)
        return list(self._query_args["session"].execute(paged).all())


def paginate(query: Select, page: int, per_page: int = PAGE_SIZE, whole_rows: bool = False,
             few: Callable[[], Select] | None = None) -> Pagination:
    """One page of rows (of the first column, or `whole_rows`) and one count (Flask-SQLAlchemy's: count(*)
    over the query without its order) unless the query is marked COUNTED; a page past the end shows the last
    page. A query marked UNCOUNTED gets an UncountedPagination. A query marked WALKED is counted first and,
    with at most FEW_ROWS rows, the page is read from `few()` (the same list, its filters asked plainly).

    `page` has been checked already (input_guard.query_int: 1 to MAX_INT), so the offset stays within
    what a database takes."""
    if query.get_execution_options().get(UNCOUNTED):
        return UncountedPagination(select=query, session=db.session(), page=page, per_page=per_page,
                                   max_per_page=None, error_out=False, count=False)
    total = query.get_execution_options().get(COUNTED)
    few = few if query.get_execution_options().get(WALKED) else None  # only a walked list has a plainer way
    if page == 1 and total is None and few is None:
        return _page_of(query, page, per_page, whole_rows)
    if total is None:  # counted first, so that a page past the end is read once, as the last page
        total = db.session.execute(select(func.count()).select_from(
            query.options(lazyload("*")).order_by(None).subquery())).scalar_one()  # as Flask-SQLAlchemy counts
    if few is not None and total <= FEW_ROWS:
        query = few()
    if total == 0:  # counted empty: nothing to read (a walk would have read the whole order's index for it)
        query = query.where(false())
    found = _page_of(query, min(page, max(ceil(total / per_page), 1)), per_page, whole_rows, count=False)
    found.total = total
    return found


class UncountedPagination(SelectPagination):
    """A page of a list not counted, read by its keys first (such a list is walked, and its keys are found in the
    order's index alone): `total` is None and the pages known are those up to the next one, when a row past this
    page exists (one more key is read to know)."""

    def _query_items(self) -> list:
        query, session = self._query_args["select"], self._query_args["session"]
        keys = _page_keys(query, session, self.per_page + 1, self._query_offset)
        self.more = len(keys) > self.per_page
        return _rows_of(query, session, keys[:self.per_page])

    @property
    def pages(self) -> int:
        return self.page + 1 if self.more else self.page


class KeyedPagination(SelectPagination):
    """A deep page of a list of cases or tasks read by its keys first. Sorting the whole rows of a town's 12,000
    cases to skip to page 2,000 spilled PostgreSQL's sort to disk (126 ms; its keys alone: 29 ms)."""

    def _query_items(self) -> list:
        query, session = self._query_args["select"], self._query_args["session"]
        return _rows_of(query, session, _page_keys(query, session, self.per_page, self._query_offset))


def _page_keys(query: Select, session, limit: int, offset: int) -> list[int]:
    """The keys of a page of a list of cases or tasks, in the list's order: a sort of keys, or its order's index
    alone."""
    key = query.column_descriptions[0]["entity"].id
    return list(session.scalars(query.with_only_columns(key, maintain_column_froms=True).limit(limit).offset(offset)))


def _rows_of(query: Select, session, keys: list[int]) -> list:
    """The list's rows of these keys, in the list's order."""
    key = query.column_descriptions[0]["entity"].id
    return list(session.execute(query.where(key.in_(keys))).unique().scalars()) if keys else []


# From this many rows on, a page is read by its keys first (KeyedPagination); nearer the top a page is the
# database's top-N of the list, kept in memory.
KEYED_FROM = 1_000


def _page_of(query: Select, page: int, per_page: int, whole_rows: bool, count: bool = True) -> Pagination:
    if whole_rows:
        return RowPagination(select=query, session=db.session(), page=page, per_page=per_page,
                             max_per_page=None, error_out=False, count=count)
    if (page - 1) * per_page >= KEYED_FROM:
        return KeyedPagination(select=query, session=db.session(), page=page, per_page=per_page,
                               max_per_page=None, error_out=False, count=count)
    return db.paginate(query, page=page, per_page=per_page, max_per_page=None, error_out=False, count=count)


def _date(value) -> date | None:
    """A date filter (YYYY-MM-DD) of a year the app can hold; anything else is refused with 400."""
    if not value:
        return None
    try:
        parsed = date.fromisoformat(value)
    except (TypeError, ValueError):
        parsed = None
    if parsed is None or not 1970 <= parsed.year <= 2100:
        raise RefusedInputError(_("日期须为 1970 到 2100 年之间的 YYYY-MM-DD。"))
    return parsed
