"""Time limits as users see them: due states, inbox, e-mail, supervision lists, calendar admin."""
import csv
import email
import email.policy
import io
import socket
from datetime import timedelta

import pytest
from aiosmtpd.controller import Controller
from sqlalchemy import select

from app.extensions import db
from app.models import Notification, TrailEvent, User
from app.services.cases import task_actions
from app.services.supervision.notifications import send_pending_emails
from app.services.time_limits.timers import fire_due_timers
from app.services.time_limits.year_schedules import year_schedule
from tests import factories as f


class Sink:
    """An SMTP server on loopback that keeps what it receives."""

    def __init__(self):
        self.messages = []

    async def handle_DATA(self, server, session, envelope):
        self.messages.append(envelope)
        return "250 OK"


@pytest.fixture
def smtp_sink(app):
    sink = Sink()
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    controller = Controller(sink, hostname="127.0.0.1", port=port)
    controller.start()
    app.config.update(SMTP_HOST="127.0.0.1", SMTP_PORT=port)
    yield sink
    app.config.update(SMTP_HOST="")
    controller.stop()


def yellow_case(world, clock):
    case = f.open_case(world)
    clock.shift(timedelta(hours=1))
    f.step(world, case, "triage_case", f.TRIAGE_L2)  # its 3-day four-accounts limit ends an hour after the card
    clock.shift(timedelta(days=3, minutes=-59))
    fire_due_timers()
    return f.reload(case)


def test_task_lists_show_due_states(client, auth, world, clock):
    case = f.open_case(world)
    f.step(world, case, "triage_case", f.TRIAGE_L1)
    auth.login("grid_worker")
    assert 'data-state="on_time"' in client.get("/tasks/").get_data(as_text=True)
    clock.shift(timedelta(days=2, hours=1))
    assert 'data-state="due_soon"' in client.get("/tasks/").get_data(as_text=True)
    auth.logout()
    risk = f.open_case(world, "扬言报复")
    f.step(world, risk, "triage_case", f.TRIAGE_RISK)
    clock.shift(timedelta(hours=25))
    auth.login("police_officer")
    page = client.get(f"/tasks/{f.current_task(risk).id}").get_data(as_text=True)
    assert 'data-state="overdue"' in page and "已超期" in page


def test_the_inbox_counts_unread_notifications_and_marks_them_read(client, auth, world, clock):
    yellow_case(world, clock)
    auth.login("supervisor")
    page = client.get("/notifications/").get_data(as_text=True)
    assert "亮黄牌督办" in page
    assert 'data-testid="unread-count">1<' in page
    client.post("/notifications/read")
    assert 'data-testid="unread-count"' not in client.get("/notifications/").get_data(as_text=True)


def test_notifications_are_emailed_after_the_commit(world, clock, smtp_sink):
    supervisor = db.session.get(User, world["supervisor"].id)
    supervisor.email = "supervisor@example.test"
    db.session.commit()
    case = yellow_case(world, clock)
    assert smtp_sink.messages == []  # nothing leaves inside the step's transaction
    report = send_pending_emails()
    assert report.sent >= 1 and report.failed == 0
    [envelope] = [m for m in smtp_sink.messages if m.rcpt_tos == ["supervisor@example.test"]]
    message = email.message_from_bytes(envelope.content, policy=email.policy.default)  # decodes =?utf-8?…?=
    text = f"案件 {case.number}「{case.title}」登记已满3日仍未办结，亮黄牌督办。"
    assert message["Subject"] == f"【解纷】{text}"
    assert message["To"] == "supervisor@example.test"
    assert message.get_content().strip() == text
    states = set(db.session.scalars(select(Notification.email_state).where(Notification.user_id == supervisor.id)))
    assert states == {"sent"}
    assert send_pending_emails().sent == 0  # sent once


def test_an_unreachable_smtp_server_leaves_mail_pending(app, world, clock):
    supervisor = db.session.get(User, world["supervisor"].id)
    supervisor.email = "supervisor@example.test"
    db.session.commit()
    app.config.update(SMTP_HOST="127.0.0.1", SMTP_PORT=9)  # nothing listens on the discard port
    try:
        yellow_case(world, clock)
        report = send_pending_emails()
    finally:
        app.config.update(SMTP_HOST="")
    assert report.sent == 0 and report.failed >= 1
    note = db.session.scalar(select(Notification).where(Notification.user_id == supervisor.id))
    assert (note.email_state, note.email_attempts) == ("pending", 1)


def test_supervision_lists_and_csv(client, auth, world, clock):
    case = yellow_case(world, clock)
    auth.login("supervisor")
    reminder = client.get("/supervision/reminder").get_data(as_text=True)
    assert case.number in reminder
    assert case.number not in client.get("/supervision/supervised").get_data(as_text=True)
    assert case.number in client.get("/supervision/", follow_redirects=True).get_data(as_text=True)
    response = client.get("/supervision/weekly.csv")
    assert response.mimetype == "text/csv"
    rows = list(csv.reader(io.StringIO(response.get_data(as_text=True).lstrip("\ufeff"))))
    assert rows[0][:3] == ["清单", "案件编号", "标题"]
    assert [row[1] for row in rows[1:]] == [case.number]
    assert rows[1][4] == "黄牌"
    assert rows[1][7] == "人民调解员（待认领）"  # nobody has claimed the four accounts yet: who may
    [task] = f.ready_tasks(case)
    task_actions.claim_task(world["mediator"], task.id)
    rows = list(csv.reader(io.StringIO(client.get("/supervision/weekly.csv").get_data(as_text=True).lstrip("\ufeff"))))
    assert rows[1][7] == world["mediator"].display_name
    assert world["mediator"].display_name in client.get("/supervision/reminder").get_data(as_text=True)


def test_supervision_lists_are_for_supervisors(client, auth, world, clock):
    yellow_case(world, clock)
    auth.login("grid_worker")
    assert client.get("/supervision/weekly").status_code == 403
    assert client.get("/supervision/weekly.csv").status_code == 403


def test_pausing_and_resuming_from_the_case_page(client, auth, world, clock):
    case = f.open_case(world)
    auth.login("dispatcher")
    response = client.post(f"/cases/{case.number}/clock/pause", data={"reason": ""}, follow_redirects=True)
    assert "请填写暂停计时的原因" in response.get_data(as_text=True)
    page = client.post(f"/cases/{case.number}/clock/pause", data={"reason": "当事人住院"},
                       follow_redirects=True).get_data(as_text=True)
    assert "暂停中（当事人住院" in page and 'data-testid="resume-clock"' in page
    page = client.post(f"/cases/{case.number}/clock/resume", follow_redirects=True).get_data(as_text=True)
    assert "已恢复计时" in page and 'data-event="clock_resumed"' in page


def test_admins_enter_next_years_schedule_and_the_warning_goes(client, auth, world, clock):
    auth.login("admin")
    page = client.get("/tasks/").get_data(as_text=True)
    assert 'data-testid="calendar-warning"' in page and "2027" in page
    response = client.post("/admin/calendar", data={"year": "2027", "holidays": "2027-01-01\n2027-02-05..2027-02-11",
                                                    "working_days": "2027-02-14"})
    assert response.status_code == 302
    assert 'data-testid="calendar-warning"' not in client.get("/tasks/").get_data(as_text=True)
    assert "放假 8 天，调休上班 1 天" in client.get("/admin/calendar").get_data(as_text=True)
    bad = client.post("/admin/calendar", data={"year": "2027", "holidays": "2027-13-01", "working_days": ""})
    assert bad.status_code == 422 and "不是日期" in bad.get_data(as_text=True)


@pytest.mark.parametrize("role", [role for role in f.ROLES if role != "admin"])
def test_only_admins_see_or_enter_schedules(client, auth, world, role):
    auth.login(role)
    assert client.get("/admin/calendar").status_code == 403
    response = client.post("/admin/calendar", data={"year": "2027", "holidays": "2027-01-01", "working_days": ""})
    assert response.status_code == 403
    assert "只有系统管理员可以管理工作日历" in response.get_data(as_text=True)
    assert year_schedule(2027) is None


def test_the_case_list_shows_each_cases_next_due_time_and_state(client, auth, world, clock):
    risk = f.open_case(world, "扬言报复")
    f.step(world, risk, "triage_case", f.TRIAGE_RISK)
    calm = f.open_case(world, "楼上噪音")
    f.step(world, calm, "triage_case", f.TRIAGE_L2)
    clock.shift(timedelta(hours=25))
    auth.login("dispatcher")
    page = client.get("/cases/").get_data(as_text=True)
    risk_row = page[page.index(risk.number):].split("</tr>")[0]
    calm_row = page[page.index(calm.number):].split("</tr>")[0]
    assert 'data-state="overdue"' in risk_row and "2026-11-25 09:00" in risk_row
    assert 'data-state="on_time"' in calm_row


# Who keeps a case's clock (access.ALLOWED: pause_clock, extend_mediation): those who run the mediation.
CLOCK_KEEPERS = {"dispatcher", "mediator", "panel_member", "admin"}


@pytest.mark.parametrize("role", f.ROLES)
def test_only_the_mediation_side_pauses_resumes_and_extends_supervisors_read(client, auth, world, clock, role):
    case = f.open_case(world)
    f.step(world, case, "triage_case", f.TRIAGE_L3 if role == "panel_member" else f.TRIAGE_L2)
    auth.login(role)
    page = client.get(f"/cases/{case.number}")
    expected = 302 if role in CLOCK_KEEPERS else 404 if role == "designer" else 403
    for action, data in (("clock/pause", {"reason": "当事人住院"}), ("clock/resume", {}),
                         ("mediation/extend", {"days": "10", "both_parties_consent": "y"})):
        assert client.post(f"/cases/{case.number}/{action}", data=data).status_code == expected, action
    events = set(db.session.scalars(select(TrailEvent.event).where(TrailEvent.case_id == case.id)))
    kept = {"clock_paused", "clock_resumed"} | ({"mediation_extended"} if role != "panel_member" else set())
    if role in CLOCK_KEEPERS:
        assert kept <= events
        assert 'data-testid="pause-clock"' in page.text and 'data-testid="extend-mediation"' in page.text
    else:
        assert not kept & events
        assert "pause-clock" not in page.text and "extend-mediation" not in page.text


def test_due_times_across_an_unknown_year_are_marked_provisional_until_it_is_entered(client, auth, world, clock,
                                                                                   day_counting):
    from datetime import date, datetime
    from zoneinfo import ZoneInfo

    from app.services.time_limits.year_schedules import enter_year_schedule

    day_counting("working")
    clock.move_to(datetime(2026, 12, 29, 10, 0, tzinfo=ZoneInfo("Asia/Shanghai")))
    case = f.open_case(world)
    f.step(world, case, "triage_case", f.TRIAGE_L1)
    auth.login("grid_worker")
    page = client.get("/tasks/").get_data(as_text=True)
    assert "2027-01-04 10:00" in page and 'data-testid="provisional-due"' in page
    enter_year_schedule(world["admin"], 2027, holidays=[date(2027, 1, 1)], working_days=[])
    assert 'data-testid="provisional-due"' not in client.get("/tasks/").get_data(as_text=True)


def test_the_calendar_page_and_warning_use_the_local_date_and_state_calendar_days(client, auth, world, clock):
    from datetime import datetime, timezone

    clock.move_to(datetime(2026, 12, 31, 17, 0, tzinfo=timezone.utc))  # 01:00 on 1 January 2027 in Shanghai
    auth.login("admin")
    page = client.get("/admin/calendar").get_data(as_text=True)
    assert 'data-year="2027"' in page and 'data-year="2028"' in page and 'data-year="2026"' not in page
    assert "法定期限（人民调解 30 日调解期限、申请司法确认 30 日期限）始终按自然日计算" in page
    assert "2027、2028 年的国务院节假日安排尚未录入" in page


def test_the_supervision_lists_show_each_steps_time_limit(client, auth, world, clock):
    case = yellow_case(world, clock)
    auth.login("supervisor")
    page = client.get("/supervision/reminder").get_data(as_text=True)
    row = page[page.index(case.number):].split("</tr>")[0]
    assert "2026-11-27 10:00" in row  # the four accounts: 3 days from triage at 10:00
    rows = list(csv.reader(io.StringIO(client.get("/supervision/reminder.csv").get_data(as_text=True).lstrip("\ufeff"))))
    assert rows[1][8] == "2026-11-27 10:00"
