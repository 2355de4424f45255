"""Log-in sessions live on the server: log-out, a password change and an admin end them; they time out."""
from datetime import timedelta

import pytest
from sqlalchemy import select

from app.extensions import db
from app.models import UserSession
from app.services.people.users import create_user
from tests.clients import fresh_client
from tests.factories import PASSWORD

PROBE = "/settings/"  # any page that needs a logged-in user


@pytest.fixture
def users(app):
    return {name: create_user(name, f"{name} 用户", role, PASSWORD, [])
            for name, role in (("zhang", "designer"), ("admin", "admin"))}


def log_in(app, username: str, password: str = PASSWORD):
    client = fresh_client(app)
    response = client.post("/login", data={"username": username, "password": password})
    assert response.status_code == 302, response.text
    return client


def copy_of(app, client):
    """Another browser holding a copy of the client's session cookie."""
    other = fresh_client(app)
    other.set_cookie("session", client.get_cookie("session").value)
    return other


def logged_in(client) -> bool:
    response = client.get(PROBE)
    assert response.status_code in (200, 302)
    return response.status_code == 200


def test_log_out_ends_the_session_for_a_copied_cookie_too(app, users):
    client = log_in(app, "zhang")
    copied = copy_of(app, client)
    assert logged_in(copied)
    client.post("/logout")
    assert not logged_in(client)
    assert not logged_in(copied)
    assert db.session.scalar(select(UserSession.end_reason)) == "logged_out"


def test_a_cookie_of_another_users_session_does_not_log_in(app, users):
    """The cookie's session id must belong to the user the cookie names."""
    zhang, admin = log_in(app, "zhang"), log_in(app, "admin")
    with zhang.session_transaction() as zhang_session, admin.session_transaction() as admin_session:
        zhang_session["session_token"] = admin_session["session_token"]
    assert not logged_in(zhang)


def test_changing_the_password_ends_every_session_of_the_user(app, users):
    phone, desk = log_in(app, "zhang"), log_in(app, "zhang")
    copied = copy_of(app, phone)
    response = phone.post("/settings/password", data={
        "current_password": PASSWORD, "new_password": "a-new-passphrase", "confirm_password": "a-new-passphrase"})
    assert response.status_code == 302
    assert logged_in(phone)  # this browser continues in a new session
    assert not logged_in(copied)
    assert not logged_in(desk)
    assert log_in(app, "zhang", "a-new-passphrase")
    assert fresh_client(app).post("/login", data={"username": "zhang", "password": PASSWORD}).status_code == 200


def test_a_wrong_current_password_changes_nothing(app, users):
    client = log_in(app, "zhang")
    response = client.post("/settings/password", data={
        "current_password": "wrong-one", "new_password": "a-new-passphrase", "confirm_password": "a-new-passphrase"})
    assert response.status_code == 422
    assert "当前密码不正确" in response.text
    assert logged_in(client)
    assert log_in(app, "zhang", PASSWORD)


def test_an_admin_lists_a_users_sessions_and_ends_one_or_all(app, users):
    phone, desk = log_in(app, "zhang"), log_in(app, "zhang")
    admin = log_in(app, "admin")
    page = admin.get("/admin/users/zhang/sessions")
    assert page.status_code == 200
    assert page.text.count('data-testid="session"') == 2
    first = db.session.scalars(select(UserSession.id).join(UserSession.user)
                               .where(UserSession.ended_at.is_(None)).order_by(UserSession.id)).first()
    assert admin.post("/admin/users/zhang/sessions/revoke", data={"session_id": first}).status_code == 302
    assert not logged_in(phone)
    assert logged_in(desk)
    admin.post("/admin/users/zhang/sessions/revoke")
    assert not logged_in(desk)
    assert logged_in(admin)
    assert 'data-testid="no-sessions"' in admin.get("/admin/users/zhang/sessions").text


def test_only_admins_see_or_end_sessions(app, users):
    client = log_in(app, "zhang")
    assert client.get("/admin/users/admin/sessions").status_code == 403
    assert client.post("/admin/users/admin/sessions/revoke").status_code == 403
    assert client.get("/admin/sign-ins").status_code == 403


def test_an_idle_session_times_out(app, users, clock):
    client = log_in(app, "zhang")
    clock.shift(timedelta(hours=7, minutes=59))
    assert logged_in(client)
    clock.shift(timedelta(hours=8, minutes=1))
    assert not logged_in(client)


def test_a_busy_session_ends_at_the_absolute_timeout(app, users, clock):
    client = log_in(app, "zhang")
    for _ in range(6):  # busy every two hours: never idle
        clock.shift(timedelta(hours=2))
        assert logged_in(client)
    clock.shift(timedelta(hours=1, minutes=59))
    assert logged_in(client)  # 13 h 59 min
    clock.shift(timedelta(minutes=2))
    assert not logged_in(client)


def test_timeouts_follow_the_configuration(app, users, clock):
    app.config.update(SESSION_IDLE_MINUTES=30)
    try:
        client = log_in(app, "zhang")
        clock.shift(timedelta(minutes=31))
        assert not logged_in(client)
    finally:
        app.config.update(SESSION_IDLE_MINUTES=8 * 60)


def test_last_seen_is_written_at_most_once_a_minute(app, users, clock):
    client = log_in(app, "zhang")
    started = db.session.scalar(select(UserSession.last_seen_at))
    clock.shift(timedelta(seconds=50))
    assert logged_in(client)
    db.session.expire_all()
    assert db.session.scalar(select(UserSession.last_seen_at)) == started
    clock.shift(timedelta(seconds=20))
    assert logged_in(client)
    db.session.expire_all()
    assert db.session.scalar(select(UserSession.last_seen_at)) == started + timedelta(seconds=70)
