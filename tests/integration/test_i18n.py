"""Languages: Chinese by default, English per user (and per browser on public pages); a complete catalogue."""
import re
import subprocess
import sys
from datetime import timedelta
from pathlib import Path

import pytest
from babel.messages.pofile import read_po
from sqlalchemy import select

from app.extensions import db, limiter
from app.models import Address, Category, Notification, User
from app.services import cases, tasks
from app.services.places import GridSpec, create_mediation_room, create_places
from app.services.timers import fire_due_timers
from app.services.users import create_user
from tests import factories as f

ROOT = Path(__file__).resolve().parents[2]
CATALOGUE = ROOT / "app" / "translations" / "en" / "LC_MESSAGES" / "messages.po"
# Ideographs, CJK punctuation (、。「」) and full-width forms (（），：；).
CJK = re.compile(r"[\u3000-\u303f\u3400-\u4dbf\u4e00-\u9fff\uff00-\uffef]")
BPMN_NAMES = sorted(set(re.findall(r'\bname="([^"]*)"', (ROOT / "processes" / "dispute_mediation.bpmn")
                                   .read_text(encoding="utf-8"))), key=len, reverse=True)


def untranslated(page: str) -> list[str]:
    """The Chinese left on a page once the diagram's names and the seeded category labels (data) are gone."""
    labels = [category.label for category in db.session.scalars(select(Category))]
    data = BPMN_NAMES + sorted({*labels, *db.session.scalars(select(Category.name))}, key=len, reverse=True)
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
    tasks.complete_task(ascii_world["dispatcher"], ready(case, "triage_case").id,
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
