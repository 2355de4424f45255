"""Every list query reads dispute_case through an index: the plan (SQLite EXPLAIN QUERY PLAN, PostgreSQL
EXPLAIN with sequential scans priced out, so a plan that still has one has no index to use) of each SQL
statement a list runs never scans the case table in full. At 100,000 cases such a scan costs seconds."""
import re
from dataclasses import replace
from datetime import timedelta
from unittest.mock import patch
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import event, select, text

from app.extensions import db
from app.models import Category, DisputeCase, Task
from app.models.dispute_case import LIST_FILTERS
from app.services.cases import lists as listing
from app.services.cases import registry as cases
from app.services.cases import search, tasks
from app.services.cases.lists import ListFilter
from app.services.supervision import dashboard
from app.services.supervision import lists as supervision
from app.services.time_limits import clock as jiefen_clock
from app.services.time_limits.timers import fire_due_timers
from tests import factories as f
from tests.shared_rows import shared


def statements_of(call) -> list[tuple[str, object]]:
    seen = []

    def record(conn, cursor, statement, parameters, context, executemany):
        seen.append((statement, parameters))

    event.listen(db.engine, "before_cursor_execute", record)
    try:
        call()
    finally:
        event.remove(db.engine, "before_cursor_execute", record)
    return [(sql, params) for sql, params in seen if sql.lstrip().upper().startswith(("SELECT", "WITH"))]


def plan_lines(statement: str, parameters, price_out_seq_scans: bool = True) -> list[str]:
    """The statement's plan: SQLite's EXPLAIN QUERY PLAN, or PostgreSQL's EXPLAIN, by default with
    sequential scans priced out (so a plan that still has one has no index to use; on the tests' few rows
    PostgreSQL would otherwise scan every table)."""
    connection = db.session.connection()
    if db.engine.dialect.name == "sqlite":
        return [row[-1] for row in connection.exec_driver_sql(f"EXPLAIN QUERY PLAN {statement}", parameters)]
    connection.execute(text(f"SET LOCAL enable_seqscan = {'off' if price_out_seq_scans else 'on'}"))
    return [row[0] for row in connection.exec_driver_sql(f"EXPLAIN {statement}", parameters)]


def case_table_reads(lines: list[str]) -> list[str]:
    """The plan lines that read dispute_case (under its name or an alias), not those that only name its columns."""
    return [line for line in lines if re.search(r"\b(SCAN|SEARCH) dispute_case\b|\bon dispute_case\b", line)]


def by_primary_key(plan_line: str, alias: str) -> bool:
    """The plan line reads dispute_case as `alias`, row by row through its primary key."""
    return bool(re.search(rf"SEARCH {alias} USING INTEGER PRIMARY KEY|Index Scan using pk_dispute_case on dispute_case"
                          rf" {alias}\b", plan_line))


def full_scans_of_the_case_table(statement: str, parameters, price_out_seq_scans: bool = True) -> list[str]:
    lines = plan_lines(statement, parameters, price_out_seq_scans)
    if db.engine.dialect.name == "sqlite":
        return [line for line in lines if line.startswith("SCAN dispute_case") and "INDEX" not in line]
    return [line for line in lines if "Seq Scan on dispute_case" in line]


@shared("cases_of_every_kind")
def _cases_of_every_kind(rows, request):
    """Open cases at several steps, carded ones, and a closed one; the time four days on."""
    clock = request.getfixturevalue("clock")
    world = f.world_of(rows.value("world"))
    for triage in (f.TRIAGE_L1, f.TRIAGE_L2, f.TRIAGE_L3, f.TRIAGE_RISK):
        f.step(world, f.open_case(world), "triage_case", triage)
    f.open_case(world)
    closed = f.open_case(world)
    f.step(world, closed, "triage_case", f.TRIAGE_RISK)
    f.step(world, closed, "handle_violence_risk", f.POLICE_TAKEN_OVER)
    clock.shift(timedelta(days=4))
    fire_due_timers()
    return jiefen_clock.now()


@pytest.fixture
def cases_of_every_kind(world, clock, _database):
    """The cases of _cases_of_every_kind (shared: tests/shared_rows.py), the clock where it left it; the world."""
    clock.move_to(_database.value("cases_of_every_kind"))
    return world


def list_calls(world) -> dict:
    family = db.session.scalar(select(Category.id).where(Category.code == "family"))
    calls = {"my tasks": lambda: tasks.list_my_tasks(world["grid_worker"])}
    for role in ("admin", "dispatcher", "mediator", "grid_worker", "supervisor"):
        actor = world[role]
        calls[f"team tasks ({role})"] = lambda a=actor: tasks.list_team_tasks(a)
        for name, wanted in {
            "newest": ListFilter(), "sort=due": ListFilter(sort="due"), "sort=urgency": ListFilter(sort="urgency"),
            "status=open&sort=urgency": ListFilter(status="open", sort="urgency"),
            "status=open&sort=due": ListFilter(status="open", sort="due"),
            "due=overdue": ListFilter(due_state="overdue"), "due=due_soon": ListFilter(due_state="due_soon"),
            "category=family": ListFilter(category_id=family), "tier=2": ListFilter(tier=2),
            "grid": ListFilter(grid_id=world.grid.id), "page=2000": ListFilter(page=2000),
            "text search": ListFilter(text="噪音"),
        }.items():
            calls[f"cases {name} ({role})"] = lambda a=actor, w=wanted: cases.list_cases(a, w)
        for sort in ("newest", "due", "urgency"):  # a term many cases carry: the list's order walked
            calls[f"cases text search, many matches, sort={sort} ({role})"] = many_matches(
                lambda a=actor, s=sort: cases.list_cases(a, ListFilter(text="噪音", sort=s)))
        calls[f"team tasks text search, many matches ({role})"] = many_matches(
            lambda a=actor: tasks.list_team_tasks(a, ListFilter(text="噪音")))
    for kind in supervision.KINDS:
        for role in ("supervisor", "admin"):
            calls[f"supervision {kind} ({role})"] = lambda k=kind, r=role: supervision.supervision_page(world[r], k)
    calls["supervision weekly CSV"] = lambda: supervision.supervision_csv(world["supervisor"], "weekly",
                                                                          ZoneInfo("Asia/Shanghai"))
    return calls


def many_matches(call):
    """The call with every text taken as carried by many cases (search.DENSE_MATCHES 0)."""
    def walked():
        with patch.object(search, "DENSE_MATCHES", 0):
            return call()
    return walked


def test_no_list_scans_the_case_table(cases_of_every_kind):
    world = cases_of_every_kind
    scans = {}
    for name, call in list_calls(world).items():
        for statement, parameters in statements_of(call):
            found = full_scans_of_the_case_table(statement, parameters)
            if found:
                scans[name] = (found, statement)
        db.session.rollback()
    assert scans == {}


def test_the_lists_find_what_they_should(cases_of_every_kind):
    """The index-backed orders and filters still mean what they say."""
    world = cases_of_every_kind
    admin = world["admin"]
    by_due = cases.list_cases(admin, ListFilter(sort="due")).items
    dues = [case.next_due_at for case in by_due if case.next_due_at is not None]
    assert dues == sorted(dues) and by_due[-1].next_due_at is None  # closed (no due time) last
    urgent = cases.list_cases(admin, ListFilter(status="open", sort="urgency")).items
    assert urgent[0].violence_risk and all(case.status == "open" for case in urgent)
    assert {case.card for case in urgent} >= {"yellow"}
    weekly = supervision.supervision_page(world["supervisor"], "weekly")
    assert weekly.total >= 4 and {row.card for row in weekly.items} == {"yellow"}


@pytest.mark.parametrize("role", ["admin", "supervisor"])
def test_a_supervision_list_is_counted_without_its_names(cases_of_every_kind, role):
    """A supervision list is counted over its cases and their current steps only: the grid and the handler name
    a row and never add one. Counted through them, the county's weekly list (SQLite, 100,000 cases) joined each
    of its 3,300 rows to both. The count is still the list's length."""
    actor = cases_of_every_kind[role]
    for kind in supervision.KINDS:
        statements = statements_of(lambda k=kind: supervision.supervision_page(actor, k))
        counts = [sql for sql, _params in statements if "count(" in sql.lower()]
        assert len(counts) == 1 and "grid.id = dispute_case.grid_id" not in counts[0] and "user_account" not in counts[0], counts
        page = supervision.supervision_page(actor, kind)
        assert page.total == len(supervision.supervision_list(actor, kind)) == len(page.items), kind


def test_the_check_sees_a_full_scan(cases_of_every_kind):
    """A filter no index serves (on the description's length) is reported. PostgreSQL is asked with
    sequential scans allowed: priced out, it reads the primary-key index in full instead, and the list
    checks catch only a plan with no index at all there."""
    assert full_scans_of_the_case_table("SELECT id FROM dispute_case WHERE length(description) > 3", (),
                                        price_out_seq_scans=False)


@pytest.mark.parametrize("index", ["ix_dispute_case_opened_at", "ix_dispute_case_due_order",
                                   "ix_dispute_case_urgency_order"])
def test_the_orders_indexes_carry_the_grid_and_the_filters(app, index):
    """A town's list walks its order's index keeping the town's cases: with the grid after the order's keys, each
    case is kept or passed without reading its row (a dispatcher's page 400 at 100,000 cases: ~290 → ~35 ms
    of SQLite's CPU). The newest-first index carries the id, that order's second key, before it. The filters a
    dashboard figure links to follow: a filtered list's walk checks them in the index's entries, not in the rows
    (the county's page of a filter matching none, walked in full: 426 → 16 ms of SQLite's CPU)."""
    if db.engine.dialect.name == "postgresql":
        definition = db.session.scalar(text("SELECT indexdef FROM pg_indexes WHERE indexname = :name"), {"name": index})
    else:
        definition = db.session.scalar(text("SELECT sql FROM sqlite_master WHERE name = :name"), {"name": index})
    assert f",id,grid_id,{','.join(LIST_FILTERS)}" in definition.replace(" ", ""), definition


@pytest.mark.sqlite
@pytest.mark.parametrize("role", ["admin", "dispatcher"])
def test_the_team_tasks_are_read_in_their_order(cases_of_every_kind, role):
    """The team's tasks by due time walk ix_task_ready_order, not a sort of every ready task (the county's 5,000
    at 100,000 cases: the admin's page 80 → 12 ms of SQLite's CPU), and are counted in it, not through the index
    of every case's tasks. PostgreSQL weighs it from its statistics (marker `sqlite`)."""
    statements = statements_of(lambda: tasks.list_team_tasks(cases_of_every_kind[role]))
    page = next(plan_lines(sql, params) for sql, params in statements if " LIMIT " in sql and "FROM task" in sql)
    assert any("ix_task_ready_order" in line for line in page) and not any("TEMP B-TREE" in line for line in page), page
    count = next(plan_lines(sql, params) for sql, params in statements if "count(*)" in sql and "FROM task" in sql)
    assert not any("ix_task_case_state" in line for line in count), count


@pytest.mark.parametrize("role", ["admin", "dispatcher", "grid_worker"])
def test_ready_tasks_are_listed_without_reading_their_cases_unless_asked(cases_of_every_kind, role):
    """The team's and my tasks carry their case's grid, so a reader's area is asked of the task alone, and the case
    is joined (outer: every task has its case) only for what a list filters on. PostgreSQL had counted the
    county's 5,000 ready tasks joining each to its case (21 ms) and hashed a town's 12,500 cases for its page
    (10 ms); now neither reads a case. SQLite leaves the unused join out of the page; its count probes each
    task's case by rowid. A reader of routed cases still has each case's routes checked. The page's own rows bring
    their cases and grids in the same statement (by primary key, as `dispute_case_1`), not in two more."""
    world = cases_of_every_kind
    for listed in (tasks.list_team_tasks, tasks.list_my_tasks):
        statements = statements_of(lambda: listed(world[role]))
        page = next((sql, params) for sql, params in statements if " LIMIT " in sql and "FROM task" in sql)
        count = next((sql, params) for sql, params in statements if "count(*)" in sql and "FROM task" in sql)
        assert "dispute_case.grid_id" not in page[0] + count[0], (page, count)  # the area asked of the task
        read = [line for sql, params in (page, count) if db.engine.dialect.name == "postgresql" or sql == page[0]
                for line in case_table_reads(plan_lines(sql, params, price_out_seq_scans=False))]
        assert [line for line in read if not by_primary_key(line, "dispute_case_1")] == [], (read, page, count)
        loaded_apart = [sql for sql, _params in statements
                        if re.search(r"\bFROM\s+(dispute_case|grid\s+WHERE\s+grid\.id\s+IN)\b", sql)]
        assert loaded_apart == [], loaded_apart
    mediator = statements_of(lambda: tasks.list_team_tasks(world["mediator"]))
    count = next(sql for sql, _params in mediator if "count(*)" in sql and "FROM task" in sql)
    assert "case_route" in count  # the mediator's routes, asked of the case
    cases_and_tasks = db.session.execute(select(Task.grid_id, DisputeCase.grid_id).join(
        DisputeCase, DisputeCase.id == Task.case_id)).all()
    assert cases_and_tasks and all(task_grid == case_grid for task_grid, case_grid in cases_and_tasks)


@pytest.mark.parametrize("role", ["dispatcher", "grid_worker", "mediator"])
def test_a_task_lists_area_is_its_grids_bound_on_postgresql(cases_of_every_kind, role):
    """On PostgreSQL a task list asks its reader's area as the grids' ids, bound: asked as a subquery, a town's
    "my tasks" walked the county's ready tasks in their order joining each to its grid and community (the page
    39 -> 12 ms at 100,000 cases). SQLite keeps the subquery, whose grids it reads in the index entries."""
    postgresql = db.engine.dialect.name == "postgresql"
    for listed in (tasks.list_team_tasks, tasks.list_my_tasks):
        statements = [sql for sql, _params in statements_of(lambda: listed(cases_of_every_kind[role]))
                      if "FROM task" in sql and "WHERE task.state" in sql]
        assert statements, listed
        for sql in statements:
            bound, subquery = "task.grid_id = ANY (" in sql, "task.grid_id IN (SELECT" in sql
            assert (bound, subquery) == (postgresql, not postgresql), sql


@pytest.mark.parametrize("role", ["dispatcher", "supervisor", "mediator"])
def test_a_case_lists_area_is_its_grids_bound_on_postgresql(cases_of_every_kind, role):
    """On PostgreSQL every case list asks its reader's area as the grids' ids, bound, as the task lists do. Asked
    as a subquery, PostgreSQL drove a town's lists from its 212 grids, reading each grid's cases: the town's weekly
    list 61 -> 29-39 ms, its dashboard 190 -> 120 ms at 100,000 cases. SQLite keeps the subquery."""
    postgresql = db.engine.dialect.name == "postgresql"
    actor = cases_of_every_kind[role]
    calls = [lambda: cases.list_cases(actor, ListFilter()), lambda: cases.list_cases(actor, ListFilter(text="纠纷"))]
    if role == "supervisor":
        calls += [lambda k=kind: supervision.supervision_page(actor, k) for kind in supervision.KINDS]
    for call in calls:
        statements = [sql for sql, _params in statements_of(call) if re.search(r"\bFROM dispute_case\b", sql)
                      and not re.search(r"WHERE (0 = 1|false)\b", sql)]  # a list counted empty is not read
        assert statements
        for sql in statements:
            bound, subquery = "dispute_case.grid_id = ANY (" in sql, "dispute_case.grid_id IN (SELECT" in sql
            assert (bound, subquery) == (postgresql, not postgresql), sql


@pytest.mark.parametrize("role", ["admin", "supervisor"])
def test_the_weekly_list_reads_each_half_in_its_index(cases_of_every_kind, role):
    """The weekly list's two halves (carded and open; carded in the last seven days) are read each in its own
    index, as a union, with the reader's area in each; PostgreSQL asked the OR for a town read each of its grids'
    cases (count and page 24 ms each, against 9.5 ms each). The county's, with no area, PostgreSQL ORs itself."""
    statements = statements_of(lambda: supervision.supervision_page(cases_of_every_kind[role], "weekly"))
    counted = next(sql for sql, _params in statements if "count(" in sql.lower())
    union = " UNION " in counted
    assert union == (role == "supervisor" or db.engine.dialect.name == "sqlite"), counted
    if union and role == "supervisor":
        assert counted.split(" UNION ")[1].count("grid_id") == 1, counted  # the area in the second half too


@pytest.mark.sqlite
@pytest.mark.parametrize("sort, index", [("newest", "ix_dispute_case_opened_at"), ("due", "ix_dispute_case_due_order"),
                                         ("urgency", "ix_dispute_case_urgency_order")])
def test_a_towns_case_list_is_read_in_its_sorts_order(cases_of_every_kind, sort, index):
    """A dispatcher's page is found walking the sort's index and keeping the town's cases (an eighth of the
    county: a page within a few hundred rows), not by reading all the town's cases and sorting them in a
    temporary B-tree (12,000 at 100,000 cases). On SQLite, told so (likely()); PostgreSQL weighs it from its
    statistics, so the PostgreSQL run leaves this out (marker `sqlite`)."""
    statements = statements_of(lambda: cases.list_cases(cases_of_every_kind["dispatcher"], ListFilter(sort=sort)))
    page = next(plan_lines(sql, params) for sql, params in statements if " LIMIT " in sql)
    assert any(index in line for line in page) and not any("TEMP B-TREE" in line for line in page), page


def dashboard_filters() -> dict[str, ListFilter]:
    """The filters a figure of the dashboard links to (the cases behind it), and those of the list's own form."""
    category = db.session.scalar(select(Category.id).where(Category.code == f.TRIAGE_L1["category"]))
    today = jiefen_clock.now().date()
    closed_in = ListFilter(closed_from=today - timedelta(days=365), closed_to=today)
    return {
        "category": ListFilter(category_id=category), "tier": ListFilter(tier=2), "source": ListFilter(source="walk_in"),
        "status=closed": ListFilter(status="closed"), "closed in a year": closed_in,
        "opened in a year": ListFilter(opened_from=today - timedelta(days=365), opened_to=today),
        "closed on time": replace(closed_in, on_time=True), "taken over": replace(closed_in, outcomes=("transferred_to_police",)),
    }


@pytest.mark.sqlite
@pytest.mark.parametrize("sort, index", [("newest", "ix_dispute_case_opened_at"), ("due", "ix_dispute_case_due_order"),
                                         ("urgency", "ix_dispute_case_urgency_order")])
@pytest.mark.parametrize("role", ["admin", "dispatcher"])
def test_a_filtered_list_walks_its_order_and_counts_in_an_index(cases_of_every_kind, sort, index, role):
    """A filter a dashboard figure links to (a category, a tier, the cases closed in a year), on a list of more than
    FEW_ROWS cases, is checked in each entry of the sort's index, which carries it, and the list is counted in an
    index that leads with the filter. SQLite (no statistics) took any indexed filter as selective: the county's
    tier 2 was read and sorted whole for a page (26,000 cases, 134 ms of CPU at 100,000 cases). PostgreSQL weighs
    it from its statistics (marker `sqlite`)."""
    actor = cases_of_every_kind[role]
    for name, wanted in dashboard_filters().items():
        with patch.object(listing, "FEW_ROWS", -1):  # as if every list were long
            statements = statements_of(lambda w=wanted: cases.list_cases(actor, replace(w, sort=sort)))
        count = next(plan_lines(sql, params) for sql, params in statements if "count(*)" in sql)
        assert not any(line.startswith("SCAN dispute_case") for line in count), (name, count)
        sql, params = next((sql, params) for sql, params in statements if " LIMIT " in sql)
        if "WHERE 0 = 1" in sql:  # counted empty, not read (the next test)
            continue
        page = plan_lines(sql, params)
        assert any(index in line for line in page) and not any("TEMP B-TREE" in line for line in page), (name, page)


@pytest.mark.sqlite
@pytest.mark.parametrize("role", ["admin", "dispatcher"])
def test_a_short_filtered_list_is_read_through_its_filter(cases_of_every_kind, role):
    """A filtered list counted at most FEW_ROWS is read through its filter's index and sorted, not walked: a walk
    for a page of the few cases closed late reads most of the order's index (the county's, none of them late: 465 ms
    of SQLite's CPU). Both ways find the same page; a list counted empty is not read at all."""
    actor = cases_of_every_kind[role]
    for name, wanted in dashboard_filters().items():
        for sort in ("newest", "due", "urgency"):
            statements = statements_of(lambda w=replace(wanted, sort=sort): cases.list_cases(actor, w))
            few = cases.list_cases(actor, replace(wanted, sort=sort))
            with patch.object(listing, "FEW_ROWS", -1):
                walked = cases.list_cases(actor, replace(wanted, sort=sort))
            assert [case.id for case in few.items] == [case.id for case in walked.items], (name, sort)
            assert few.total == walked.total
            pages = [sql for sql, _ in statements if " LIMIT " in sql]
            if few.total == 0:
                assert all("WHERE 0 = 1" in sql for sql in pages), (name, pages)
                continue
            assert few.total <= listing.FEW_ROWS
            plan = plan_lines(pages[0], next(params for sql, params in statements if sql == pages[0]))
            assert not any(line.startswith("SCAN dispute_case") for line in plan), (name, sort, plan)
    filters = dashboard_filters()
    assert all(cases.list_cases(actor, filters[name]).total > 0 for name in ("category", "taken over", "tier"))
    assert cases.list_cases(actor, filters["source"]).total == 0  # the empty list, tried too


@pytest.mark.sqlite
def test_the_dashboards_percentiles_walk_the_times_to_close(cases_of_every_kind):
    """Each percentile is read at its position walking (tier, close_seconds, closed_at, grid_id), the period checked
    in each entry, not by sorting the tier's closed cases of the period in a temporary B-tree per position (16
    sorts of up to 22,000 cases for the county at 100,000 cases: 175 → 20 ms of SQLite's CPU). SQLite chose the sort
    with the statistics of that county (ANALYZE: four tiers, few times to close each), given here and rolled back
    with the test. PostgreSQL walks it from its own statistics (marker `sqlite`)."""
    admin = cases_of_every_kind["admin"]
    db.session.execute(text("ANALYZE ix_dispute_case_tier_close_seconds"))
    db.session.execute(text("UPDATE sqlite_stat1 SET stat = '100012 25003 12502 1 1' "
                            "WHERE idx = 'ix_dispute_case_tier_close_seconds'"))
    db.session.execute(text("ANALYZE sqlite_schema"))  # reads the statistics afresh
    statements = statements_of(lambda: dashboard.build_dashboard(admin, dashboard.default_period(dashboard.today())))
    percentiles = [plan_lines(sql, params) for sql, params in statements if "close_seconds" in sql]
    assert percentiles, "no closed case in the period: nothing measured"
    for plan in percentiles:
        walks = [line for line in plan if "ix_dispute_case_tier_close_seconds" in line]
        assert walks and not any("TEMP B-TREE" in line for line in plan), plan


@pytest.mark.sqlite
@pytest.mark.parametrize("role", ["admin", "supervisor"])
def test_the_weekly_list_reads_its_cases_from_the_card_indexes(cases_of_every_kind, role):
    """The weekly list's cases (open and carded, or carded in the last seven days) are found through the two card
    indexes: asked as one OR, SQLite walked every case of every grid in the list's order (the county's weekly page
    at 100,000 cases: ~450 → ~55 ms of CPU, and ~400 ms when no case is carded). Each index carries the grid, and
    the reader's area is kept there (a town's page 51 → 28 ms), not by reading the area's grids. PostgreSQL weighs
    it from its statistics (marker `sqlite`)."""
    statements = statements_of(lambda: supervision.supervision_page(cases_of_every_kind[role], "weekly"))
    for sql, params in statements:
        if "FROM dispute_case" not in sql:
            continue
        plan = "\n".join(plan_lines(sql, params))
        assert "COVERING INDEX ix_dispute_case_status_card" in plan and "COVERING INDEX ix_dispute_case_card_raised_at" \
            in plan, plan  # the area kept in each index's entries, not in the rows
        assert "ix_dispute_case_grid_opened" not in plan and "(grid_id=?)" not in plan, plan
        if role == "supervisor":  # a town's: its carded cases found in the index, the town's grids in its entries
            assert "ix_dispute_case_status_card (status=? AND card=? AND grid_id=?)" in plan, plan


@pytest.mark.parametrize("role", ["mediator", "panel_member"])
def test_a_routed_readers_area_is_checked_before_their_routes(cases_of_every_kind, role):
    """A reader of routed cases walking a list in its order: each case's grid is checked (in the index entry)
    before its routes are probed. On PostgreSQL the area is bound as the grids' ids: as a subquery it was joined
    after the walk, and a panel member's "12" by urgency probed the routes of 29,616 cases of the county for 126
    in the town (110 → 49 ms at 100,000 cases). SQLite builds the area's list first as it is."""
    statements = statements_of(lambda: cases.list_cases(cases_of_every_kind[role], ListFilter(sort="urgency")))
    page = next(plan_lines(sql, params) for sql, params in statements if " LIMIT " in sql)
    if db.engine.dialect.name == "postgresql":
        assert any("grid_id = ANY" in line for line in page), page  # on the case table's own scan
        assert not any(" on grid" in line or " on community" in line or "mediation_room_grid" in line
                       for line in page), page  # not joined to it after the walk
    else:
        assert not any("SCAN grid" in line or "SCAN community" in line for line in page), page


def test_a_walked_searchs_page_is_found_in_the_order_index_alone(cases_of_every_kind):
    """A search many cases match walks the list's order: its page's keys are found in the order's index alone (the
    grid, the card, who opened the case are in it), then those rows are read. Read whole, PostgreSQL fetched the row
    of every entry it passed: a panel member's "12" by urgency passed 29,903 of the county's cases for 26 (41 → 25
    ms at 100,000 cases). (A mediator's room, a few grids, is read through the grids' index on SQLite.)"""
    reader = cases_of_every_kind["panel_member"]
    with patch.object(search, "DENSE_MATCHES", 0):
        statements = statements_of(lambda: cases.list_cases(reader, ListFilter(text="噪音", sort="urgency")))
    keys = next((sql, params) for sql, params in statements if sql.startswith("SELECT dispute_case.id \nFROM")
                and " LIMIT " in sql)
    if db.engine.dialect.name == "postgresql":  # on a few rows PostgreSQL would sort them: sorts priced out
        db.session.execute(text("SET LOCAL enable_sort = off"))
    plan = plan_lines(*keys)
    walked = next(line for line in plan if "ix_dispute_case_urgency_order" in line)
    assert ("COVERING INDEX" in walked if db.engine.dialect.name == "sqlite" else "Index Only Scan" in walked), plan
    rows = [sql for sql, _ in statements if sql.startswith("SELECT dispute_case.id, dispute_case.number")]
    assert len(rows) == 1 and ("dispute_case.id IN" in rows[0] or "dispute_case.id = ANY" in rows[0]), rows


@pytest.mark.sqlite
@pytest.mark.parametrize("role", ["mediator", "panel_member"])
def test_a_routed_readers_list_is_counted_in_an_index_alone(cases_of_every_kind, role):
    """A reader of routed cases sees the area's cases routed to their role or opened by them: the area's cases are
    counted in the index of grids and opening times, which carries who opened each case, then each one's routes
    probed. Read through the rows, PostgreSQL fetched the row of each of a room's 3,203 cases (a mediator's list
    counted in 39 → 16 ms at 100,000 cases, where it chose the index alone). On the tests' few rows PostgreSQL's
    choice is any index, and it cannot be asked for an index-only scan alone (marker `sqlite`)."""
    statements = statements_of(lambda: cases.list_cases(cases_of_every_kind[role], ListFilter(page=2)))
    count = next((sql, params) for sql, params in statements if "count(*)" in sql)
    reads = [line for line in plan_lines(*count) if line.startswith(("SEARCH dispute_case", "SCAN dispute_case"))]
    assert reads and all("COVERING INDEX" in line for line in reads), reads


def test_a_filtered_search_runs_its_search_once(cases_of_every_kind):
    """A search with a filter its order indexes carry is read by its matches' ids (or walked uncounted), never
    built again with the filter asked plainly: that ran the search's own queries a second time."""
    wanted = replace(dashboard_filters()["category"], text="噪音")
    statements = statements_of(lambda: cases.list_cases(cases_of_every_kind["admin"], wanted))
    searches = [sql for sql, _ in statements if "case_search" in sql and "dispute_case" not in sql]
    assert searches and len(searches) == len(set(searches)), searches
