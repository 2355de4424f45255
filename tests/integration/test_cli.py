"""The CLI commands a fresh installation runs."""
import io
from datetime import date, timedelta
from typing import NamedTuple

import pytest
from pypdf import PdfReader
from sqlalchemy import func, select

from app.extensions import db
from app.models import CaseDocument, DisputeCase, ProcessDefinition, Task, User
from app.services.cases import documents
from app.services.cases import registry as cases
from app.services.cases.lists import ListFilter
from app.services.supervision.dashboard import build_dashboard, default_period
from app.services.supervision.trail import verify_trails
from tests import factories as f
from tests.shared_rows import shared


def test_init_db_is_idempotent(runner):
    result = runner.invoke(args=["init-db"])
    assert result.exit_code == 0, result.output
    assert "数据库已是最新结构" in result.output


def test_deploy_processes_deploys_once(runner):
    first = runner.invoke(args=["deploy-processes"])
    assert first.exit_code == 0 and "dispute_mediation v1 deployed" in first.output
    second = runner.invoke(args=["deploy-processes"])
    assert "dispute_mediation v1 unchanged" in second.output
    assert db.session.scalar(select(func.count()).select_from(ProcessDefinition)) == 1


class Demo(NamedTuple):
    exit_code: int
    output: str
    pages: tuple[str, ...]  # the HTML of each document seed-demo rendered


@shared("demo")
def _seed_demo(rows, request):
    """`flask deploy-processes` then `flask seed-demo`, run once for the tests that read the demo.

    seed-demo renders the HTML of its ~33 documents and stores a PDF of each, as for users; here the PDF is a
    stand-in and the HTML is kept, for WeasyPrint's layout costs ~0.4 s of CPU a page. One of them, the case
    file that holds every document of a case, is laid out for real below; test_documents.py lays out each kind."""
    request.getfixturevalue("clock")
    runner = request.getfixturevalue("runner")
    runner.invoke(args=["deploy-processes"])
    pages = []

    def keep_html(html: str) -> bytes:
        pages.append(html)
        return b"%PDF- stand-in of the layout of document " + str(len(pages)).encode()

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(documents, "render_pdf", keep_html)
        result = runner.invoke(args=["seed-demo"])
    return Demo(result.exit_code, result.output, tuple(pages))


@pytest.fixture
def demo(app, clock, _database) -> Demo:
    """seed-demo's exit code, output and documents' HTML; the test starts from its rows (shared: tests/shared_rows.py)."""
    return _database.value("demo")


def test_seed_demo_loads_every_stage_once_and_prints_log_ins(runner, clock, demo):
    assert demo.exit_code == 0, demo.output
    for username in ("wangwu", "zhaojing", "liqing", "chenhe", "sunlin", "zhoudu", "admin"):
        assert username in demo.output
    ready = set(db.session.scalars(select(Task.bpmn_id).where(Task.state == "ready")))
    assert {"triage_case", "mediate_on_site", "assess_four_accounts", "consult_jointly",
            "handle_violence_risk", "follow_up_visit"} <= ready
    assert db.session.scalar(select(func.count()).where(DisputeCase.status == "closed")) >= 1
    # Closed cases come with the documents their steps generated, a written agreement among them.
    assert {"agreement", "oral_agreement_register", "closing_report", "case_file"} <= set(
        db.session.scalars(select(CaseDocument.kind)))
    cases = db.session.scalar(select(func.count()).select_from(DisputeCase))
    again = runner.invoke(args=["seed-demo"])
    assert "演示数据已存在" in again.output
    assert db.session.scalar(select(func.count()).select_from(DisputeCase)) == cases


def test_the_demos_documents_are_rendered_and_a_closed_cases_file_is_a_pdf_of_its_papers(demo):
    made = db.session.scalars(select(CaseDocument)).all()
    assert len(made) == len(demo.pages) > 30  # each rendered once, by seed-demo: none waiting, none failed
    assert all(document.sha256 and document.render_error is None for document in made)
    [case_file] = [page for page in demo.pages if "人民调解卷宗" in page and "刘建国" in page]
    reader = PdfReader(io.BytesIO(documents.render_pdf(case_file)))
    text = "".join(page.extract_text() for page in reader.pages).replace("\n", "").replace(" ", "")
    for item in ("人民调解卷宗", "卷内目录", "受理登记表", "权利义务告知书", "调解笔录", "人民调解协议书", "回访记录",
                 "结案报告表", "刘建国", "陈志强", "以1998年埋设的原界桩为界"):
        assert item in text, item


def test_the_demo_has_more_than_a_year_of_history_for_the_dashboard(clock, demo):
    assert demo.exit_code == 0
    supervisor = db.session.scalar(select(User).where(User.username == "zhoudu"))
    board = build_dashboard(supervisor, default_period(date(2026, 11, 24)))
    assert board.current.opened > board.previous.opened > 150  # busier than last year
    assert 90 < board.current.on_time.percent < 100  # some late
    assert 90 < board.current.resolution.percent < 100 and board.previous.closure.percent > 95
    assert {row.key for row in board.breakdowns["tier"].rows} >= {1, 2, 3}
    assert len(board.breakdowns["grid"].rows) == 3 and len(board.breakdowns["category"].rows) >= 8
    assert len(board.trend) == 11 and all(point.previous_opened > 0 for point in board.trend)
    assert {row.tier for row in board.durations} == {1, 2, 3}
    oldest = db.session.scalar(select(DisputeCase).order_by(DisputeCase.opened_at))
    assert oldest.opened_at.year == 2025 and verify_trails(oldest.number).breaks == []
    newest = db.session.scalar(select(DisputeCase).order_by(DisputeCase.id.desc()))
    assert newest.number.startswith("JF-2026-")  # the live demo cases number on after the history
    assert cases.list_cases(supervisor, ListFilter(text=oldest.parties[0].name)).total >= 1


def test_seed_demo_without_processes_fails_clearly(runner, clock):
    result = runner.invoke(args=["seed-demo"])
    assert result.exit_code != 0
    assert "deploy-processes" in result.output
    assert db.session.scalar(select(func.count()).select_from(User)) == 0


def test_create_user(runner, world):
    result = runner.invoke(args=["create-user", "--username", "xiaoli", "--role", "mediator",
                                 "--password", "long-enough", "--grid", "G1", "--grid", "G2"])
    assert result.exit_code == 0, result.output
    user = db.session.scalar(select(User).where(User.username == "xiaoli"))
    assert user.role == "mediator" and [g.code for g in user.grids] == ["G1", "G2"]
    assert user.check_password("long-enough")


def test_create_user_refuses_bad_input(runner, world):
    result = runner.invoke(args=["create-user", "--username", "dispatcher", "--role", "judge",
                                 "--password", "short", "--grid", "NOPE"])
    assert result.exit_code != 0
    for message in ("已存在", "角色必须是", "密码至少", "网格不存在"):
        assert message in result.output


def test_scheduler_sweep_fires_due_timers(runner, world, clock):
    case = f.open_case(world)
    clock.shift(timedelta(days=3, minutes=1))
    result = runner.invoke(args=["scheduler", "sweep"])
    assert result.exit_code == 0, result.output
    assert "2 timers fired on 1 cases; 0 cases failed; 0 cases still due" in result.output  # triage limit, yellow card
    assert f.reload(case).card == "yellow"
