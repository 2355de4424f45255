"""Search: a case found by any text it carries — Chinese included — through the database's indexes (SQLite
FTS5, PostgreSQL pg_trgm and GIN): trigrams for three characters or more, each character and pair for one
or two (张三, 噪音), masked phones and no wildcard tricks."""
import re

import pytest
from sqlalchemy import select, text

from app.extensions import db
from app.models import Address, Category, DisputeCase
from app.services.cases import registry as cases
from app.services.cases import search
from app.services.cases.lists import ListFilter, paginate
from app.services.cases.search import mask_phone, reindex_all_cases
from app.services.intake import handoffs, resident_reports
from app.services.intake.resident_reports import ResidentReport, report_dispute
from tests import factories
from tests.integration.test_list_plans import plan_lines, statements_of
from tests.shared_rows import shared


@shared("three_cases")
def _three_cases(rows, request):
    """A case opened by a grid worker, one handed off by the police and one reported by a resident."""
    request.getfixturevalue("clock")
    world = factories.world_of(rows.value("world"))
    neighbour = db.session.scalar(select(Category.id).where(Category.code == "neighbour"))
    noise = cases.open_case(world["grid_worker"], cases.NewCase(
        title="楼上装修噪音扰民", description="每晚十点后电钻声不断，影响老人休息。", source="grid_patrol",
        category_id=neighbour, grid_id=world.grid.id, address_text="和平路88号3单元",
        parties=[cases.NewParty("欧阳娜娜", "applicant", "13812345678"), cases.NewParty("李四", "respondent")]))
    handed = handoffs.hand_off_case(world["police_officer"], handoffs.IncomingHandoff(
        system="web", incident_number="110-20261124-0042", title="菜市场摊位纠纷", address="和平路12号",
        parties=[cases.NewParty("张三", "applicant", "13900000002")])).case
    token = db.session.scalar(select(Address.plate_token).where(Address.text == "和平路12号"))
    with pytest.MonkeyPatch.context() as patch:
        # A tracking code of our choosing: a random one holds the digits "42" looked for below about once in 90 runs.
        patch.setattr(resident_reports, "_new_tracking_code", lambda: "WSPZ7V8XNTBK")
        receipt = report_dispute(token, ResidentReport(title="楼道堆放杂物", description="", name="周九",
                                                       phone="13500000009", consent=True))
    return noise.id, handed.id, receipt


@pytest.fixture
def three_cases(world, clock, _database):
    """The cases of _three_cases, made once for the tests that search them (shared: tests/shared_rows.py)."""
    noise, handed, receipt = _database.value("three_cases")
    return {"noise": db.session.get(DisputeCase, noise), "handed": db.session.get(DisputeCase, handed),
            "reported": receipt}


# (search.DENSE_MATCHES, search.FEW_MATCHES) for each way a list is searched, the dispatcher's three cases
# here: as a short list of a term the county holds often (each case asked), as more than that with few
# matches (the index), as many matches (the list's order walked).
PATHS = [(search.DENSE_MATCHES, 0), (1, search.FEW_MATCHES), (0, search.FEW_MATCHES)]


def search_path(monkeypatch, path) -> None:
    monkeypatch.setattr(search, "DENSE_MATCHES", path[0])
    monkeypatch.setattr(search, "FEW_MATCHES", path[1])


def found(actor, query: str) -> list[str]:
    return sorted(case.number for case in cases.list_cases(actor, ListFilter(text=query)).items)


@pytest.mark.parametrize("query, which", [
    ("装修噪音", "noise"),              # title
    ("电钻声", "noise"),                # description
    ("欧阳娜娜", "noise"),              # party name
    ("13812345678", "noise"),           # party phone
    ("5678", "noise"),                  # part of a phone
    ("110-20261124-0042", "handed"),    # police incident number
    ("0042", "handed"),
    ("和平路88号", "noise"),            # address
    ("菜市场", "handed"),
    ("张三", "handed"),                 # a two-character name: below the trigram length
    ("噪", "noise"),                    # one character
    ("周九", "reported"),
    ("电钻", "noise"),                  # two characters of the description
    ("42", "handed"),                   # two digits inside the incident number
    ("九", "reported"),
    ("欧阳", "noise"),                  # a compound surname
])
@pytest.mark.parametrize("path", PATHS)
def test_a_case_is_found_by_any_of_its_texts(world, three_cases, monkeypatch, query, which, path):
    search_path(monkeypatch, path)
    expected = three_cases[which]
    number = expected.case_number if which == "reported" else expected.number
    assert found(world["dispatcher"], query) == [number]


def test_case_numbers_and_tracking_codes_with_or_without_dashes(world, three_cases):
    noise = three_cases["noise"]
    assert found(world["dispatcher"], noise.number) == [noise.number]
    assert found(world["dispatcher"], noise.number.lower()) == [noise.number]
    receipt = three_cases["reported"]
    assert found(world["dispatcher"], receipt.tracking_code) == [receipt.case_number]
    assert found(world["dispatcher"], receipt.tracking_code.replace("-", "").lower()) == [receipt.case_number]


@pytest.mark.parametrize("path", PATHS)
def test_wildcards_and_quotes_are_plain_text(world, three_cases, monkeypatch, path):
    search_path(monkeypatch, path)
    for query in ("%", "_", '"', "%%%", '" OR "', "NEAR(a b)", "*"):
        assert found(world["dispatcher"], query) == [], query


def test_search_stays_inside_the_actors_scope(world, three_cases):
    assert found(world.outsider, "欧阳娜娜") == []
    assert found(world.others["dispatcher"], "张三") == []


def test_the_index_is_rebuilt_from_the_cases(world, three_cases, monkeypatch):
    monkeypatch.setattr(search, "DENSE_MATCHES", 1)  # the list is taken as long: its matches come from the index
    db.session.execute(text("DELETE FROM case_search"))
    db.session.execute(text("DELETE FROM case_search_short"))
    assert found(world["dispatcher"], "欧阳娜娜") == [] and found(world["dispatcher"], "欧阳") == []
    reindex_all_cases()
    assert found(world["dispatcher"], "欧阳娜娜") == found(world["dispatcher"], "欧阳") == [three_cases["noise"].number]
    assert found(world["dispatcher"], "菜市场") == [three_cases["handed"].number]


def test_phones_are_masked_for_roles_that_do_not_handle_cases(client, auth, world, three_cases):
    auth.login("dispatcher")
    page = client.get("/cases/?q=欧阳娜娜").get_data(as_text=True)
    assert "欧阳娜娜 13812345678" in page
    auth.login("supervisor")
    page = client.get("/cases/?q=13812345678").get_data(as_text=True)
    parties = re.search(r'data-testid="case-parties">([^<]*)<', page).group(1)
    assert parties == "欧阳娜娜 138****5678、李四"


def test_mask_phone():
    assert mask_phone("13812345678") == "138****5678"
    assert mask_phone("0831-1234567") == "083*****4567"
    assert mask_phone("110") == "*10" and mask_phone("") == ""


def test_the_task_lists_search_with_the_same_index(client, auth, world, three_cases):
    factories.open_case(world, title="另一件纠纷")
    auth.login("dispatcher")
    page = client.get("/tasks/team?q=欧阳娜娜").get_data(as_text=True)
    assert "楼上装修噪音扰民" in page and "另一件纠纷" not in page


def search_table_scans(statement: str, parameters, price_out_seq_scans: bool = True) -> list[str]:
    """The plan's reads of the search tables that go through no index (the whole table)."""
    lines = plan_lines(statement, parameters, price_out_seq_scans)
    if db.engine.dialect.name == "sqlite":
        # FTS5 answers a MATCH through its index ("VIRTUAL TABLE INDEX 0:M…") and a row by its rowid
        # ("INDEX 0:=", a probe of one case); without either it reads every row.
        return [line for line in lines if line.startswith("SCAN case_search")
                and ":M" not in line and not line.endswith("INDEX 0:=")]
    # A primary-key index read whole (no Index Cond on the line after it) is a scan too.
    return [line for line, after in zip(lines, lines[1:] + [""]) if "Seq Scan on case_search" in line
            or ("Index Scan using case_search" in line and "pkey" in line and "Index Cond" not in after)]


@pytest.mark.parametrize("query", ["噪音", "噪", "张三", "42", "装修噪音", "13812345678", "0042"])
def test_every_term_of_letters_and_digits_is_looked_up_in_an_index(world, three_cases, monkeypatch, query):
    monkeypatch.setattr(search, "DENSE_MATCHES", 1)  # the list is taken as long: its matches come from the index
    statements = statements_of(lambda: cases.list_cases(world["dispatcher"], ListFilter(text=query)))
    searched = [(sql, params) for sql, params in statements if "case_search" in sql]
    assert searched
    assert [search_table_scans(sql, params) for sql, params in searched] == [[]] * len(searched)


def test_the_check_sees_a_scan(world, three_cases, monkeypatch):
    """A short term with a dash cannot be a token: it scans the search table, and the check says so.
    PostgreSQL is asked with sequential scans allowed: priced out, its trigram index is read whole instead.
    The matches are read alone: a list asks for one more than DENSE_MATCHES of them, and for so few
    PostgreSQL reads the trigram index whole rather than the table."""
    statements = statements_of(lambda: db.session.execute(search._matches("-0")).all())
    assert any(search_table_scans(sql, params, price_out_seq_scans=False) for sql, params in statements)
    monkeypatch.setattr(search, "DENSE_MATCHES", 1)  # the list taken as long: its matches read so
    assert len(found(world["dispatcher"], "-0")) == 3  # every case number has one: still found, by the scan


# --- A term many cases carry ---------------------------------------------------------------------------
# Past search.DENSE_MATCHES matches the list is walked in its own order, each case probed; set low here so
# that a few cases are "many". Every case number holds 2026.

@shared("many_cases")
def _many_cases(rows, request):
    """Three more cases here (one triaged, so due sooner; one with a violence risk) and one in the other
    town, out of the dispatcher's scope."""
    request.getfixturevalue("clock")
    world = factories.world_of(rows.value("world"))
    factories.open_case(world, title="邻居漏水")
    factories.step(world, factories.open_case(world, title="车位纠纷"), "triage_case", factories.TRIAGE_L2)
    factories.step(world, factories.open_case(world, title="夫妻争吵"), "triage_case", factories.TRIAGE_RISK)
    neighbour = db.session.scalar(select(Category.id).where(Category.code == "neighbour"))
    cases.open_case(world.others["grid_worker"], cases.NewCase(
        title="外镇纠纷", source="grid_patrol", category_id=neighbour, grid_id=world.other_grid.id,
        parties=[cases.NewParty("王五", "applicant")]))


@pytest.fixture
def many_cases(world, three_cases, clock, _database):
    """The three cases and those of _many_cases (shared: tests/shared_rows.py); the world."""
    _database.value("many_cases")
    return world


def pages_of(actor, wanted: ListFilter, per_page: int = 2) -> list:
    """Every page of the list, two cases a page: (case numbers, counted total, whether a next page follows)."""
    pages, page = [], 1
    while True:
        found = paginate(cases.filtered_cases(actor, wanted), page, per_page)
        pages.append(([case.number for case in found.items], found.total, found.has_next))
        if not found.has_next:
            return pages
        page += 1


@pytest.mark.parametrize("query", ["2026", "20", "6"])
@pytest.mark.parametrize("sort", ["newest", "due", "urgency"])
def test_a_term_many_cases_carry_is_found_in_the_lists_order(many_cases, monkeypatch, query, sort):
    world = many_cases
    for role, visible in (("dispatcher", 6), ("admin", 7)):
        wanted = ListFilter(text=query, sort=sort)
        counted = pages_of(world[role], wanted)
        assert counted[0][1] == visible and sum(len(numbers) for numbers, _, _ in counted) == visible
        monkeypatch.setattr(search, "DENSE_MATCHES", 3)
        walked = pages_of(world[role], wanted)
        monkeypatch.undo()
        assert [numbers for numbers, _, _ in walked] == [numbers for numbers, _, _ in counted], role
        assert [(total, more) for _, total, more in walked] == [(None, True)] * (len(counted) - 1) + [(None, False)]


@pytest.fixture
def elsewhere_cases(many_cases):
    """A term many cases carry in the other town and one case here: 外镇纠纷 (and its pair 外镇) in four
    cases there, one here."""
    world = many_cases
    neighbour = db.session.scalar(select(Category.id).where(Category.code == "neighbour"))
    for title in ("外镇纠纷二", "外镇纠纷三", "外镇纠纷四"):
        cases.open_case(world.others["grid_worker"], cases.NewCase(
            title=title, source="grid_patrol", category_id=neighbour, grid_id=world.other_grid.id))
    factories.open_case(world, title="外镇纠纷转来")
    return world


def readers(world) -> dict:
    return {"admin": world["admin"], **{role: world[role] for role in ("dispatcher", "supervisor", "grid_worker",
                                                                         "mediator", "police_officer")},
            "other town's dispatcher": world.others["dispatcher"]}


@pytest.mark.parametrize("query", ["外镇纠纷", "外镇", "2026"])
@pytest.mark.parametrize("sort", ["newest", "due", "urgency"])
def test_a_list_is_counted_unless_the_readers_own_list_holds_many_matches(elsewhere_cases, monkeypatch, query, sort):
    """Many matches in the county but few in the reader's list (a street of another town): the list is
    counted, every page; the county's matches are never what decides, nor shown."""
    wanted = ListFilter(text=query, sort=sort)
    for name, reader in readers(elsewhere_cases).items():
        counted = pages_of(reader, wanted)
        visible = counted[0][1]
        monkeypatch.setattr(search, "DENSE_MATCHES", 3)
        found = pages_of(reader, wanted)
        monkeypatch.undo()
        assert [numbers for numbers, _, _ in found] == [numbers for numbers, _, _ in counted], name
        expected_total = visible if visible <= 3 else None
        assert [(total, more) for _, total, more in found] == [(expected_total, more) for _, _, more in counted], name


@pytest.mark.parametrize("sort", ["newest", "due", "urgency"])
def test_a_list_whose_sample_holds_many_matches_is_walked_uncounted(elsewhere_cases, monkeypatch, sort):
    """SAMPLE_ROWS of the list's cases hold SAMPLE_HITS matches: walked without counting its matches,
    whatever their number; the same rows, page by page."""
    world = elsewhere_cases
    for query, walked in (("2026", True), ("外镇", False)):
        wanted = ListFilter(text=query, sort=sort)
        counted = pages_of(world["dispatcher"], wanted)
        monkeypatch.setattr(search, "FEW_MATCHES", 0)  # the county holds them often,
        monkeypatch.setattr(search, "DENSE_MATCHES", 3)  # and the list is long: the sample decides
        monkeypatch.setattr(search, "SAMPLE_ROWS", 3)
        monkeypatch.setattr(search, "SAMPLE_HITS", 3)
        found = pages_of(world["dispatcher"], wanted)
        monkeypatch.undo()
        assert [numbers for numbers, _, _ in found] == [numbers for numbers, _, _ in counted], query
        assert [total for _, total, _ in found] == [None if walked else counted[0][1]] * len(counted), query


@pytest.mark.sqlite
@pytest.mark.commits  # the probe counter stays on its connection, which is thrown away after
def test_a_term_few_cases_of_the_readers_list_carry_is_not_asked_of_each_case(elsewhere_cases, monkeypatch):
    """What a sparse term costs is its matches, not the reader's cases: the dispatcher's list is not walked
    asking each case's document (SQLite's instr, counted here) — not at all when the county holds the term
    at most FEW_MATCHES times, and beyond SAMPLE_ROWS of them otherwise. At 100,000 cases that walk read a
    town's 12,500 cases for the eight that carried a street of another town, and a mediator's 3,000 (each a
    probe of its routes) for 张. SQLite only: the probe is its instr."""
    monkeypatch.setattr(search, "DENSE_MATCHES", 3)
    monkeypatch.setattr(search, "SAMPLE_ROWS", 2)
    asked = []
    connection = db.session.connection()
    connection.connection.driver_connection.create_function(
        "instr", 2, lambda text, part: asked.append(part) or text.find(part) + 1)
    try:
        for few_matches, sampled in ((search.FEW_MATCHES, 0), (4, 2)):  # 外镇纠纷: five cases in the county
            monkeypatch.setattr(search, "FEW_MATCHES", few_matches)
            asked.clear()
            [(numbers, total, _)] = pages_of(elsewhere_cases["dispatcher"], ListFilter(text="外镇纠纷"))
            assert (len(numbers), total, len(asked)) == (1, 1, sampled), few_matches
        pages_of(elsewhere_cases["admin"], ListFilter(text="外镇纠纷"))  # five: walked, each case asked
        assert len(asked) > 4
    finally:
        connection.invalidate()


def test_a_term_fewer_cases_carry_is_counted(many_cases, monkeypatch):
    monkeypatch.setattr(search, "DENSE_MATCHES", 3)  # 纠纷: two cases here, one in the other town
    [(numbers, total, more)] = pages_of(many_cases["dispatcher"], ListFilter(text="纠纷"))
    assert total == 2 and len(numbers) == 2 and not more


def test_the_page_says_many_instead_of_a_count(app, client, auth, many_cases, monkeypatch):
    auth.login("dispatcher")
    assert summary_of(client.get("/cases/?q=2026").get_data(as_text=True)) == "共 6 条，第 1 / 1 页"
    monkeypatch.setattr(search, "DENSE_MATCHES", 3)
    page = client.get("/cases/?q=2026").get_data(as_text=True)
    assert summary_of(page) == "第 1–6 条（匹配的案件很多，不计总数）" and page.count('data-testid="case-row"') == 6
    # Two a page: the pager links the pages walked so far and the next one, never a last page.
    pager = app.jinja_env.get_template("_lists.html").module.pager
    wanted = ListFilter(text="2026")
    with app.test_request_context():
        second = str(pager("cases.index", paginate(cases.filtered_cases(many_cases["dispatcher"], wanted), 2, 2), wanted))
    assert summary_of(second) == "第 3–4 条（匹配的案件很多，不计总数）"
    assert re.findall(r'data-testid="page-(?:link|current)">(\d+)<', second) == ["1", "2", "3"]
    assert 'data-testid="page-prev"' in second and 'data-testid="page-next"' in second


def summary_of(page: str) -> str:
    return re.search(r'data-testid="pager-summary">([^<]*)<', page).group(1).strip()


def test_a_term_many_cases_carry_in_the_task_lists(client, auth, many_cases, monkeypatch):
    auth.login("dispatcher")
    counted = client.get("/tasks/team?q=2026").get_data(as_text=True)
    monkeypatch.setattr(search, "DENSE_MATCHES", 3)
    walked = client.get("/tasks/team?q=2026").get_data(as_text=True)
    rows = re.compile(r'data-testid="task-row".*?</tr>', re.S)
    assert rows.findall(walked) == rows.findall(counted) and rows.findall(walked)
    assert "不计总数" in summary_of(walked)


@pytest.mark.parametrize("query", ["噪", "张三", "2026", "110-20261124-0042"])
def test_the_probe_of_each_case_reads_the_search_table_by_key(world, three_cases, monkeypatch, query):
    """The walk asks each case's search document by the case's key, never reading the table whole."""
    monkeypatch.setattr(search, "DENSE_MATCHES", 0)
    statements = statements_of(lambda: cases.list_cases(world["dispatcher"], ListFilter(text=query)))
    searched = [(sql, params) for sql, params in statements if "case_search" in sql]
    assert searched
    assert [search_table_scans(sql, params) for sql, params in searched] == [[]] * len(searched)


def test_a_short_list_is_read_once_then_its_cases_documents_by_key(elsewhere_cases, monkeypatch):
    """A term the county holds often, and a reader's list of at most DENSE_MATCHES cases: the list is read once,
    without the text, and its cases' documents are then asked by key. Read again with the text asked, the list
    cost a mediator its routes' probes twice (PostgreSQL at 100,000 cases, a mediator's "1": 24 + 32 ms)."""
    world = elsewhere_cases
    cases.open_case(world["mediator"], cases.NewCase(title="调解室登记纠纷", source="walk_in", grid_id=world.grid.id))
    counted = pages_of(world["mediator"], ListFilter(text="2026"))
    monkeypatch.setattr(search, "FEW_MATCHES", 0)  # the county holds it often: the reader's list decides
    statements = [sql for sql, _ in statements_of(lambda: cases.list_cases(world["mediator"], ListFilter(text="2026")))]
    assert pages_of(world["mediator"], ListFilter(text="2026")) == counted and counted[0][1] >= 1
    reads = [("list" if "case_route" in sql else "") + ("documents" if "case_search" in sql else "") for sql in statements]
    # the term's matches in the county; the list once; its documents by key; the page (counted: its matches)
    assert [read for read in reads if read] == ["documents", "list", "documents", "list"], statements
