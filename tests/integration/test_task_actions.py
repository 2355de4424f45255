"""Scope routing and the tasklist actions: claim, unclaim, assign, hand back, comments, attachments."""
from io import BytesIO

import pytest
from sqlalchemy import func, select

from app.extensions import db
from app.models import Attachment, CaseComment, Task, TrailEvent
from app.services.cases import files as case_files
from app.services.cases import registry as cases
from app.services.cases import task_actions, tasks
from app.services.errors import (
    AccessDeniedError,
    InvalidInputError,
    NotFoundError,
    TaskConflictError,
    TaskNotReadyError,
)
from app.services.intake.places import GridSpec, create_places
from app.services.people.users import create_user
from tests import factories as f
from tests.factories import tiny_image

PNG = tiny_image("PNG")
PDF = b"%PDF-1.7\n%\xe2\xe3\n1 0 obj<<>>endobj\n"


def at_on_site(world):
    case = f.open_case(world)
    f.step(world, case, "triage_case", f.TRIAGE_L1)
    return case, f.current_task(case)


def trail_events(case):
    db.session.expire_all()
    return list(db.session.scalars(select(TrailEvent.event).where(TrailEvent.case_id == case.id)
                                   .order_by(TrailEvent.seq)))


def holder(task):
    db.session.expire_all()
    return db.session.get(Task, task.id).assignee_id


# --- Scope: cases route address → grid → the people who serve it ---------------------------------

def test_a_police_officer_serves_every_grid_of_their_police_grid_without_listing_them(world, clock):
    [third] = create_places("城关镇", [GridSpec("G3", "和平二网格", "和平社区", "第一警格", ("和平路30号",))])
    worker = create_user("g3_worker", "三网格网格员", "grid_worker", f.PASSWORD, ["G3"])
    case = f.open_case(world, actor_role="police_officer")  # on G1
    on_third = cases.open_case(worker, cases.NewCase(title="G3 纠纷", source="grid_patrol", grid_id=third.id))
    numbers = {c.number for c in cases.list_cases(world["police_officer"]).items}
    assert {case.number, on_third.number} <= numbers
    assert on_third.number not in {c.number for c in cases.list_cases(world["grid_worker"]).items}
    assert case.number not in {c.number for c in cases.list_cases(world.others["police_officer"]).items}


def test_mediators_see_a_case_once_it_is_routed_to_their_room(world, clock):
    case, _ = at_on_site(world)
    with pytest.raises(NotFoundError):
        tasks.get_task(world["mediator"], f.current_task(case).id)
    f.step(world, case, "mediate_on_site", f.ON_SITE_FAILED)
    level_two = f.current_task(case)
    assert level_two.bpmn_id == "assess_four_accounts"
    assert tasks.get_task(world["mediator"], level_two.id).id == level_two.id
    assert [t.id for t in tasks.list_my_tasks(world["mediator"]).items] == [level_two.id]
    with pytest.raises(NotFoundError):
        tasks.get_task(world.others["mediator"], level_two.id)
    assert tasks.list_my_tasks(world.others["mediator"]).items == []


def test_panel_members_see_only_level_three_cases_of_their_town(world, clock):
    level_one, _ = at_on_site(world)
    level_three = f.open_case(world, "停车收费")
    f.step(world, level_three, "triage_case", f.TRIAGE_L3)
    assert [c.number for c in cases.list_cases(world["panel_member"]).items] == [level_three.number]
    assert cases.list_cases(world.others["panel_member"]).items == []
    assert {c.number for c in cases.list_cases(world["supervisor"]).items} == {level_one.number, level_three.number}
    assert cases.list_cases(world["designer"]).items == []


def test_the_supervisor_reads_but_does_not_act(world, clock):
    case, task = at_on_site(world)
    assert tasks.get_task(world["supervisor"], task.id).id == task.id
    assert tasks.list_my_tasks(world["supervisor"]).items == []
    assert [t.id for t in tasks.list_team_tasks(world["supervisor"]).items] == [task.id]
    with pytest.raises(AccessDeniedError):
        task_actions.claim_task(world["supervisor"], task.id)
    with pytest.raises(AccessDeniedError):
        case_files.add_comment(world["supervisor"], case.number, "督办意见")


# --- Claim, unclaim ---------------------------------------------------------------------------

def test_claiming_takes_the_task_out_of_colleagues_lists_and_is_trailed(world, clock):
    case, task = at_on_site(world)
    assert task.id in [t.id for t in tasks.list_my_tasks(world["police_officer"]).items]
    task_actions.claim_task(world["grid_worker"], task.id)
    assert holder(task) == world["grid_worker"].id
    assert trail_events(case)[-1] == "task_claimed"
    assert task.id not in [t.id for t in tasks.list_my_tasks(world["police_officer"]).items]
    assert task.id in [t.id for t in tasks.list_team_tasks(world["police_officer"]).items]
    with pytest.raises(AccessDeniedError, match="已由"):
        tasks.submit_task(world["police_officer"], task.id, f.ON_SITE_AGREEMENT)


def test_claiming_a_task_someone_just_claimed_is_refused_with_a_clear_message(world, clock):
    case, task = at_on_site(world)
    task_actions.claim_task(world["police_officer"], task.id)
    before = trail_events(case)
    with pytest.raises(TaskConflictError, match="刚被police_officer 用户认领"):
        task_actions.claim_task(world["grid_worker"], task.id)
    with pytest.raises(TaskConflictError, match="您已认领"):
        task_actions.claim_task(world["police_officer"], task.id)
    assert trail_events(case) == before
    assert holder(task) == world["police_officer"].id


def test_claiming_a_completed_task_is_refused(world, clock):
    case = f.open_case(world)
    task = f.step(world, case, "triage_case", f.TRIAGE_L1)
    with pytest.raises(TaskNotReadyError):
        task_actions.claim_task(world["dispatcher"], task.id)


def test_unclaiming_returns_the_task_to_the_group(world, clock):
    case, task = at_on_site(world)
    task_actions.claim_task(world["grid_worker"], task.id)
    with pytest.raises(TaskConflictError):
        task_actions.unclaim_task(world["police_officer"], task.id)
    task_actions.unclaim_task(world["grid_worker"], task.id)
    assert holder(task) is None
    assert trail_events(case)[-2:] == ["task_claimed", "task_unclaimed"]


# --- Assign, hand back ------------------------------------------------------------------------

def test_a_dispatcher_assigns_a_task_to_a_colleague_in_scope_and_role(world, clock):
    case, task = at_on_site(world)
    choices = task_actions.assignable_users(world["dispatcher"], task)
    assert {u.username for u in choices} == {"grid_worker", "police_officer"}
    task_actions.assign_task(world["dispatcher"], task.id, world["police_officer"].id, seen_assignee_id=None)
    assert holder(task) == world["police_officer"].id
    event = db.session.scalars(select(TrailEvent).where(TrailEvent.case_id == case.id)
                               .order_by(TrailEvent.seq.desc())).first()
    assert (event.event, event.data["assignee"]) == ("task_assigned", "police_officer 用户")


@pytest.mark.parametrize("target", ["outsider", "supervisor", "mediator", "other_police"])
def test_assigning_outside_scope_or_role_is_refused_and_changes_nothing(world, clock, target):
    case, task = at_on_site(world)
    user = {"outsider": world.outsider, "other_police": world.others["police_officer"]}.get(target) or world[target]
    before = trail_events(case)
    with pytest.raises(AccessDeniedError):
        task_actions.assign_task(world["dispatcher"], task.id, user.id)
    assert (trail_events(case), holder(task)) == (before, None)


def test_assigning_after_the_task_changed_hands_is_refused(world, clock):
    case, task = at_on_site(world)
    task_actions.claim_task(world["grid_worker"], task.id)
    with pytest.raises(TaskConflictError, match="刚刚变化"):
        task_actions.assign_task(world["dispatcher"], task.id, world["police_officer"].id, seen_assignee_id=None)
    assert holder(task) == world["grid_worker"].id


def test_a_holder_may_pass_the_task_on_but_a_colleague_may_not_take_it(world, clock):
    case, task = at_on_site(world)
    task_actions.claim_task(world["grid_worker"], task.id)
    with pytest.raises(AccessDeniedError):
        task_actions.assign_task(world["police_officer"], task.id, world["police_officer"].id)
    task_actions.assign_task(world["grid_worker"], task.id, world["police_officer"].id)
    assert holder(task) == world["police_officer"].id


def test_handing_back_needs_the_holder_or_a_dispatcher_and_keeps_the_reason(world, clock):
    case, task = at_on_site(world)
    with pytest.raises(TaskConflictError):
        task_actions.hand_back_task(world["grid_worker"], task.id)
    task_actions.claim_task(world["police_officer"], task.id)
    with pytest.raises(AccessDeniedError):
        task_actions.hand_back_task(world["grid_worker"], task.id, "我来吧")
    task_actions.hand_back_task(world["dispatcher"], task.id, "民警外出培训")
    assert holder(task) is None
    event = db.session.scalars(select(TrailEvent).where(TrailEvent.case_id == case.id)
                               .order_by(TrailEvent.seq.desc())).first()
    assert (event.event, event.data["reason"], event.data["from"]) == ("task_handed_back", "民警外出培训",
                                                                       "police_officer 用户")


# --- Comments and attachments -----------------------------------------------------------------

def test_a_comment_is_stored_and_its_hash_trailed(world, clock):
    case, task = at_on_site(world)
    comment = case_files.add_comment(world["grid_worker"], case.number, "  已电话联系双方。 ", task.id)
    assert (comment.body, comment.task_id) == ("已电话联系双方。", task.id)
    event = db.session.scalars(select(TrailEvent).where(TrailEvent.case_id == case.id)
                               .order_by(TrailEvent.seq.desc())).first()
    assert event.event == "comment_added" and len(event.data["sha256"]) == 64
    with pytest.raises(InvalidInputError):
        case_files.add_comment(world["grid_worker"], case.number, "   ")
    with pytest.raises(NotFoundError):
        case_files.add_comment(world.outsider, case.number, "看不到")
    assert db.session.scalar(select(func.count()).select_from(CaseComment)) == 1


def test_attachments_are_type_and_size_checked(app, world, clock):
    case, _ = at_on_site(world)
    [attachment] = case_files.add_attachments(world["grid_worker"], case.number, [case_files.Upload("../../现场 照片.PNG", PNG)])
    assert (attachment.filename, attachment.content_type) == ("现场 照片.png", "image/png")
    download = case_files.get_attachment(world["supervisor"], case.number, attachment.id)
    assert download.data.startswith(b"\x89PNG") and attachment.size == len(download.data)
    with pytest.raises(NotFoundError):
        case_files.get_attachment(world.outsider, case.number, attachment.id)
    for name, data in [("run.exe", b"MZ..."), ("fake.pdf", PNG), ("empty.pdf", b""), ("noext", PDF),
                       ("broken.png", b"\x89PNG\r\n\x1a\n" + b"\x00" * 64)]:
        with pytest.raises(InvalidInputError):
            case_files.add_attachments(world["grid_worker"], case.number, [case_files.Upload(name, data)])
    limit = app.config["MAX_UPLOAD_BYTES"]
    app.config["MAX_UPLOAD_BYTES"] = 100
    try:
        with pytest.raises(InvalidInputError, match="过大"):
            case_files.add_attachments(world["grid_worker"], case.number, [case_files.Upload("big.pdf", PDF + b"0" * 100)])
    finally:
        app.config["MAX_UPLOAD_BYTES"] = limit
    assert db.session.scalar(select(func.count()).select_from(Attachment)) == 1
    assert trail_events(case).count("attachment_added") == 1


@pytest.mark.parametrize("given, clean", [
    ("..\\..\\windows\\协议.DOCX", "协议.docx"),
    ("a\x00b<>:\"|?*.pdf", "ab.pdf"),
    ("  ..hidden.pdf. ", "hidden.pdf"),
    (".pdf", "附件.pdf"),
    ("长" * 300 + ".pdf", "长" * 116 + ".pdf"),
])
def test_file_names_are_sanitised(given, clean):
    assert case_files.clean_filename(given) == clean


def test_attachments_upload_and_download_through_the_pages(client, auth, world, clock):
    case, task = at_on_site(world)
    auth.login("grid_worker")
    response = client.post(f"/cases/{case.number}/attachments", data={
        "file": (BytesIO(PDF), "调解协议书.pdf"), "task_id": str(task.id)},
        content_type="multipart/form-data")
    assert response.status_code == 302 and response.headers["Location"].endswith(f"/tasks/{task.id}")
    attachment = db.session.scalar(select(Attachment))
    page = client.get(f"/tasks/{task.id}").get_data(as_text=True)
    assert "调解协议书.pdf" in page
    download = client.get(f"/cases/{case.number}/attachments/{attachment.id}")
    assert download.status_code == 200 and download.data == PDF
    assert download.headers["Content-Type"] == "application/pdf"
    assert "filename*=UTF-8''%E8%B0%83" in download.headers["Content-Disposition"]
    assert download.headers["X-Content-Type-Options"] == "nosniff"
    auth.logout()
    auth.login("outsider")
    assert client.get(f"/cases/{case.number}/attachments/{attachment.id}").status_code == 404


def test_claim_and_hand_back_through_the_pages(client, auth, world, clock):
    case, task = at_on_site(world)
    auth.login("grid_worker")
    assert 'data-testid="claim-task"' in client.get(f"/tasks/{task.id}").get_data(as_text=True)
    response = client.post(f"/tasks/{task.id}/claim", follow_redirects=True)
    assert "已认领该任务" in response.get_data(as_text=True)
    auth.logout()
    auth.login("police_officer")
    page = client.post(f"/tasks/{task.id}/claim", follow_redirects=True).get_data(as_text=True)
    assert "刚被grid_worker 用户认领" in page
    assert holder(task) == world["grid_worker"].id
