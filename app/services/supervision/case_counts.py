"""The dashboard's counts kept as cases change: the `case_count` table (models/dispute_case.py CaseCount).

On the local day a case was opened it counts under its category, source and tier, and, once closed, under
the day it was closed on (the closure rate's cohort); on the day it was closed under "outcome|on_time|tier";
each in three areas: everywhere ("all"), its town and its grid. The step that opens, triages, recategorizes
or closes a case adds what the case counts for now and takes away what it counted for before
(`record_counts`), in the step's transaction, so the dashboard sums a few thousand rows of an area instead
of reading 86,000 cases. `rebuild_case_counts` (`flask case-counts rebuild`) counts them afresh from the
cases; `case_count_differences` (`flask case-counts check`) says where they disagree. A case's grid never
changes (no service moves a case), so its areas are looked up only when its counts change.
"""
from collections import Counter
from datetime import date, datetime
from functools import cache
from zoneinfo import ZoneInfo

from flask import current_app
from sqlalchemy import bindparam, delete, insert, select

from app.extensions import db
from app.models import CaseCount, Community, DisputeCase, Grid
from app.services.sql import insert_on_conflict
from app.services.transaction import transaction

Entry = tuple[date, str, str]  # (local day, what, key)
Row = tuple[str, int, str, str, date]  # (area, area_id, what, key, local day) as the table's key


def counted(case: DisputeCase) -> Counter[Entry]:
    """What the case counts for as it is now (without its areas)."""
    return _entries(case.opened_at, case.closed_at, case.category_id, case.source, case.tier, case.outcome,
                    case.on_time, ZoneInfo(current_app.config["DISPLAY_TIMEZONE"]))


def record_counts(case: DisputeCase, before: Counter[Entry] | None) -> None:
    """Helper (the step's transaction is the caller's): count the case as it is now instead of as it was
    (`before`, from `counted`; None for a case not counted yet)."""
    change = counted(case)
    change.subtract(before or Counter())
    changed = {entry: cases for entry, cases in change.items() if cases}
    if not changed:
        return
    town_id = db.session.execute(_town_statement(), {"grid_id": case.grid_id}).scalar_one()
    areas = (("all", 0), ("grid", case.grid_id), ("town", town_id))
    # Its rows in key order (one id per area) so that two steps never wait for each other's rows crosswise.
    rows = [dict(zip(_COLUMNS, (area, area_id, what, key, day, cases), strict=True)) for area, area_id in areas
            for (day, what, key), cases in sorted(changed.items(), key=lambda item: (item[0][1:], item[0][0]))]
    db.session.connection().execute(_upsert_statement(db.session.get_bind().dialect.name), rows)


@cache
def _town_statement():
    """The town of a grid (bound: grid_id). Built once, as the upsert below: building a statement of values
    per step cost more than running it."""
    return (select(Community.town_id).join(Grid, Grid.community_id == Community.id)
            .where(Grid.id == bindparam("grid_id")))


@cache
def _upsert_statement(dialect_name: str):
    """Add a row's cases to its count, the row made if new (run with the rows as parameters)."""
    statement = insert_on_conflict(CaseCount, dialect_name)
    return statement.on_conflict_do_update(index_elements=_COLUMNS[:-1],
                                           set_={"cases": CaseCount.cases + statement.excluded.cases})


_COLUMNS = ("area", "area_id", "what", "key", "day", "cases")


def recount() -> Counter[Row]:
    """Every row of the counts as the cases are now, counted afresh."""
    zone = ZoneInfo(current_app.config["DISPLAY_TIMEZONE"])
    rows: Counter[Row] = Counter()
    for (opened_at, closed_at, category_id, source, tier, outcome, on_time, grid_id,
         town_id) in db.session.execute(
            select(DisputeCase.opened_at, DisputeCase.closed_at, DisputeCase.category_id, DisputeCase.source,
                   DisputeCase.tier, DisputeCase.outcome, DisputeCase.on_time, DisputeCase.grid_id,
                   Community.town_id)
            .join(Grid, Grid.id == DisputeCase.grid_id).join(Community, Community.id == Grid.community_id)):
        for (day, what, key), cases in _entries(opened_at, closed_at, category_id, source, tier, outcome, on_time,
                                                zone).items():
            for area, area_id in (("all", 0), ("town", town_id), ("grid", grid_id)):
                rows[(area, area_id, what, key, day)] += cases
    return rows


def case_count_differences() -> dict[Row, tuple[int, int]]:
    """The rows whose kept count differs from a recount: {row: (kept, recounted)}."""
    kept = {(area, area_id, what, key, day): cases for area, area_id, what, key, day, cases
            in db.session.execute(select(*(getattr(CaseCount, column) for column in _COLUMNS)))}
    recounted = recount()
    return {row: (kept.get(row, 0), recounted.get(row, 0)) for row in kept.keys() | recounted.keys()
            if kept.get(row, 0) != recounted.get(row, 0)}


@transaction
def rebuild_case_counts() -> int:
    """Replace the kept counts by a recount of the cases (if a check finds them wrong); the rows written."""
    return count_all_cases()


def count_all_cases() -> int:
    """Helper: replace the kept counts by a recount (after bulk inserts that bypass the services, e.g. demo
    history and the benchmark's copies); the rows written."""
    rows = recount()
    db.session.execute(delete(CaseCount))
    if rows:
        # In key order, so that the rows of an area lie together in PostgreSQL's heap too.
        db.session.execute(insert(CaseCount), [dict(zip(_COLUMNS, (*row, cases), strict=True))
                                               for row, cases in sorted(rows.items())])
    return len(rows)


def _entries(opened_at: datetime, closed_at: datetime | None, category_id: int | None, source: str,
             tier: int | None, outcome: str | None, on_time: bool | None, zone: ZoneInfo) -> Counter[Entry]:
    opened = opened_at.astimezone(zone).date()
    entries = Counter([(opened, "category", _key(category_id)), (opened, "source", source),
                       (opened, "tier", _key(tier))])
    if closed_at is not None:
        closed = closed_at.astimezone(zone).date()
        entries[(closed, "closed", f"{outcome or ''}|{_key(on_time)}|{_key(tier)}")] += 1
        entries[(opened, "closed_on", closed.isoformat())] += 1
    return entries


def _key(value: int | bool | None) -> str:
    return "" if value is None else str(int(value))
