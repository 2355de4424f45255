"""The authorization matrix, cell by cell: every role × in/out of scope × action, through the pages.

EXPECTED is the specification written out by hand (not read from app/services/people/access.py): "ok" means
the action succeeds with its exact answer in SUCCEEDS (200, or 302 to a named page); a number is the refusal's
status code, and a refused action changes nothing.
Out of scope every case-bound action answers 404 — the case does not exist for the user. Registering
a case on a grid outside the scope is refused by the form, which offers only the grids in scope (422);
roles that may not register at all are refused the page (403).
"""
import re
from io import BytesIO

import pytest
from sqlalchemy import func, select

from app.extensions import db
from app.models import Attachment, CaseComment, DisputeCase, Grid, Task, TrailEvent, User
from app.services.cases import files as case_files
from app.services.cases import registry as cases
from app.services.cases import tasks
from tests import factories as f
from tests.integration.test_pages import form_data
from tests.shared_rows import shared

ACTIONS = ("view_case", "view_task", "complete_task", "claim_task", "assign_task", "add_comment",
           "add_attachment", "download_attachment", "register_case")
WORKER = dict.fromkeys(ACTIONS, "ok")
EXPECTED_IN_SCOPE = {
    "grid_worker": WORKER,
    "police_officer": WORKER,
    "dispatcher": WORKER,
    "mediator": WORKER,
    "panel_member": {**WORKER, "register_case": 403},
    "supervisor": {**dict.fromkeys(ACTIONS, 403), "view_case": "ok", "view_task": "ok", "download_attachment": "ok"},
    "designer": {**dict.fromkeys(ACTIONS, 404), "register_case": 403},
    # the admin is no candidate of any task, but hands out work anywhere
    "admin": {**WORKER, "complete_task": 403, "claim_task": 403},
}
EXPECTED_OUT_OF_SCOPE = {
    role: {**dict.fromkeys(ACTIONS, 404), "register_case": 422 if expected["register_case"] == "ok" else 403}
    for role, expected in EXPECTED_IN_SCOPE.items() if role != "admin"  # the admin's scope is everywhere
}
CELLS = [(role, "in", action, EXPECTED_IN_SCOPE[role][action]) for role in EXPECTED_IN_SCOPE for action in ACTIONS]
CELLS += [(role, "out", action, EXPECTED_OUT_OF_SCOPE[role][action])
          for role in EXPECTED_OUT_OF_SCOPE for action in ACTIONS]

# What a successful action answers: a page (200), or a redirect (302) to the page named by a template
# filled with the case's number, the task's id and the number of the case just registered.
SUCCEEDS = {
    "view_case": (200, None),
    "view_task": (200, None),
    "download_attachment": (200, None),
    "complete_task": (302, "/cases/{case}"),
    "claim_task": (302, "/tasks/{task}"),
    "assign_task": (302, "/tasks/{task}"),
    "add_comment": (302, "/cases/{case}#case-file"),
    "add_attachment": (302, "/cases/{case}#case-file"),
    "register_case": (302, "/cases/{registered}"),
}
assert set(SUCCEEDS) == set(ACTIONS)

# The stage each role's case is at: a task the role is a candidate for, where it has one.
STAGES = {
    "grid_worker": [("triage_case", f.TRIAGE_L1)],
    "police_officer": [("triage_case", f.TRIAGE_L1)],
    "mediator": [("triage_case", f.TRIAGE_L2)],
    "panel_member": [("triage_case", f.TRIAGE_L3)],
}
COMPLETE = {"triage_case": f.TRIAGE_L1, "mediate_on_site": f.ON_SITE_AGREEMENT,
            "assess_four_accounts": f.FOUR_ACCOUNTS, "consult_jointly": f.CONSULT_AGREEMENT}
PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\n"


def prepare(world, role: str, scope: str):
    """A case at the role's stage on the role's grid (in) or on the other grid (out), with an attachment
    and a colleague who may be given its task."""
    if scope == "in":
        grid, place, opener, staff = world.grid, f.HERE, world["grid_worker"], world.users
    else:
        grid, place, opener, staff = world.other_grid, f.THERE, world.outsider, world.others
    case = cases.open_case(opener, cases.NewCase(title="楼上噪音", source="grid_patrol", grid_id=grid.id))
    for bpmn_id, data in STAGES.get(role, []):
        task = next(t for t in f.ready_tasks(case) if t.bpmn_id == bpmn_id)
        tasks.submit_task(staff["dispatcher"], task.id, data)
    task = f.current_task(case)
    colleague_role = role if role in task.roles else task.roles[0]
    colleague = f.make_user(f"colleague_{scope}", colleague_role, place)
    [attachment] = case_files.add_attachments(world["admin"], case.number, [case_files.Upload("现场照片.pdf", PDF)])
    return case, task, colleague, attachment, grid


def cell_key(request):
    return request.node.callspec.params["role"], request.node.callspec.params["scope"]


@shared("cell", key=cell_key)
def _prepare_cell(rows, request):
    """The rows of `prepare`, made once for the nine actions of a role and scope."""
    request.getfixturevalue("clock")
    case, task, colleague, attachment, grid = prepare(f.world_of(rows.value("world")), *cell_key(request))
    return case.id, task.id, colleague.id, attachment.id, grid.id


@pytest.fixture
def cell(world, clock, _database):
    """What `prepare` made for the test's role and scope: the case, its task, a colleague, an attachment, the grid."""
    case_id, task_id, colleague_id, attachment_id, grid_id = _database.value("cell")
    return (db.session.get(DisputeCase, case_id), db.session.get(Task, task_id), db.session.get(User, colleague_id),
            db.session.get(Attachment, attachment_id), db.session.get(Grid, grid_id))


def snapshot():
    db.session.expire_all()
    count = lambda model: db.session.scalar(select(func.count()).select_from(model))  # noqa: E731
    return (
        count(DisputeCase), count(TrailEvent), count(CaseComment), count(Attachment),
        [(t.id, t.state, t.assignee_id) for t in db.session.scalars(select(Task).order_by(Task.id))],
    )


def perform(client, action, case, task, colleague, attachment, grid):
    if action == "view_case":
        return client.get(f"/cases/{case.number}")
    if action == "view_task":
        return client.get(f"/tasks/{task.id}")
    if action == "complete_task":
        return client.post(f"/tasks/{task.id}", data=form_data(COMPLETE[task.bpmn_id]))
    if action == "claim_task":
        return client.post(f"/tasks/{task.id}/claim")
    if action == "assign_task":
        return client.post(f"/tasks/{task.id}/assign", data={"assignee_id": colleague.id, "seen_assignee_id": ""})
    if action == "add_comment":
        return client.post(f"/cases/{case.number}/comments", data={"body": "已联系双方"})
    if action == "add_attachment":
        return client.post(f"/cases/{case.number}/attachments", data={"file": (BytesIO(PDF), "笔录.pdf")},
                           content_type="multipart/form-data")
    if action == "download_attachment":
        return client.get(f"/cases/{case.number}/attachments/{attachment.id}")
    if action == "register_case":
        return client.post("/cases/new", data={"title": "新纠纷", "source": "walk_in", "grid_id": grid.id,
                                               "applicant_name": "王六"})
    raise AssertionError(action)


@pytest.mark.sqlite  # decided by access.py; its scope conditions run on PostgreSQL in the list-page tests below
@pytest.mark.parametrize("role, scope, action, expected", CELLS,
                         ids=[f"{role}-{scope}-{action}" for role, scope, action, _ in CELLS])
def test_access_matrix(client, auth, world, clock, cell, role, scope, action, expected):
    case, task, colleague, attachment, grid = cell
    before = snapshot()
    auth.login(role)
    response = perform(client, action, case, task, colleague, attachment, grid)
    if expected == "ok":
        status, location = SUCCEEDS[action]
        assert response.status_code == status, response.get_data(as_text=True)[:2000]
        if action not in ("view_case", "view_task", "download_attachment"):
            assert snapshot() != before, "an allowed action must change something"
        if location is not None:
            registered = db.session.scalar(select(DisputeCase.number).order_by(DisputeCase.id.desc()).limit(1))
            assert response.headers["Location"] == location.format(case=case.number, task=task.id,
                                                                   registered=registered)
            followed = client.get(response.headers["Location"])
            assert followed.status_code == 200 and "flash-error" not in followed.get_data(as_text=True)
            assert "flash-success" in followed.get_data(as_text=True)
    else:
        assert response.status_code == expected
        assert snapshot() == before


# Every page of the navigation bar and every list page, for every role: the exact status it answers.
EVERYONE = dict.fromkeys(f.ROLES, 200)


def only(*roles, allowed: int = 200) -> dict[str, int]:
    return {role: allowed if role in roles else 403 for role in f.ROLES}


PAGES = {
    "/tasks/": EVERYONE,
    "/tasks/team": EVERYONE,
    "/cases/": EVERYONE,
    "/notifications/": EVERYONE,
    "/settings/": EVERYONE,
    "/cases/new": only("grid_worker", "police_officer", "dispatcher", "mediator", "admin"),
    "/handoffs/new": only("police_officer", "admin"),
    "/plates": only("grid_worker", "dispatcher", "admin"),
    "/supervision/": only("supervisor", "admin", allowed=302),
    "/supervision/weekly": only("supervisor", "admin"),
    "/supervision/reminder": only("supervisor", "admin"),
    "/supervision/supervised": only("supervisor", "admin"),
    "/supervision/weekly.csv": only("supervisor", "admin"),
    "/admin/calendar": only("admin"),
    "/admin/sign-ins": only("admin"),
    "/admin/sector-bodies": only("admin"),
    "/supervision/dashboard": only("supervisor", "dispatcher", "admin"),
    "/menu": EVERYONE,
    "/outbox": EVERYONE,
    "/designer/": only("designer", "admin"),
    "/designer/dispute_mediation/": only("designer", "supervisor", "admin"),
    "/designer/dispute_mediation/heatmap.json": only("designer", "supervisor", "admin"),
}
# Where each page that answers 302 sends its user.
REDIRECTS = {"/supervision/": "/supervision/weekly"}
PAGE_CELLS = [(role, path, expected[role]) for path, expected in PAGES.items() for role in f.ROLES]


def nav_links(page: str) -> list[str]:
    """The links of the navigation bar and of the user box (设置) in base.html."""
    return re.findall(r'<a href="([^"]+)" data-testid="nav-[a-z-]+"', page)


@shared("case_at_level_three")
def _open_a_case_at_level_three(rows, request):
    request.getfixturevalue("clock")
    world = f.world_of(rows.value("world"))
    case = f.open_case(world)
    f.step(world, case, "triage_case", f.TRIAGE_L3)
    return case.id


@pytest.fixture
def case_at_level_three(world, clock, _database):
    """One case triaged to level three, shared by the tests of every role."""
    return db.session.get(DisputeCase, _database.value("case_at_level_three"))


@pytest.mark.parametrize("role", f.ROLES)
def test_every_role_opens_every_list_page_with_the_expected_status(client, auth, world, clock, case_at_level_three,
                                                                   role):
    """One case in every list (a mediator's and a panel member's team list once answered 500)."""
    auth.login(role)
    answers = {path: client.get(path) for path in PAGES}
    assert {path: answer.status_code for path, answer in answers.items()} == {
        path: expected[role] for path, expected in PAGES.items()}
    assert {path: answer.headers["Location"] for path, answer in answers.items() if answer.status_code == 302} == {
        path: target for path, target in REDIRECTS.items() if PAGES[path][role] == 302}


COMMON_NAV = {"/tasks/", "/tasks/team", "/cases/", "/notifications/", "/settings/"}
NAV = {
    "grid_worker": COMMON_NAV | {"/cases/new", "/plates"},
    "police_officer": COMMON_NAV | {"/cases/new", "/handoffs/new"},
    "dispatcher": COMMON_NAV | {"/cases/new", "/plates", "/supervision/dashboard"},
    "mediator": COMMON_NAV | {"/cases/new"},
    "panel_member": COMMON_NAV,
    "supervisor": COMMON_NAV | {"/supervision/", "/supervision/dashboard", "/designer/dispute_mediation/"},
    "designer": COMMON_NAV | {"/designer/"},
    "admin": COMMON_NAV | {"/cases/new", "/handoffs/new", "/plates", "/supervision/", "/supervision/dashboard",
                           "/admin/calendar", "/admin/sign-ins", "/admin/sector-bodies", "/designer/"},
}
# Pages reached from another page rather than from the bar.
REACHED_INSIDE = {"/menu", "/outbox", "/supervision/weekly", "/supervision/reminder", "/supervision/supervised", "/supervision/weekly.csv",
                  "/designer/dispute_mediation/", "/designer/dispute_mediation/heatmap.json"}


@pytest.mark.parametrize("role", f.ROLES)
def test_the_navigation_shows_exactly_the_pages_a_role_may_open(client, auth, world, clock, case_at_level_three,
                                                                 role):
    auth.login(role)
    links = nav_links(client.get("/tasks/").get_data(as_text=True))
    assert set(links) == NAV[role]
    assert {link: client.get(link, follow_redirects=True).status_code for link in links} == dict.fromkeys(links, 200)
    may_open = {path for path, expected in PAGES.items() if expected[role] in (200, 302)}
    assert may_open - REACHED_INSIDE <= NAV[role]
