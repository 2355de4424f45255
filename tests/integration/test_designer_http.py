"""The designer's HTTP endpoints: drafts, validated deploys, versions, diff, roll back, migration, diagrams."""
import re
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from app.extensions import db
from app.models import (
    CaseRoute,
    PendingTimer,
    ProcessDefinition,
    ProcessDraft,
    ProcessEvent,
    TrailEvent,
    WorkflowState,
)
from app.services.cases import registry as cases
from app.services.people import access
from app.services.time_limits.timers import fire_due_timers
from tests import factories as f
from tests.conftest import PROCESSES_DIR, START
from tests.designer_samples import diagram

KEY = "dispute_mediation"
SHIPPED = (PROCESSES_DIR / f"{KEY}.bpmn").read_text(encoding="utf-8")
ON_SITE_TIMER = re.compile(r'(<bpmn:boundaryEvent id="on_site_deadline".*?<bpmn:timeDuration[^>]*>)"?P3D"?(<)', re.S)
FIVE_DAYS_ON_SITE = ON_SITE_TIMER.sub(r"\1P5D\2", SHIPPED, count=1)
SHIPPED_ON_SITE_LIMIT = ON_SITE_TIMER.search(SHIPPED).group(0).split(">")[-1][:-1]  # P3D, quoted or not


def deploy(client, xml, key=KEY):
    return client.post(f"/designer/{key}/deploy", json={"xml": xml})


def snapshot():
    """Everything a deploy may change."""
    return (
        db.session.scalar(select(func.count()).select_from(ProcessDefinition)),
        db.session.scalar(select(func.count()).select_from(ProcessEvent)),
        [(d.key, d.bpmn_xml) for d in db.session.scalars(select(ProcessDraft).order_by(ProcessDraft.key))],
    )


def case_version(case) -> int:
    return db.session.scalar(
        select(ProcessDefinition.version).join(WorkflowState, WorkflowState.definition_id == ProcessDefinition.id)
        .where(WorkflowState.case_id == case.id)
    )


@pytest.fixture
def designer(world, client, auth):
    auth.login("designer")
    return world["designer"]


def at_on_site(world):
    case = f.open_case(world)
    f.step(world, case, "triage_case", f.TRIAGE_L1)
    return case


def test_the_fixture_changes_exactly_the_on_site_limit():
    assert SHIPPED_ON_SITE_LIMIT in ('P3D', '"P3D"')
    changed = [(a, b) for a, b in zip(SHIPPED.splitlines(), FIVE_DAYS_ON_SITE.splitlines()) if a != b]
    assert len(changed) == 1 and changed[0][1].strip() == '<bpmn:timeDuration xsi:type="bpmn:tFormalExpression">P5D</bpmn:timeDuration>'


def test_a_deploy_makes_a_new_version_that_new_cases_use_and_running_cases_do_not(designer, world, client, clock):
    old_case = at_on_site(world)
    answer = deploy(client, FIVE_DAYS_ON_SITE)
    assert answer.status_code == 200
    assert answer.get_json() == {"key": KEY, "version": 2, "created": True, "url": f"/designer/{KEY}/"}
    v2 = db.session.scalars(select(ProcessDefinition).where(ProcessDefinition.version == 2)).one()
    assert v2.deployed_by_id == designer.id and v2.bpmn_xml == FIVE_DAYS_ON_SITE
    [event] = db.session.scalars(select(ProcessEvent)).all()
    assert (event.event, event.version, event.actor_id, event.data["checksum"]) == (
        "definition_deployed", 2, designer.id, v2.checksum)

    new_case = at_on_site(world)
    assert (case_version(old_case), case_version(new_case)) == (1, 2)
    assert f.current_task(old_case).due_at == START + timedelta(days=3)
    assert f.current_task(new_case).due_at == START + timedelta(days=5)

    page = client.get("/designer/")
    assert page.status_code == 200 and "v2" in page.text and "designer 用户" in page.text


def test_deploying_the_same_diagram_again_creates_nothing(designer, client):
    answer = deploy(client, SHIPPED)
    assert answer.status_code == 200 and answer.get_json()["created"] is False
    assert db.session.scalar(select(func.count()).select_from(ProcessEvent)) == 0


def test_a_valid_new_process_deploys_as_version_one(designer, client):
    answer = deploy(client, diagram(), key="tiny")
    assert answer.status_code == 200 and answer.get_json()["version"] == 1


@pytest.mark.parametrize("xml, element_ids, text", [
    ("<bpmn:definitions", [""], "XML"),
    (diagram(form_key="no_such_form"), ["visit"], "表单"),
    (diagram(groups="wizard"), ["visit"], "角色"),
    (diagram(groups=None), ["visit"], "角色"),
    (diagram(default=""), ["kept", "f_late"], "默认路径"),
    (diagram(condition="__import__('os').system('id') == 0"), ["f_ok"], "不被允许"),
    (diagram(condition="().__class__.__base__.__subclasses__()"), ["f_ok"], "不被允许"),
    (diagram(condition="10**10**10 == 1"), ["f_ok"], "exponent"),
    (diagram(timer='<bpmn:timeDuration xsi:type="bpmn:tFormalExpression">P3X</bpmn:timeDuration>'),
     ["visit_deadline"], "计时器"),
    (diagram(extra='<bpmn:endEvent id="island" name="孤岛" />'), ["island"], "无法到达"),
    (diagram(extra='<bpmn:scriptTask id="code" name="代码"><bpmn:script>x=1</bpmn:script></bpmn:scriptTask>'),
     ["code"], "脚本"),
    (diagram(extra='<bpmn:serviceTask id="call" name="调用" />'), ["call"], "服务任务"),
    (diagram(extra='<bpmn:noSuchTask id="odd" />'), [""], "不符合 BPMN 规范"),
    # the diagram's process id must be the process being deployed
    (SHIPPED.replace(f'process id="{KEY}"', 'process id="other_process"'), ["other_process"], "应为"),
])
def test_an_invalid_diagram_is_refused_with_every_problem_and_changes_nothing(designer, client, xml, element_ids,
                                                                            text):
    client.post(f"/designer/{KEY}/draft", json={"xml": SHIPPED})
    before = snapshot()
    answer = deploy(client, xml, key="tiny" if 'id="tiny"' in xml else KEY)
    assert answer.status_code == 422
    body = answer.get_json()
    assert [p["element_id"] for p in body["problems"]][:len(element_ids)] == element_ids
    assert any(text in p["message"] + p["details"] for p in body["problems"])
    assert all(set(p) == {"element_id", "element_name", "message", "details"} for p in body["problems"])
    assert snapshot() == before


def test_hostile_and_oversized_uploads_are_refused(designer, client):
    hostile = ('<?xml version="1.0"?><!DOCTYPE d [<!ENTITY x SYSTEM "file:///etc/passwd">]>'
               + SHIPPED.split("?>", 1)[1].replace('name="立案登记"', 'name="&x;"'))
    answer = deploy(client, hostile)
    assert answer.status_code == 422 and "安全" in answer.get_json()["problems"][0]["message"]
    huge = client.post(f"/designer/{KEY}/draft", json={"xml": "x" * (3 * 1024 * 1024)})
    assert huge.status_code == 413
    assert db.session.scalar(select(func.count()).select_from(ProcessDraft)) == 0


@pytest.mark.parametrize("role", ["grid_worker", "supervisor", "dispatcher", "police_officer"])
def test_only_designers_and_admins_may_save_or_deploy(world, client, auth, role):
    auth.login(role)
    before = snapshot()
    assert deploy(client, FIVE_DAYS_ON_SITE).status_code == 403
    assert client.post(f"/designer/{KEY}/draft", json={"xml": SHIPPED}).status_code == 403
    assert client.post(f"/designer/{KEY}/v1/rollback").status_code == 403
    assert client.get("/designer/").status_code == 403
    assert client.get(f"/designer/{KEY}/edit").status_code == 403
    assert snapshot() == before


def test_an_admin_may_deploy(world, client, auth):
    auth.login("admin")
    assert deploy(client, FIVE_DAYS_ON_SITE).status_code == 200


def test_a_draft_is_saved_reopened_and_done_once_deployed(designer, client):
    assert client.post(f"/designer/{KEY}/draft", json={"xml": FIVE_DAYS_ON_SITE}).status_code == 200
    page = client.get(f"/designer/{KEY}/edit")
    assert page.status_code == 200 and "P5D" in page.text and "bpmn-modeler.production.min.js" in page.text
    assert "cdn" not in page.text.lower() and "unpkg" not in page.text
    deploy(client, FIVE_DAYS_ON_SITE)
    assert db.session.scalar(select(func.count()).select_from(ProcessDraft)) == 0
    assert "P5D" not in client.get(f"/designer/{KEY}/edit?version=1").text


def test_a_new_process_opens_blank(designer, client):
    answer = client.post("/designer/new", data={"key": "street_patrol"})
    assert answer.status_code == 302 and answer.headers["Location"].endswith("/designer/street_patrol/edit")
    assert 'bpmn:process id=\\"street_patrol\\"' in client.get("/designer/street_patrol/edit").text


def test_diff_of_two_versions(designer, client):
    deploy(client, FIVE_DAYS_ON_SITE.replace('name="研判分流"', 'name="研判"'))
    body = client.get(f"/designer/{KEY}/diff?old=1&new=2&format=json").get_json()
    assert body["added"] == [] and body["removed"] == []
    changed = {c["element_id"]: c["changes"] for c in body["changed"]}
    assert changed == {"triage_case": ["名称：研判分流 → 研判"],
                       "on_site_deadline": [f"计时器 timeDuration：{SHIPPED_ON_SITE_LIMIT} → P5D"]}
    page = client.get(f"/designer/{KEY}/diff?old=1&new=2")
    assert page.status_code == 200 and "研判分流 → 研判" in page.text


def test_roll_back_deploys_an_older_version_as_the_newest(designer, world, client, clock):
    deploy(client, FIVE_DAYS_ON_SITE)
    answer = client.post(f"/designer/{KEY}/v1/rollback")
    assert answer.status_code == 302
    v1, v3 = (db.session.scalars(select(ProcessDefinition).where(ProcessDefinition.version == v)).one() for v in (1, 3))
    assert v3.bpmn_xml == v1.bpmn_xml and v3.deployed_by_id == designer.id
    events = db.session.scalars(select(ProcessEvent).order_by(ProcessEvent.id)).all()
    assert [(e.event, e.version, e.data.get("from_version")) for e in events] == [
        ("definition_deployed", 2, None), ("definition_rolled_back", 3, 1)]
    case = at_on_site(world)
    assert case_version(case) == 3 and f.current_task(case).due_at == START + timedelta(days=3)
    page = client.get(f"/designer/{KEY}/")
    assert page.status_code == 200 and "回滚" in page.text


def test_a_migration_moves_a_case_and_its_task_and_keeps_its_timer_due_times(designer, world, client, clock):
    case = at_on_site(world)
    task = f.current_task(case)
    timers_before = {t.bpmn_id: t.due_at for t in db.session.scalars(select(PendingTimer))}
    deploy(client, FIVE_DAYS_ON_SITE)
    clock.shift(timedelta(days=1))

    listing = client.get(f"/designer/{KEY}/v1/migrate")
    assert listing.status_code == 200 and case.number in listing.text and "可以迁移" in listing.text
    answer = client.post(f"/designer/{KEY}/v1/migrate", data={"case_id": case.id, "to_version": 2})
    assert answer.status_code == 200 and f"{case.number}：已迁移" in answer.text

    db.session.expire_all()
    assert case_version(case) == 2
    moved = f.current_task(case)
    assert (moved.id, moved.engine_task_id, moved.bpmn_id) == (task.id, task.engine_task_id, "mediate_on_site")
    assert moved.due_at == START + timedelta(days=3)  # not 1 + 5 days: the clock did not restart
    assert {t.bpmn_id: t.due_at for t in db.session.scalars(select(PendingTimer))} == timers_before
    [migrated] = db.session.scalars(
        select(TrailEvent).where(TrailEvent.case_id == case.id, TrailEvent.event == "case_migrated")).all()
    assert (migrated.actor_id, migrated.data) == (designer.id, {"process": KEY, "from": 1, "to": 2})
    assert db.session.scalars(select(ProcessEvent).where(ProcessEvent.event == "case_migrated")).one().data[
        "case"] == case.number

    clock.move_to(START + timedelta(days=3, minutes=1))
    fire_due_timers()
    assert f.current_task(f.reload(case)).bpmn_id == "assess_four_accounts"
    assert f.reload(case).card == "yellow"


def test_a_migration_that_gives_the_current_step_to_other_roles_routes_the_case_to_them(
        designer, world, client, clock):
    """A mediator sees a case once a task of it names the mediators, whether a step or a migrated version
    made that task; the roles no task names any more lose the route."""
    case = at_on_site(world)
    assert not access.can_see_case(world["mediator"], case.id)
    to_the_room = SHIPPED.replace('camunda:candidateGroups="grid_worker,police_officer"',
                                  'camunda:candidateGroups="grid_worker,mediator"', 1)
    refused = deploy(client, to_the_room)  # the police officers lose the step: confirmed once more
    assert refused.status_code == 409
    assert client.post(f"/designer/{KEY}/deploy", json={
        "xml": to_the_room, "confirm": refused.get_json()["confirmation"]["checksum"]}).status_code == 200
    answer = client.post(f"/designer/{KEY}/v1/migrate", data={"case_id": case.id, "to_version": 2})
    assert f"{case.number}：已迁移" in answer.text

    db.session.expire_all()
    assert f.current_task(case).roles == ["grid_worker", "mediator"]
    assert set(db.session.scalars(select(CaseRoute.role).where(CaseRoute.case_id == case.id))) == {
        "dispatcher", "grid_worker", "mediator"}
    db.session.commit()  # a new transaction: the answers of the one before are not kept
    assert access.can_see_case(world["mediator"], case.id)
    assert case.id in {row.id for row in cases.list_cases(world["mediator"]).items}


def test_a_case_whose_task_is_gone_in_the_new_version_is_listed_with_the_reason(designer, world, client, clock):
    case = at_on_site(world)
    renamed = SHIPPED.replace('"mediate_on_site"', '"mediate_in_person"').replace(
        "mediate_on_site_", "mediate_in_person_").replace("_mediate_on_site", "_mediate_in_person")
    refused = deploy(client, renamed)
    assert refused.status_code == 409
    assert client.post(f"/designer/{KEY}/deploy", json={
        "xml": renamed, "confirm": refused.get_json()["confirmation"]["checksum"]}).status_code == 200
    state_before = db.session.get(WorkflowState, case.id).state
    listing = client.get(f"/designer/{KEY}/v1/migrate")
    assert "当前任务在新版本中不存在：一级：现场调解" in listing.text
    answer = client.post(f"/designer/{KEY}/v1/migrate", data={"case_id": case.id, "to_version": 2})
    assert f"{case.number}：当前任务在新版本中不存在" in answer.text
    db.session.expire_all()
    assert case_version(case) == 1 and db.session.get(WorkflowState, case.id).state == state_before
    assert not db.session.scalars(select(TrailEvent).where(TrailEvent.event == "case_migrated")).all()


def test_the_case_diagram_shows_the_cases_own_version_and_position(world, client, auth, clock):
    case = at_on_site(world)
    auth.login("designer")
    deploy(client, FIVE_DAYS_ON_SITE)
    auth.login("grid_worker")
    body = client.get(f"/cases/{case.number}/diagram").get_json()
    assert body["version"] == 1 and body["xml"] == SHIPPED
    assert {"case_registered", "triage_case", "check_risk"} <= set(body["completed"])
    assert body["current"] == ["mediate_on_site"]
    timers = {t["bpmn_id"]: t["due_at"] for t in body["timers"]}
    assert timers["on_site_deadline"] == (START + timedelta(days=3)).isoformat()
    page = client.get(f"/cases/{case.number}")
    assert 'data-testid="case-diagram"' in page.text and "bpmn-navigated-viewer.production.min.js" in page.text


def test_the_case_diagram_has_the_case_pages_access_check(world, client, auth):
    case = f.open_case(world)
    auth.login("outsider")
    assert client.get(f"/cases/{case.number}/diagram").status_code == 404
    auth.login("designer")  # designers see no cases
    assert client.get(f"/cases/{case.number}/diagram").status_code == 404


def test_the_heatmap_counts_ready_tasks_and_cards_per_step(world, client, auth, clock):
    at_on_site(world)
    f.open_case(world, "第二件")
    f.open_case(world, "第三件")
    auth.login("supervisor")
    body = client.get(f"/designer/{KEY}/heatmap.json").get_json()
    assert body["counts"] == [
        {"bpmn_id": "mediate_on_site", "waiting": 1, "yellow": 0, "red": 0},
        {"bpmn_id": "triage_case", "waiting": 2, "yellow": 0, "red": 0},
    ]
    clock.move_to(START + timedelta(days=3, minutes=1))
    fire_due_timers()
    body = client.get(f"/designer/{KEY}/heatmap.json").get_json()
    assert body["counts"] == [
        {"bpmn_id": "assess_four_accounts", "waiting": 1, "yellow": 1, "red": 0},
        {"bpmn_id": "triage_case", "waiting": 2, "yellow": 2, "red": 0},
    ]
    page = client.get(f"/designer/{KEY}/")
    assert page.status_code == 200 and 'data-testid="heatmap"' in page.text
    auth.login("grid_worker")
    assert client.get(f"/designer/{KEY}/heatmap.json").status_code == 403


def test_the_migration_page_counts_cases_per_step_and_shows_no_titles_the_user_may_not_see(world, client, auth, clock):
    first, second = at_on_site(world), f.open_case(world, title="邻里漏水")
    auth.login("designer")
    deploy(client, FIVE_DAYS_ON_SITE)
    page = client.get(f"/designer/{KEY}/v1/migrate").text
    assert first.number in page and second.number in page  # numbers, to choose what to migrate
    assert first.title not in page and second.title not in page
    assert f"/cases/{first.number}" not in page
    steps = re.findall(r'<tr data-testid="migration-step"><td>(.*?)</td><td>(\d+)</td><td>(\d+)</td></tr>', page)
    assert sorted(steps) == sorted([("一级：现场调解", "1", "1"), ("研判分流", "1", "1")])
    auth.logout()
    auth.login("admin")  # sees every case
    page = client.get(f"/designer/{KEY}/v1/migrate").text
    assert first.title in page and f"/cases/{first.number}" in page
