"""The dashboard page, its downloads, the case list behind a figure, and the audit exports."""
import csv
import io
import re
from html import unescape

from openpyxl import load_workbook

from app.extensions import db
from tests import factories
from tests.integration.test_i18n import CJK, open_ascii_case, untranslated

PERIOD_ARGS = "from=2026-01-01&to=2026-06-30"


def rows_of_csv(response) -> list[list[str]]:
    return list(csv.reader(io.StringIO(response.get_data(as_text=True).lstrip("\ufeff"))))


def link(page: str, testid: str) -> str:
    found = re.search(rf'href="([^"]+)"[^>]*data-testid="{testid}"', page) or re.search(
        rf'data-testid="{testid}"[^>]*>\s*<[^>]*href="([^"]+)"', page)
    return unescape(found.group(1))


def test_the_dashboard_shows_figures_charts_and_definitions(client, auth, world, history):
    auth.login("supervisor")
    page = client.get(f"/supervision/dashboard?{PERIOD_ARGS}").get_data(as_text=True)
    assert 'data-testid="nav-dashboard"' in page
    assert '<span class="tile-value" data-testid="rate-closure">57.14%</span>' in page
    assert 'data-testid="rate-on_time">75.00%' in page and 'data-testid="rate-resolution">75.00%' in page
    assert "2025-01-01 – 2025-06-30" in page  # the period a year earlier
    for chart in ("chart-trend", "chart-按类别", "chart-按网格", "chart-durations"):
        assert f'data-testid="{chart}"' in page
    assert "<script" not in page  # charts are SVG drawn on the server
    assert 'id="definitions"' in page and "已记录是否按时" in page


def test_a_figure_opens_the_list_of_the_cases_behind_it(client, auth, world, history):
    auth.login("supervisor")
    page = client.get(f"/supervision/dashboard?{PERIOD_ARGS}").get_data(as_text=True)
    closure = re.search(r'data-testid="tile-closure">.*?<a href="([^"]+)"', page, re.S).group(1)
    listed = client.get(unescape(closure)).get_data(as_text=True)
    assert sorted(re.findall(r">T-(c\d+)</a>", listed)) == ["c1", "c2", "c3", "c7"]
    assert 'data-testid="dashboard-filter"' in listed
    yellow = link(page, "cards-yellow")
    assert re.findall(r">T-(c\d+)</a>", client.get(yellow).get_data(as_text=True)) == ["c4"]


def test_every_dashboard_table_downloads_as_csv_and_xlsx(client, auth, world, history):
    auth.login("supervisor")
    summary = rows_of_csv(client.get(f"/supervision/dashboard/summary.csv?{PERIOD_ARGS}"))
    assert summary[0][1:] == ["2026-01-01–2026-06-30", "2025-01-01–2025-06-30", "同比"]
    assert summary[1] == ["登记件数", "7", "4", "75.0"]
    assert summary[3][:3] == ["办结率（%）", "57.14", "75.0"]
    response = client.get(f"/supervision/dashboard/category.xlsx?{PERIOD_ARGS}")
    assert response.mimetype == "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    sheet = load_workbook(io.BytesIO(response.data)).active
    assert [cell.value for cell in sheet[2]] == ["邻里", 5, 4, 25.0]
    durations = load_workbook(io.BytesIO(client.get(f"/supervision/dashboard/durations.xlsx?{PERIOD_ARGS}").data)).active
    assert [cell.value for cell in durations[2]] == ["一级 现场", 3, 3.0, 3.8, 3, 4.0, 5.6]
    for table in ("source", "tier", "grid", "outcome", "steps", "cards", "trend"):
        assert client.get(f"/supervision/dashboard/{table}.csv?{PERIOD_ARGS}").status_code == 200
    assert client.get("/supervision/dashboard/nothing.csv").status_code == 404


def test_only_supervisors_dispatchers_and_admins_open_the_dashboard(client, auth, world, history):
    auth.login("grid_worker")
    assert client.get("/supervision/dashboard").status_code == 403
    assert client.get("/supervision/dashboard/summary.csv").status_code == 403
    assert 'data-testid="nav-dashboard"' not in client.get("/cases/").get_data(as_text=True)
    auth.login("dispatcher")
    assert client.get("/supervision/dashboard").status_code == 200


def test_a_bad_period_falls_back_to_the_year_to_date_with_a_message(client, auth, world, clock):
    auth.login("supervisor")
    page = client.get("/supervision/dashboard?from=2026-05-01&to=2026-01-01").get_data(as_text=True)
    assert "结束日期不能早于开始日期" in page and "2026-01-01 – 2026-11-24" in page


def test_the_case_list_exports_with_its_filters_and_no_formulas(client, auth, world, clock):
    case = factories.open_case(world, title='=HYPERLINK("http://evil.example","点我")')
    factories.open_case(world, title="另一件")
    auth.login("dispatcher")
    response = client.get("/cases/export.xlsx?q=HYPERLINK")
    sheet = load_workbook(io.BytesIO(response.data)).active
    assert sheet.max_row == 2
    assert sheet["A2"].value == case.number
    assert sheet["B2"].value == "'=HYPERLINK(\"http://evil.example\",\"点我\")" and sheet["B2"].data_type == "s"
    rows = rows_of_csv(client.get("/cases/export.csv"))
    assert rows[0][:3] == ["编号", "标题", "类别"] and len(rows) == 3


def test_the_trail_of_a_case_and_of_a_period_as_csv(client, auth, world, clock):
    case = factories.open_case(world)
    factories.step(world, case, "triage_case", factories.TRIAGE_L1)
    auth.login("supervisor")
    rows = rows_of_csv(client.get(f"/cases/{case.number}/trail.csv"))
    assert rows[0] == ["案件编号", "序号", "时间", "操作人", "事件", "内容", "前一条哈希", "哈希"]
    assert [row[4] for row in rows[1:3]] == ["case_opened", "task_created"]
    assert rows[1][6] == "0" * 64 and rows[2][6] == rows[1][7]  # the hash chain, checkable by hand
    period = rows_of_csv(client.get("/supervision/trail.csv?from=2026-11-24&to=2026-11-24"))
    assert len(period) == len(rows) and {row[0] for row in period[1:]} == {case.number}
    assert len(rows_of_csv(client.get("/supervision/trail.csv?from=2026-11-25&to=2026-11-30"))) == 1
    auth.login("dispatcher")
    assert client.get("/supervision/trail.csv").status_code == 403
    auth.login("outsider")
    assert client.get(f"/cases/{case.number}/trail.csv").status_code == 404
    db.session.rollback()


def test_an_english_supervisor_reads_the_dashboard_and_its_downloads_in_english(client, auth, ascii_world, clock):
    case = open_ascii_case(ascii_world)
    auth.login("sue")
    response = client.get("/supervision/dashboard")
    page = response.get_data(as_text=True)
    assert response.status_code == 200 and "Closure rate" in page and "Year on year" in page
    assert untranslated(page) == []
    listed = client.get(f"/cases/?q={case.number}").get_data(as_text=True)
    assert "Export with the current filters" in listed and untranslated(listed) == []
    summary = rows_of_csv(client.get("/supervision/dashboard/summary.csv"))
    assert summary[1][0] == "Cases opened" and not any(CJK.search(cell) for row in summary for cell in row)
