"""The task and case lists: filters, search, sorting and pages — all in SQL."""
import re
from contextlib import contextmanager
from datetime import timedelta

import pytest
from sqlalchemy import event, select

from app.extensions import db
from app.models import Category, DisputeCase, Task
from app.services.cases import lists as listing
from app.services.cases import registry as cases
from app.services.cases import tasks
from app.services.cases.lists import PAGE_SIZE, ListFilter
from tests import factories as f


def category_id(code: str) -> int:
    return db.session.scalar(select(Category.id).where(Category.code == code))


def open_in(world, title, grid=None, category="neighbour", actor=None):
    grid = grid or world.grid
    return cases.open_case(actor or world["grid_worker"], cases.NewCase(
        title=title, source="grid_patrol", category_id=category_id(category), grid_id=grid.id))


def numbers(page):
    return [case.number for case in page.items]


@contextmanager
def counted_queries():
    statements = []

    def count(_connection, _cursor, statement, *_args):
        statements.append(statement)

    event.listen(db.engine, "before_cursor_execute", count)
    try:
        yield statements
    finally:
        event.remove(db.engine, "before_cursor_execute", count)


def test_cases_come_in_pages_of_25_with_links(client, auth, world, clock):
    opened = []
    for index in range(PAGE_SIZE + 2):
        opened.append(open_in(world, f"纠纷{index:02d}"))
        clock.shift(timedelta(minutes=1))
    first = cases.list_cases(world["dispatcher"])
    assert (first.total, first.pages, len(first.items)) == (27, 2, 25)
    assert numbers(first)[0] == opened[-1].number  # newest first
    second = cases.list_cases(world["dispatcher"], ListFilter(page=2))
    assert numbers(second) == [opened[1].number, opened[0].number]
    assert cases.list_cases(world["dispatcher"], ListFilter(page=99)).page == 2
    auth.login("dispatcher")
    page = client.get("/cases/?page=2").get_data(as_text=True)
    assert "共 27 条，第 2 / 2 页" in page and 'data-testid="page-prev"' in page
    assert page.count('data-testid="case-row"') == 2


def test_the_pager_shows_the_edges_and_two_pages_either_side(app, world, clock):
    for index in range(12):
        open_in(world, f"纠纷{index:02d}")
    pager = app.jinja_env.get_template("_lists.html").module.pager
    with app.test_request_context("/cases/"):
        found = listing.paginate(cases.filtered_cases(world["dispatcher"], ListFilter()), 6, per_page=1)
        html = str(pager("cases.index", found, ListFilter(page=6)))
    assert (found.page, found.pages, found.total, found.has_prev, found.has_next) == (6, 12, 12, True, True)
    links = re.findall(r'data-testid="page-(link|current)">(\d+)<', html)
    assert [int(number) for _kind, number in links] == [1, 2, 4, 5, 6, 7, 8, 11, 12]
    assert ("current", "6") in links and html.count("…") == 2
    assert 'page=5" data-testid="page-prev"' in html and 'page=7" data-testid="page-next"' in html


def test_an_empty_list_is_page_1_of_1(client, auth, world, clock):
    auth.login("dispatcher")
    page = client.get("/cases/?page=7").get_data(as_text=True)
    assert "共 0 条，第 1 / 1 页" in page and 'data-testid="page-prev"' not in page


def test_whole_rows_keep_every_row_of_a_case_and_a_page_past_the_end_is_the_last(world, clock):
    """Supervision lists page rows of (case, step): two rows of one case stay two, in their order."""
    case = open_in(world, "楼上噪音")
    f.step(world, case, "triage_case", f.TRIAGE_L2)
    query = (select(DisputeCase, Task.bpmn_id).join(Task, Task.case_id == DisputeCase.id)
             .where(DisputeCase.id == case.id).order_by(Task.id))
    rows = listing.paginate(query, 1, whole_rows=True).items
    assert len(rows) >= 2 and {row[0].id for row in rows} == {case.id} and rows[0][1] == "triage_case"
    last = listing.paginate(query, 2147483647, per_page=1, whole_rows=True)
    assert (last.page, last.total, last.items) == (len(rows), len(rows), [rows[-1]])
    assert listing.paginate(query, 1).items == [case]  # without whole rows: the cases, each once


@pytest.mark.parametrize("sort", ["newest", "due", "urgency"])
def test_a_deep_page_is_read_by_its_keys_and_holds_the_same_rows(world, clock, monkeypatch, sort):
    """From KEYED_FROM rows on, a page's keys are read in the list's order and then their rows (PostgreSQL sorted
    a town's whole rows to disk for page 2,000): the same cases in the same order, page by page; a page past the
    end is counted first and read once, as the last page."""
    for index in range(7):
        case = open_in(world, f"纠纷{index:02d}")
        if index % 2:
            f.step(world, case, "triage_case", f.TRIAGE_L2 if index % 3 else f.TRIAGE_RISK)
        clock.shift(timedelta(minutes=3))

    def pages():
        listed = cases.filtered_cases(world["dispatcher"], ListFilter(sort=sort))
        return [[case.id for case in listing.paginate(listed, page, per_page=2).items] for page in range(1, 6)]

    def team_tasks():
        return [task.id for task in tasks.list_team_tasks(world["dispatcher"], ListFilter(sort=sort)).items]

    plain, plain_tasks = pages(), team_tasks()
    assert sum(map(len, plain[:4])) == 7 and plain[4] == plain[3]  # page 5 is past the end: the last page
    monkeypatch.setattr(listing, "KEYED_FROM", 2)  # page 2 on
    assert pages() == plain
    monkeypatch.setattr(listing, "KEYED_FROM", 0)  # every page, the task lists' too
    assert team_tasks() == plain_tasks and len(plain_tasks) >= 7
    with counted_queries() as statements:
        last = listing.paginate(cases.filtered_cases(world["dispatcher"], ListFilter(sort=sort)), 2147483647, per_page=2)
    assert (last.page, last.total, [case.id for case in last.items]) == (4, 7, plain[3])
    reads = [sql for sql in statements if "FROM dispute_case" in sql and "count(*)" not in sql]
    assert len(reads) == 2, statements  # its keys, then its rows


def test_the_supervision_pages_refuse_a_page_that_is_no_number_and_clamp_a_large_one(client, auth, world, clock):
    auth.login("supervisor")
    assert client.get("/supervision/weekly?page=2147483647").status_code == 200
    for page in ("x", "0", "99999999999999999999"):
        assert client.get(f"/supervision/weekly?page={page}").status_code == 400


def test_listing_cases_takes_a_fixed_number_of_queries(world, clock):
    for index in range(12):
        open_in(world, f"纠纷{index}")
    db.session.expire_all()
    dispatcher = db.session.get(type(world["dispatcher"]), world["dispatcher"].id)
    with counted_queries() as statements:
        page = cases.list_cases(dispatcher, ListFilter(sort="urgency", due_state="due_soon"))  # 1-day triage
        [(case.grid.name, case.category.name) for case in page.items]
    assert len(page.items) == 12
    # count, page, grids, categories (and on PostgreSQL the reader's grids' ids, bound): no query per row
    assert len(statements) <= 4 + (db.engine.dialect.name == "postgresql"), statements
    assert all(case.next_due_at for case in page.items)  # the due column reads the case row


def test_filters_by_status_tier_category_grid_and_text(world, clock):
    noise = open_in(world, "楼上噪音")
    family = open_in(world, "遗产分割", category="family_inheritance")
    parking = open_in(world, "停车收费")
    f.step(world, parking, "triage_case", f.TRIAGE_L3)
    elsewhere = open_in(world, "楼上漏水", grid=world.other_grid, actor=world.outsider)
    closed = open_in(world, "宠物扰邻")
    for bpmn_id, data in [("triage_case", f.TRIAGE_L1), ("mediate_on_site", f.ON_SITE_AGREEMENT),
                          ("follow_up_visit", f.FOLLOW_UP)]:
        f.step(world, closed, bpmn_id, data)
    admin = world["admin"]

    assert numbers(cases.list_cases(admin, ListFilter(status="closed"))) == [closed.number]
    assert numbers(cases.list_cases(admin, ListFilter(tier=3))) == [parking.number]
    # a top-level category also finds its subcategories
    assert numbers(cases.list_cases(admin, ListFilter(category_id=category_id("family")))) == [family.number]
    assert numbers(cases.list_cases(admin, ListFilter(grid_id=world.other_grid.id))) == [elsewhere.number]
    assert set(numbers(cases.list_cases(admin, ListFilter(text="楼上")))) == {noise.number, elsewhere.number}
    assert numbers(cases.list_cases(admin, ListFilter(text=noise.number.lower()))) == [noise.number]
    assert numbers(cases.list_cases(admin, ListFilter(text="100%"))) == []  # LIKE wildcards are escaped
    # the dispatcher's town does not include the other grid, whatever the filter says
    assert numbers(cases.list_cases(world["dispatcher"], ListFilter(grid_id=world.other_grid.id))) == []


def test_due_state_filters_and_due_first_sorting(world, clock):
    late = open_in(world, "早登记")
    f.step(world, late, "triage_case", f.TRIAGE_L1)  # on site: due in 3 days
    clock.shift(timedelta(days=1, hours=12))
    soon = open_in(world, "晚登记")
    f.step(world, soon, "triage_case", f.TRIAGE_L1)
    clock.shift(timedelta(hours=1))
    later = open_in(world, "最晚登记")
    f.step(world, later, "triage_case", f.TRIAGE_L2)  # the four accounts: due an hour after `soon`
    late_due, soon_due = f.current_task(late).due_at, f.current_task(soon).due_at
    clock.move_to(late_due - timedelta(hours=12))  # `late` falls due within a day, `soon` later
    assert soon_due - (late_due - timedelta(hours=12)) > timedelta(hours=24)
    dispatcher = world["dispatcher"]

    assert numbers(cases.list_cases(dispatcher, ListFilter(due_state="due_soon"))) == [late.number]
    assert set(numbers(cases.list_cases(dispatcher, ListFilter(due_state="on_time")))) == {soon.number,
                                                                                          later.number}
    assert numbers(cases.list_cases(dispatcher, ListFilter(sort="due"))) == [late.number, soon.number,
                                                                             later.number]
    clock.move_to(late_due)
    assert numbers(cases.list_cases(dispatcher, ListFilter(due_state="overdue"))) == [late.number]
    mine = tasks.list_my_tasks(world["grid_worker"], ListFilter(due_state="overdue", sort="due"))
    assert [task.case.number for task in mine.items] == [late.number]


def test_task_lists_filter_by_tier_and_text(world, clock):
    first = open_in(world, "楼道堆物")
    second = open_in(world, "装修噪音")
    f.step(world, second, "triage_case", f.TRIAGE_L1)
    dispatcher_tasks = tasks.list_my_tasks(world["dispatcher"], ListFilter(text="楼道"))
    assert [task.case.number for task in dispatcher_tasks.items] == [first.number]
    team = tasks.list_team_tasks(world["grid_worker"], ListFilter(tier=1))
    assert [task.case.number for task in team.items] == [second.number]


@pytest.mark.parametrize("query", ["?due=overdue&sort=urgency&tier=2&q=x", "?due=bogus&sort=bogus&status=bogus",
                                   "?tier=&category=&grid=&page="])
def test_the_list_pages_accept_filters_and_ignore_unknown_choices(client, auth, world, clock, query):
    open_in(world, "楼上噪音")
    auth.login("dispatcher")
    for path in ("/cases/", "/tasks/", "/tasks/team"):
        assert client.get(path + query).status_code == 200


@pytest.mark.parametrize("query", ["?page=-3", "?tier=9", "?grid=z", "?category=99999999999999999999",
                                   "?page=2147483648", "?grid=4842385006", "?page=²", "?grid=٣", "?category=1e20"])
def test_the_list_pages_refuse_numbers_that_are_not_ids(client, auth, world, clock, query):
    auth.login("dispatcher")
    for path in ("/cases/", "/tasks/", "/tasks/team"):
        response = client.get(path + query)
        assert response.status_code == 400, path + query
        assert "须为 1 到" in response.get_data(as_text=True)


def test_the_filter_bar_keeps_the_chosen_values(client, auth, world, clock):
    case = open_in(world, "楼上噪音")
    auth.login("dispatcher")
    page = client.get("/cases/?q=噪音&status=open&sort=due").get_data(as_text=True)
    assert 'value="噪音"' in page and case.number in page
    assert '<option value="open" selected>' in page and '<option value="due" selected>' in page
