"""Documents generated from the case's own data: asked for by their step, rendered after its commit, stored,
hashed in the trail, downloadable by those who may see the case; the agreement blocks its step until every
Art. 29 item is there."""
import hashlib
import io
import os
import shutil
import subprocess
from pathlib import Path

import pytest
from pypdf import PdfReader
from sqlalchemy import func, select

from app.extensions import db
from app.models import CaseDocument, CaseDocumentContent, Task, TrailEvent
from app.services.cases import tasks
from app.services.cases.documents import render_pending_documents
from app.services.errors import InvalidInputError
from app.services.intake.api_tokens import create_token
from tests import factories as f
from tests.conftest import days
from tests.integration.test_pages import form_data

ROOT = Path(__file__).resolve().parents[2]


def documents(case) -> list[CaseDocument]:
    """The case's documents, rendered first (as the scheduler's render job does after each step)."""
    render_pending_documents()
    return list(db.session.scalars(select(CaseDocument).where(CaseDocument.case_id == case.id)
                                   .order_by(CaseDocument.id)))


def pdf_bytes(document: CaseDocument) -> bytes:
    return db.session.get(CaseDocumentContent, document.id).data


def pdf_text(document: CaseDocument) -> str:
    reader = PdfReader(io.BytesIO(pdf_bytes(document)))
    return "".join(page.extract_text() for page in reader.pages).replace("\n", "").replace(" ", "")


def pdf_fonts(document: CaseDocument) -> set[str]:
    reader = PdfReader(io.BytesIO(pdf_bytes(document)))
    names = set()
    for page in reader.pages:
        for font in page["/Resources"]["/Font"].values():
            names.add(str(font.get_object()["/BaseFont"]))
    return names


def written_agreement_case(world):
    """Through the mediation room to a written agreement, then the follow-up visit: the case closes."""
    case = f.open_case(world)
    f.step(world, case, "triage_case", f.TRIAGE_L2)
    f.step(world, case, "assess_four_accounts", f.FOUR_ACCOUNTS)
    f.step(world, case, "hold_mediation_session", f.SESSION_CONTINUE)
    f.step(world, case, "hold_mediation_session", f.SESSION_AGREEMENT)
    f.step(world, case, "follow_up_visit", f.FOLLOW_UP)
    return f.reload(case)


def test_a_closed_case_has_every_document_each_a_real_pdf_with_its_data_as_chinese_text(world, clock):
    f.step(world, f.open_case(world, "先受理的案件"), "triage_case", f.TRIAGE_L2)  # its papers take the first ids
    case = written_agreement_case(world)
    made = documents(case)
    assert [document.kind for document in made] == [
        "acceptance_register", "rights_notice", "mediation_record", "mediation_record", "agreement",
        "follow_up_record", "closing_report", "case_file"]
    for document in made:
        data = pdf_bytes(document)
        assert data.startswith(b"%PDF-") and document.size == len(data)
        assert document.sha256 == hashlib.sha256(data).hexdigest()
        # Chinese comes out as text, set in the embedded Noto CJK font (a subset), not as missing glyphs.
        assert any("NotoSerifCJK" in name or "Noto-Serif-CJK" in name for name in pdf_fonts(document)), document.kind
        text = pdf_text(document)
        assert case.number in text and "张三" in text and "李四" in text, document.kind
    by_kind = {document.kind: pdf_text(document) for document in made}
    assert "受理登记表" in by_kind["acceptance_register"] and "网格员排查" in by_kind["acceptance_register"]
    assert "自主表达意愿、自愿达成调解协议" in by_kind["rights_notice"]
    assert "心理帐" in by_kind["mediation_record"] and "调解笔录" in by_kind["mediation_record"]
    assert "已履行" in by_kind["follow_up_record"] and "满意" in by_kind["follow_up_record"]
    assert "结案报告表" in by_kind["closing_report"] and "调解成功" in by_kind["closing_report"]
    case_file = by_kind["case_file"]
    assert "卷内目录" in case_file
    order = [case_file.index(title) for title in ("受理登记表", "权利义务告知书", "调解笔录", "人民调解协议书",
                                                 "回访记录", "结案报告表")]
    assert order == sorted(order)
    # The contents link each paper by its place in the file, not by a row id: the same papers make the same file.
    assert sorted(PdfReader(io.BytesIO(pdf_bytes(made[-1]))).named_destinations) == [f"doc-{n}" for n in range(1, 8)]


def test_the_written_agreement_states_every_article_29_item_and_is_numbered(world, clock):
    case = written_agreement_case(world)
    [agreement] = [document for document in documents(case) if document.kind == "agreement"]
    text = pdf_text(agreement)
    assert agreement.number == "(2026)城人调字第1号" and agreement.number in text
    for item in ("人民调解协议书", "当事人基本情况", "张三，男，1970年生", "纠纷主要事实", "李四装修至深夜，噪音影响张三休息",
                 "争议事项", "噪音损害的赔偿数额", "各方当事人的责任", "李四负主要责任", "赔偿两千元", "银行转账",
                 "2026年12月15日前履行完毕", "申请人（签名、盖章或按指印）", "被申请人（签名、盖章或按指印）", "人民调解员（签名）",
                 "城关镇人民调解委员会（印章）", "2026年11月24日"):
        assert item in text, item
    second = written_agreement_case(world)
    assert [d.number for d in documents(second) if d.kind == "agreement"] == ["(2026)城人调字第2号"]


def test_an_oral_agreement_is_recorded_in_the_oral_agreement_register(world, clock):
    case = f.open_case(world)
    f.step(world, case, "triage_case", f.TRIAGE_L1)
    f.step(world, case, "mediate_on_site", f.ON_SITE_AGREEMENT)
    [register] = [document for document in documents(case) if document.kind == "oral_agreement_register"]
    text = pdf_text(register)
    assert "口头协议登记表" in text and "晚十点后停止装修" in text and "自行履行" in text
    assert not [document for document in documents(case) if document.kind == "agreement"]


def test_each_document_is_in_the_trail_with_its_hash(world, clock):
    case = f.open_case(world)
    f.step(world, case, "triage_case", f.TRIAGE_L1)
    made = {document.id: document for document in documents(case)}
    events = db.session.scalars(select(TrailEvent).where(TrailEvent.case_id == case.id,
                                                          TrailEvent.event == "document_generated")).all()
    assert {event.data["document_id"]: event.data["sha256"] for event in events} == {
        document_id: document.sha256 for document_id, document in made.items()}
    assert {event.data["kind"] for event in events} == {"acceptance_register", "rights_notice"}


def test_a_missing_article_29_item_blocks_the_step_with_a_clear_message(client, auth, world, clock):
    case = f.open_case(world)
    f.step(world, case, "triage_case", f.TRIAGE_L2)
    f.step(world, case, "assess_four_accounts", f.FOUR_ACCOUNTS)
    session = f.current_task(case)
    auth.login("mediator")
    response = client.post(f"/tasks/{session.id}", data=form_data({**f.SESSION_AGREEMENT, "facts": "",
                                                                   "performance_deadline": ""}))
    page = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "书面协议须写明纠纷的主要事实（人民调解法第二十九条）" in page and "达成协议时请填写履行期限" in page
    # The service refuses the same for any caller, and nothing is half-done.
    count = db.session.scalar(select(func.count()).select_from(CaseDocument))
    with pytest.raises(InvalidInputError, match="各方当事人的责任"):
        tasks.submit_task(world["mediator"], session.id, {**f.SESSION_AGREEMENT, "responsibilities": " "})
    assert db.session.get(Task, session.id).state == "ready"
    assert db.session.scalar(select(func.count()).select_from(CaseDocument)) == count


def test_the_api_refuses_an_agreement_without_its_items(client, world, clock):
    case = f.open_case(world)
    f.step(world, case, "triage_case", f.TRIAGE_L1)
    token = create_token("police-110", "第一警格").token
    task = f.current_task(case)
    body = {**f.ON_SITE_AGREEMENT, "performance_method": ""}
    response = client.post(f"/api/v1/tasks/{task.id}/complete", json=body,
                           headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 422
    assert "performance_method" in response.get_json()["fields"]


def test_documents_download_for_those_who_may_see_the_case_only(client, auth, world, clock):
    case = f.open_case(world)
    f.step(world, case, "triage_case", f.TRIAGE_L1)
    document = documents(case)[0]
    url = f"/cases/{case.number}/documents/{document.id}"
    auth.login("supervisor")
    page = client.get(f"/cases/{case.number}").get_data(as_text=True)
    assert url in page and "受理登记表" in page and document.sha256[:12] in page
    response = client.get(url)
    assert response.status_code == 200 and response.mimetype == "application/pdf"
    assert response.data == pdf_bytes(document)
    auth.logout()
    auth.login("outsider")
    assert client.get(url).status_code == 404
    auth.logout()
    auth.login("designer")
    assert client.get(url).status_code == 404


@pytest.mark.skipif(shutil.which("pdftoppm") is None, reason="needs poppler-utils (installed by .ci/run)")
def test_the_agreement_renders_as_a_page_image(world, clock, tmp_path):
    """`JIEFEN_SCREENSHOTS=1` keeps the image as docs/agreement.png for the README."""
    case = written_agreement_case(world)
    [agreement] = [document for document in documents(case) if document.kind == "agreement"]
    source = tmp_path / "agreement.pdf"
    source.write_bytes(pdf_bytes(agreement))
    subprocess.run(["pdftoppm", "-png", "-r", "80", "-f", "1", "-l", "1", "-singlefile", str(source),
                    str(tmp_path / "agreement")], check=True)
    image = tmp_path / "agreement.png"
    assert image.read_bytes().startswith(b"\x89PNG") and image.stat().st_size > 20_000
    if os.environ.get("JIEFEN_SCREENSHOTS"):
        shutil.copy(image, ROOT / "docs" / "agreement.png")


def test_a_step_asks_for_its_documents_and_the_render_job_makes_them_as_of_that_step(world, clock):
    case = f.open_case(world)
    f.step(world, case, "triage_case", f.TRIAGE_L1)
    waiting = db.session.scalars(select(CaseDocument).where(CaseDocument.case_id == case.id)).all()
    assert {d.kind for d in waiting} == {"acceptance_register", "rights_notice"}
    assert all(not d.rendered and d.size is None for d in waiting)
    assert db.session.scalar(select(func.count()).select_from(CaseDocumentContent)) == 0
    assert not db.session.scalars(select(TrailEvent).where(TrailEvent.event == "document_generated")).all()
    clock.shift(days(2))  # rendered later, after the next step: still the paper of the triage
    f.step(world, case, "mediate_on_site", f.ON_SITE_AGREEMENT)
    report = render_pending_documents()
    assert (report.rendered, report.failed_case_ids, report.remaining) == (4, (), 0)
    register = next(d for d in documents(case) if d.kind == "acceptance_register")
    text = pdf_text(register)
    assert "2026年11月24日" in text and "晚十点后停止装修" not in text  # the on-site agreement came later
    assert render_pending_documents().rendered == 0  # each is rendered once


def test_a_document_not_rendered_yet_is_rendered_when_downloaded(client, auth, world, clock):
    case = f.open_case(world)
    f.step(world, case, "triage_case", f.TRIAGE_L1)
    document = db.session.scalar(select(CaseDocument).where(CaseDocument.case_id == case.id).order_by(CaseDocument.id))
    auth.login("supervisor")
    page = client.get(f"/cases/{case.number}").get_data(as_text=True)
    assert 'data-testid="document-pending"' in page
    response = client.get(f"/cases/{case.number}/documents/{document.id}")
    assert response.status_code == 200 and response.data.startswith(b"%PDF-")
    db.session.expire_all()
    assert db.session.get(CaseDocument, document.id).sha256 == hashlib.sha256(response.data).hexdigest()
    assert render_pending_documents().rendered == 0  # the case's other document was rendered with it


def test_a_failed_rendering_loses_nothing_is_shown_and_is_retried(client, auth, world, clock, monkeypatch):
    from app.services.cases import documents as case_documents

    case = f.open_case(world)
    f.step(world, case, "triage_case", f.TRIAGE_L1)

    def broken(html):
        raise RuntimeError("no fonts")

    monkeypatch.setattr(case_documents, "render_pdf", broken)
    report = render_pending_documents()
    assert (report.rendered, report.failed_case_ids, report.remaining) == (0, (case.id,), 2)
    assert f.current_task(case).bpmn_id == "mediate_on_site"  # the step stands
    db.session.expire_all()
    assert {d.render_error for d in db.session.scalars(select(CaseDocument))} == {"RuntimeError: no fonts"}
    assert render_pending_documents().failed_case_ids == ()  # not retried by every run
    auth.login("supervisor")
    assert 'data-testid="document-failed"' in client.get(f"/cases/{case.number}").get_data(as_text=True)
    document = db.session.scalar(select(CaseDocument).order_by(CaseDocument.id))
    failed = client.get(f"/cases/{case.number}/documents/{document.id}")
    assert failed.status_code == 422 and "文书生成失败" in failed.get_data(as_text=True)
    monkeypatch.undo()
    assert render_pending_documents(retry_failed=True).rendered == 2
    db.session.expire_all()
    assert {d.render_error for d in db.session.scalars(select(CaseDocument))} == {None}


def test_the_scheduler_renders_documents_at_start_and_every_few_seconds(app, world, clock):
    from scheduler import build_scheduler
    from scheduler.jobs import render_documents

    case = f.open_case(world)
    f.step(world, case, "triage_case", f.TRIAGE_L1)
    job = build_scheduler(app).get_job("render_documents")
    assert job.trigger.interval.total_seconds() == app.config["DOCUMENT_RENDER_INTERVAL_SECONDS"] == 5
    render_documents(app)
    db.session.expire_all()
    assert all(document.rendered for document in db.session.scalars(select(CaseDocument)))
