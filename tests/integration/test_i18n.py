"""Languages: Chinese by default, English per user (and per browser on public pages); a complete catalogue."""
import json
import re
import subprocess
import sys
from datetime import timedelta
from pathlib import Path

import pytest
from babel.messages.pofile import read_po
from flask_babel import refresh
from sqlalchemy import select

from app.extensions import db, limiter
from app.models import Address, Category, Notification, SectorBody, User
from app.services import engine
from app.services.cases import registry as cases
from app.services.cases import tasks
from app.services.errors import ProcessError
from app.services.intake.places import GridSpec, create_mediation_room, create_places
from app.services.people.users import create_user
from app.services.time_limits.timers import fire_due_timers
from tests import factories as f
from tests.designer_samples import diagram
from tests.integration.test_designer_http import FIVE_DAYS_ON_SITE, SHIPPED_ON_SITE_LIMIT
from tests.unit.test_engine import Diagram, saved

pytestmark = pytest.mark.sqlite  # the translations of pages, messages and errors

ROOT = Path(__file__).resolve().parents[2]
CATALOGUE = ROOT / "app" / "translations" / "en" / "LC_MESSAGES" / "messages.po"
# Ideographs, CJK punctuation (、。「」) and full-width forms (（），：；).
CJK = re.compile(r"[\u3000-\u303f\u3400-\u4dbf\u4e00-\u9fff\uff00-\uffef]")
BPMN_NAMES = sorted(set(re.findall(r'\bname="([^"]*)"', (ROOT / "processes" / "dispute_mediation.bpmn")
                                   .read_text(encoding="utf-8"))), key=len, reverse=True)


def untranslated(page: str) -> list[str]:
    """The Chinese left on a page once the diagram's names and the seeded category labels (data) are gone."""
    labels = [category.label for category in db.session.scalars(select(Category))]
    bodies = db.session.scalars(select(SectorBody.name))  # each town's sector mediation bodies: data too
    data = BPMN_NAMES + sorted({*labels, *db.session.scalars(select(Category.name)), *bodies}, key=len, reverse=True)
    for name in data:
        page = page.replace(name, "")
    return sorted({line.strip() for line in page.splitlines() if CJK.search(line)})


@pytest.fixture
def ascii_world(app, deployed):
    """A grid whose places and people have ASCII names, so any Chinese on a page is ours."""
    [grid] = create_places("Eastern Town", [GridSpec("E1", "East Grid 1", "East Community", "East Police Grid",
                                                     ("1 Peace Road",))])
    create_mediation_room("East Mediation Room", "Eastern Town", ["E1"])
    people = {
        "grid_worker": create_user("amy", "Amy Grid", "grid_worker", f.PASSWORD, ["E1"], locale="en"),
        "dispatcher": create_user("dan", "Dan Dispatch", "dispatcher", f.PASSWORD, [], town="Eastern Town",
                                  locale="en"),
        "mediator": create_user("meg", "Meg Mediator", "mediator", f.PASSWORD, [],
                                mediation_room="East Mediation Room", locale="en"),
        "supervisor": create_user("sue", "Sue Supervisor", "supervisor", f.PASSWORD, [], town="Eastern Town",
                                  locale="en"),
        "supervisor_zh": create_user("zhou", "Zhou Supervisor", "supervisor", f.PASSWORD, [], town="Eastern Town"),
    }
    return {"grid": grid, **{role: db.session.get(User, user.id) for role, user in people.items()}}


def open_ascii_case(world, title="Noise upstairs"):
    return cases.open_case(world["grid_worker"], cases.NewCase(
        title=title, source="grid_patrol", category_id=None, grid_id=world["grid"].id,
        parties=[cases.NewParty("Zhang San", "applicant", "13800000001"), cases.NewParty("Li Si", "respondent")],
    ))


def ready(case, bpmn_id):
    return next(task for task in f.ready_tasks(case) if task.bpmn_id == bpmn_id)


def test_pages_are_chinese_by_default(client, auth, world, clock):
    case = f.open_case(world)
    auth.login("grid_worker")
    for url in ("/tasks/", "/cases/", f"/cases/{case.number}"):
        page = client.get(url).get_data(as_text=True)
        assert '<html lang="zh-CN">' in page and "我的任务" in page and "My tasks" not in page
    assert "全过程留痕" in client.get(f"/cases/{case.number}").get_data(as_text=True)


def test_an_english_user_sees_english_on_the_main_pages_and_no_chinese_of_ours(client, auth, ascii_world, clock):
    case = open_ascii_case(ascii_world)
    triage = ready(case, "triage_case")
    auth.login("dan")
    pages = {
        "/tasks/": ["My tasks", "Unclaimed", "On time", "Dispatcher (governance centre)", "Level 1 on site"],
        "/tasks/team": ["Team tasks", "Filter"],
        "/cases/": ["Cases", "Grid worker's patrol", "Open", "All statuses"],
        f"/cases/{case.number}": ["Status", "Parties", "Zhang San (Applicant)", "Case registered", "Task created",
                                  "Trail", "East Grid 1 (East Police Grid)", "Comments and attachments"],
        f"/tasks/{triage.id}": ["Claim", "Dispute category", "Tier", "Triage notes", "Complete task"],
        "/notifications/": ["Notifications", "No notifications."],
        "/cases/new": ["Register case", "Source of case", "Respondent"],
        "/settings/": ["Settings", "Language"],
    }
    for url, expected in pages.items():
        response = client.get(url)
        page = response.get_data(as_text=True)
        assert response.status_code == 200, url
        assert '<html lang="en">' in page, url
        for text in expected:
            assert text in page, (url, text)
        # The one Chinese word meant to be there: the language's own name among the choices.
        assert untranslated(page.replace('<span lang="zh-CN">中文</span>', "")) == [], url


def test_task_form_labels_and_validation_errors_in_english(client, auth, ascii_world, clock):
    case = open_ascii_case(ascii_world)
    triage = ready(case, "triage_case")
    auth.login("dan")
    response = client.post(f"/tasks/{triage.id}", data={"tier": "1"})
    page = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "Please choose a dispute category." in page and "Please fill in this field." in page
    assert "The form has errors; please correct them as shown." in page  # the flash
    assert untranslated(page) == []


def test_flash_messages_and_trail_event_names_in_english(client, auth, ascii_world, clock):
    case = open_ascii_case(ascii_world)
    triage = ready(case, "triage_case")
    auth.login("dan")
    page = client.post(f"/tasks/{triage.id}/claim", follow_redirects=True).get_data(as_text=True)
    assert "Task claimed." in page and "已认领该任务" not in page
    page = client.get(f"/cases/{case.number}").get_data(as_text=True)
    assert "Task claimed" in page and "Dan Dispatch" in page
    assert untranslated(page) == []


def test_due_state_badges_supervision_list_and_notifications_in_the_readers_language(client, auth, ascii_world, clock):
    case = open_ascii_case(ascii_world)
    tasks.submit_task(ascii_world["dispatcher"], ready(case, "triage_case").id,
                        {**f.TRIAGE_L1, "category": "neighbour", "triage_note": "on site first"})
    clock.shift(timedelta(days=3, hours=1))
    fire_due_timers()
    clock.shift(timedelta(days=3, hours=1))
    fire_due_timers()
    messages = {user.username: [note.message for note in db.session.scalars(
        select(Notification).where(Notification.user_id == user.id).order_by(Notification.id))]
        for user in (ascii_world["supervisor"], ascii_world["supervisor_zh"])}
    assert any("yellow card" in message for message in messages["sue"])
    assert any("red card" in message for message in messages["sue"])
    assert not any(CJK.search(message.replace(case.number, "")) for message in messages["sue"])
    assert any("亮黄牌督办" in message for message in messages["zhou"])  # each in their own language

    auth.login("sue")
    for url, expected in {
        "/supervision/weekly": ["Supervision lists", "Weekly list", "Supervised-handling slip (red card)", "Red card"],
        "/supervision/supervised": ["Supervised-handling slip (red card)", "East Grid 1"],
        "/notifications/": ["Mark all as read", "yellow card"],
        f"/cases/{case.number}": ["Red card", "Card raised", "Time limit reached"],
    }.items():
        page = client.get(url).get_data(as_text=True)
        for text in expected:
            assert text in page, (url, text)
        assert untranslated(page) == [], url
    csv = client.get("/supervision/weekly.csv").get_data(as_text=True)
    assert csv.splitlines()[0].lstrip("\ufeff").startswith("List,Case number,Title")
    auth.logout()
    auth.login("meg")  # escalated to the mediation room after 3 days on site
    page = client.get("/tasks/").get_data(as_text=True)
    assert 'data-state="red"' in page and "Red card" in page


def test_public_resident_pages_follow_the_browsers_language(client, world, clock):
    limiter.reset()
    plate = db.session.scalar(select(Address.plate_token).where(Address.text == "和平路12号"))
    english = client.get(f"/r/{plate}", headers={"Accept-Language": "en-GB,en;q=0.9"}).get_data(as_text=True)
    assert '<html lang="en">' in english and "Report a dispute" in english and "Your name" in english
    assert "群众自报纠纷" not in english
    chinese = client.get(f"/r/{plate}", headers={"Accept-Language": "zh-CN,zh;q=0.9,en;q=0.5"}).get_data(as_text=True)
    assert '<html lang="zh-CN">' in chinese and "群众自报纠纷" in chinese
    assert "群众自报纠纷" in client.get(f"/r/{plate}").get_data(as_text=True)  # no header: Chinese
    refused = client.post(f"/r/{plate}", data={"title": "x"}, headers={"Accept-Language": "en"})
    assert refused.status_code == 422 and "Please tick the box to agree" in refused.get_data(as_text=True)
    track = client.get("/track", query_string={"code": "NOPE-NOPE-NOPE"}, headers={"Accept-Language": "en"})
    assert "No case has this tracking code" in track.get_data(as_text=True)
    limiter.reset()


def test_api_errors_follow_accept_language(client, world):
    assert client.get("/api/v1/tasks").get_json()["message"].startswith("缺少或无效的 API 令牌")
    body = client.get("/api/v1/tasks", headers={"Accept-Language": "en"}).get_json()
    assert body["message"] == "Missing or invalid API token (Authorization: Bearer <token>)."


def test_switching_the_language_persists(client, auth, world, clock):
    auth.login("grid_worker")
    assert "我的任务" in client.get("/tasks/").get_data(as_text=True)
    response = client.post("/settings/", data={"locale": "en"}, follow_redirects=True)
    page = response.get_data(as_text=True)
    assert "Settings saved." in page and '<html lang="en">' in page
    assert db.session.get(User, world["grid_worker"].id).locale == "en"
    auth.logout()
    auth.login("grid_worker")
    assert "My tasks" in client.get("/tasks/").get_data(as_text=True)
    assert client.post("/settings/", data={"locale": "fr"}).status_code == 200
    assert db.session.get(User, world["grid_worker"].id).locale == "en"
    client.post("/settings/", data={"locale": "zh_CN"})
    assert "我的任务" in client.get("/tasks/").get_data(as_text=True)


def test_create_user_takes_a_locale(runner, world):
    result = runner.invoke(args=["create-user", "--username", "eve", "--role", "grid_worker", "--password",
                                 "long-enough", "--grid", "G1", "--locale", "en"])
    assert result.exit_code == 0, result.output
    assert db.session.scalar(select(User.locale).where(User.username == "eve")) == "en"
    refused = runner.invoke(args=["create-user", "--username", "eve", "--role", "nobody", "--password", "x"])
    assert refused.exit_code != 0 and "角色必须是" in refused.output  # service messages work outside a request


def test_every_message_is_translated_and_the_catalogue_is_up_to_date(tmp_path):
    with CATALOGUE.open("rb") as handle:
        catalogue = read_po(handle)
    messages = {message.id: message.string for message in catalogue if message.id}
    assert messages and all(messages.values()), [key for key, value in messages.items() if not value]
    pot = tmp_path / "messages.pot"
    subprocess.run([str(Path(sys.executable).with_name("pybabel")), "extract", "-F", "babel.cfg",
                    "-k", "_l", "-k", "lazy_gettext", "-o", str(pot), "."], cwd=ROOT, check=True, capture_output=True)
    with pot.open("rb") as handle:
        extracted = {message.id for message in read_po(handle) if message.id}
    assert extracted - set(messages) == set(), "run `make update-messages` and translate the new strings"
    assert set(messages) - extracted == set(), "the catalogue has messages no code uses: `make update-messages`"


# --- The designer, the engine's messages and the API document -------------------------------------

DESIGNER_MESSAGES = re.compile(r'<script type="application/json" id="designer-messages">(.*?)</script>', re.S)


def designer_messages(page: str) -> dict:
    return json.loads(DESIGNER_MESSAGES.search(page).group(1))


def without_diagram_names(text: str, bpmn_xml: str) -> str:
    for name in sorted(set(re.findall(r'\bname="([^"]*)"', bpmn_xml)), key=len, reverse=True):
        text = text.replace(name, "")
    return text


@pytest.fixture
def english_designer(ascii_world, client, auth):
    create_user("dee", "Dee Designer", "designer", f.PASSWORD, [], locale="en")
    auth.login("dee")
    return ascii_world


def test_the_designers_pages_and_script_texts_are_english_for_an_english_designer(client, english_designer, clock):
    key = "dispute_mediation"
    edit = client.get(f"/designer/{key}/edit").get_data(as_text=True)
    assert "Save draft" in edit and untranslated(edit) == []
    messages = designer_messages(edit)
    assert messages["deployed"] == "Deployed as v{version}." and messages["draftSaved"] == "Draft saved."
    assert not [text for text in messages.values() if CJK.search(text)]
    # The Chinese page has the same keys and placeholders, in Chinese.
    client.post("/settings/", data={"locale": "zh_CN"})
    chinese = designer_messages(client.get(f"/designer/{key}/edit").get_data(as_text=True))
    assert chinese.keys() == messages.keys() and chinese["deployed"] == "已部署为 v{version}。"
    client.post("/settings/", data={"locale": "en"})

    assert client.post(f"/designer/{key}/deploy", json={"xml": FIVE_DAYS_ON_SITE}).get_json()["version"] == 2
    for url in (f"/designer/{key}/", f"/designer/{key}/diff?old=1&new=2", "/designer/"):
        page = client.get(url).get_data(as_text=True)
        assert untranslated(page) == [], url
    changes = client.get(f"/designer/{key}/diff?old=1&new=2&format=json").get_json()["changed"]
    assert [line for change in changes for line in change["changes"] if line.endswith("→ P5D")] == [
        f"Timer timeDuration: {SHIPPED_ON_SITE_LIMIT} → P5D"]
    # The texts of the read-only diagrams (diagram.js) on the process page.
    shown = designer_messages(client.get(f"/designer/{key}/").get_data(as_text=True))
    assert shown["timerDue"] == "{timer} due: {due}" and shown["waiting"] == "Waiting {count}"


def test_a_failed_deploys_problems_are_english_for_an_english_designer(client, english_designer):
    broken = diagram(form_key="", groups="nobody", default="", condition="__import__('os').system('id')",
                     timer="<bpmn:timeDuration>P3X</bpmn:timeDuration>",
                     extra='<bpmn:scriptTask id="sneaky" name="偷偷执行" />')
    response = client.post("/designer/tiny/deploy", json={"xml": broken})
    body = response.get_json()
    assert response.status_code == 422 and body["message"] == (
        f"The process has {len(body['problems'])} problems and was not deployed.")
    problems = [problem["message"] for problem in body["problems"]]
    assert "The user task names no form: choose one under “Form” on the right (camunda:formKey)." in problems
    assert "Unknown roles: nobody. Choose existing roles under “Roles” on the right." in problems
    assert ('Invalid timer: "P3X" is not an ISO 8601 duration (e.g. P3D, PT24H). Correct its value under “Timer” '
            'on the right.') in problems
    assert any(message.startswith("The condition “__import__") and "is not allowed" in message for message in problems)
    assert any(message.startswith("The splitting gateway has no default path") for message in problems)
    assert any(message.startswith("Script tasks are not run") for message in problems)
    leftover = without_diagram_names(json.dumps(body, ensure_ascii=False), broken)
    assert not CJK.search(leftover), leftover
    not_xml = client.post("/designer/tiny/deploy", json={"xml": "<nope"}).get_json()
    assert not_xml["problems"][0]["message"].startswith("The BPMN file is not well-formed XML")


def test_engine_errors_while_running_a_case_follow_the_readers_language(app):
    """The engine's messages are made in the language of the request (or the CLI's, the scheduler's: Chinese)."""
    definition = diagram(condition="no_such_field == 1")
    state = engine.start_workflow(Diagram(definition), {})
    task_id = state.ready_tasks[0].engine_task_id
    with app.test_request_context(headers={"Accept-Language": "en"}):
        refresh()  # as every request does (app/i18n.py): the tests' app context has cached Chinese
        with pytest.raises(ProcessError) as english:
            engine.complete_task(saved(state, definition), task_id, {})
        assert english.value.message.startswith("The process cannot go on (step 是否履行): Expression")
        assert engine.timer_expression_problem("") == "The timer has no duration or time set"
    with app.test_request_context():
        refresh()
        with pytest.raises(ProcessError) as chinese:
            engine.complete_task(saved(state, definition), task_id, {})
        assert chinese.value.message.startswith("流程无法继续（环节 是否履行）：表达式")


def test_deploy_processes_on_the_command_line_lists_each_problem_in_chinese(app, runner, tmp_path, monkeypatch):
    (tmp_path / "tiny.bpmn").write_text(diagram(form_key="", timer="<bpmn:timeDuration>P3X</bpmn:timeDuration>"),
                                        encoding="utf-8")
    monkeypatch.setitem(app.config, "PROCESSES_DIR", str(tmp_path))
    result = runner.invoke(args=["deploy-processes"])
    assert result.exit_code != 0
    assert "流程有 2 处问题，未部署。" in result.output
    assert "回访 [visit]: 用户任务没有指定表单：请在右侧“表单”中选择一个（camunda:formKey）。" in result.output
    assert "回访时限 [visit_deadline]: 计时器无效：“P3X” 不是 ISO 8601 时长" in result.output


def test_the_api_document_follows_accept_language(client, world):
    english = client.get("/api/v1/openapi.json", headers={"Accept-Language": "en"}).get_json()
    assert english["info"]["title"] == "Jiefen API"
    assert english["paths"]["/handoffs"]["post"]["summary"] == "Hand a non-police call to mediation"
    assert untranslated(json.dumps(english, ensure_ascii=False, indent=1)) == []
    chinese = client.get("/api/v1/openapi.json").get_json()
    assert chinese["info"]["title"] == "解纷 Jiefen API" and chinese["paths"]["/tasks"]["get"]["summary"] == "本系统可办理的任务"
