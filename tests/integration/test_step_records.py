"""What each step decided, in words: on the case page's trail, on the step's own page, on task pages.

Also the level-3 step's "3+N" participants and its referral to a town's sector mediation body.
"""
import re

import pytest
from sqlalchemy import select

from app.extensions import db
from app.models import SectorBody, Task
from app.models.sector_body import DEFAULT_SECTOR_BODIES
from app.services.cases import tasks
from app.services.cases.step_records import task_record_rows
from app.services.errors import InvalidInputError
from tests import factories as f
from tests.integration.test_pages import form_data, submit

RAW_KEYS = ("session_record", "agreement_form", "judicial_confirmation", "result", "triage_note", "written",
            "agreement", "False", "True")


def visible_text(page: str) -> str:
    """The page's text without tags and attributes (data-* attributes carry field names on purpose)."""
    return re.sub(r"<[^>]+>", " ", page)


def rows_of(task: Task) -> dict[str, str]:
    return {row.label: row.value for row in task_record_rows(task)}


def town_bodies(world) -> list[SectorBody]:
    return list(db.session.scalars(select(SectorBody).where(
        SectorBody.town_id == world.grid.community.town_id).order_by(SectorBody.position)))


def test_a_steps_data_reads_back_with_the_forms_labels_and_choice_texts(world, clock):
    case = f.open_case(world)
    triage = f.step(world, case, "triage_case", f.TRIAGE_L2)
    assert rows_of(triage) == {"纠纷类别": "邻里", "存在引发过激行为（民转刑）的风险，立即移交公安": "否",
                               "分流层级": "二级：调解室调解", "研判意见": "先行现场调解"}
    f.step(world, case, "assess_four_accounts", f.FOUR_ACCOUNTS)
    session = f.step(world, case, "hold_mediation_session", f.SESSION_CONFIRM)
    rows = rows_of(session)
    assert rows["调解结果"] == "调解成功，达成协议"
    assert rows["协议形式"] == "书面协议（人民调解协议书）"
    assert rows["当事人拟申请司法确认"] == "是"
    assert rows["履行期限"] == "2026-12-15"
    assert rows["纠纷的主要事实"] == "李四装修至深夜，噪音影响张三休息"
    assert not set(RAW_KEYS) & set(rows) and not set(RAW_KEYS) & set(rows.values())


def test_the_case_pages_trail_expands_each_step_in_words_and_links_its_page(client, auth, world, clock):
    case = f.open_case(world)
    f.step(world, case, "triage_case", f.TRIAGE_L1)
    on_site = f.step(world, case, "mediate_on_site", f.ON_SITE_AGREEMENT)
    auth.login("supervisor")
    page = client.get(f"/cases/{case.number}").get_data(as_text=True)
    assert page.count('data-testid="trail-step"') == 2
    assert f'href="/tasks/{on_site.id}"' in page
    text = visible_text(page)
    for words in ("现场调解记录", "调解结果", "调解成功，达成协议", "协议形式", "口头协议", "协议内容", "晚十点后停止装修",
                  "分流层级", "一级：现场调解", "履行期限", "2026-12-01"):
        assert words in text, words
    assert not re.search(r"\b(session_record|agreement_form|result|agreement|oral|False)\b", text)
    step_page = visible_text(client.get(f"/tasks/{on_site.id}").get_data(as_text=True))
    assert "调解成功，达成协议" in step_page and "口头协议" in step_page
    assert not re.search(r"\b(session_record|agreement_form|oral)\b", step_page)


def test_a_task_page_shows_the_case_description_parties_and_earlier_results(client, auth, world, clock):
    case = f.open_case(world)
    f.step(world, case, "triage_case", f.TRIAGE_L2)
    f.step(world, case, "assess_four_accounts", f.FOUR_ACCOUNTS)
    session = f.current_task(case)
    auth.login("mediator")
    page = client.get(f"/tasks/{session.id}").get_data(as_text=True)
    assert 'data-testid="task-context"' in page
    assert "张三（申请人）" in page and "李四（被申请人）" in page
    assert page.count('data-testid="earlier-step"') == 2
    assert "研判意见" in page and "先行现场调解" in page and "心理帐" in page


def test_the_joint_consultation_records_the_3_plus_n_participants(client, auth, world, clock):
    case = f.open_case(world)
    f.step(world, case, "triage_case", f.TRIAGE_L3)
    task = f.current_task(case)
    bodies = town_bodies(world)
    assert [body.name for body in bodies] == list(DEFAULT_SECTOR_BODIES)  # a new town gets the default list
    auth.login("panel_member")
    form_page = client.get(f"/tasks/{task.id}").get_data(as_text=True)
    for label in ("法院参加人员", "司法所参加人员", "派出所参加人员", "参加的行业性、专业性调解组织", "驻村律师"):
        assert label in form_page
    data = {**f.CONSULT_AGREEMENT, "sector_bodies": [bodies[0].id, bodies[3].id], "village_lawyer": "王律师"}
    response = client.post(f"/tasks/{task.id}", data=form_data(data))
    assert response.status_code == 302
    rows = rows_of(db.session.get(Task, task.id))
    assert rows["法院参加人员"] == "城关法庭庭长" and rows["驻村律师"] == "王律师"
    assert rows["参加的行业性、专业性调解组织"] == f"{bodies[0].name}、{bodies[3].name}"


def test_the_panel_refers_a_case_to_a_sector_body_of_its_town(client, auth, world, clock):
    case = f.open_case(world)
    f.step(world, case, "triage_case", f.TRIAGE_L3)
    body = town_bodies(world)[2]
    referred = {**f.CONSULT_ENDED, "result": "referred", "referral_route": "", "referral_body": str(body.id)}
    response = submit(client, auth, case, "consult_jointly", {**referred, "referral_body": ""}, "panel_member")
    assert response.status_code == 422 and "移送调解时请选择接收的调解组织" in response.get_data(as_text=True)
    consult = f.step(world, case, "consult_jointly", referred)
    assert rows_of(consult)["会商结果"] == "移送行业性、专业性调解组织调解"
    assert rows_of(consult)["移送的调解组织"] == body.name
    f.step(world, case, "follow_up_visit", f.FOLLOW_UP)
    assert f.reload(case).outcome == "referred_to_sector_body"


def test_a_body_of_another_town_or_a_deactivated_one_is_refused(world, clock):
    case = f.open_case(world)
    f.step(world, case, "triage_case", f.TRIAGE_L3)
    other = db.session.scalar(select(SectorBody).where(SectorBody.town_id == world.other_grid.community.town_id))
    with pytest.raises(InvalidInputError, match="本乡镇"):
        f.step(world, case, "consult_jointly", {**f.CONSULT_AGREEMENT, "sector_bodies": [other.id]})
    assert f.current_task(case).bpmn_id == "consult_jointly"
    mine = town_bodies(world)[0]
    mine.active = False
    db.session.commit()
    with pytest.raises(InvalidInputError):
        tasks.submit_task(world["panel_member"], f.current_task(case).id,
                          {**f.CONSULT_AGREEMENT, "sector_bodies": [mine.id]})


def test_the_admin_keeps_each_towns_list_of_sector_bodies(client, auth, world, runner):
    auth.login("admin")
    town_id = world.grid.community.town_id
    response = client.post("/admin/sector-bodies", data={"town_id": town_id, "name": "物业纠纷调解委员会"})
    assert response.status_code == 302
    page = client.get("/admin/sector-bodies").get_data(as_text=True)
    assert "物业纠纷调解委员会" in page and "城南镇" in page
    added = db.session.scalar(select(SectorBody).where(SectorBody.name == "物业纠纷调解委员会"))
    assert client.post(f"/admin/sector-bodies/{added.id}/active", data={"active": "0"}).status_code == 302
    db.session.expire_all()
    assert db.session.get(SectorBody, added.id).active is False
    auth.logout()
    auth.login("supervisor")
    assert client.get("/admin/sector-bodies").status_code == 403
    result = runner.invoke(args=["seed-sector-bodies", "--town", "城关镇"])
    assert result.exit_code == 0 and "added 0" in result.output
