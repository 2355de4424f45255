"""Brute force and user enumeration: failures are counted by name and by IP in the database, repeated
failures lock the name for a while, and an unknown name costs the same password-hash work as a known one."""
from datetime import timedelta

import pytest
import werkzeug.security
from sqlalchemy import func, select

from app.extensions import db
from app.models import LoginFailure, LoginLock
from app.services.people import users as users_service
from app.services.people.users import create_user
from tests.clients import fresh_client
from tests.factories import PASSWORD

ATTACKER, OFFICE = "203.0.113.7", "198.51.100.20"


@pytest.fixture
def users(app):
    for name, role in (("zhang", "designer"), ("li", "designer"), ("admin", "admin")):
        create_user(name, f"{name} 用户", role, PASSWORD, [])


def attempt(client, username: str, password: str, ip: str = ATTACKER):
    return client.post("/login", data={"username": username, "password": password},
                       environ_base={"REMOTE_ADDR": ip})


def logs_in(app, username: str, password: str = PASSWORD, ip: str = OFFICE) -> bool:
    client = fresh_client(app)
    response = attempt(client, username, password, ip)
    return response.status_code == 302 and client.get("/settings/").status_code == 200


def test_sixty_wrong_passwords_lock_the_account_and_the_right_one_does_not_log_in(app, users, clock):
    client = fresh_client(app)
    answers = [attempt(client, "zhang", f"guess-{n}").status_code for n in range(60)]
    assert answers[:9] == [200] * 9 and set(answers[9:]) == {429}  # the 10th failure locks
    locked = attempt(client, "zhang", PASSWORD)
    assert locked.status_code == 429 and "暂时锁定" in locked.text
    assert client.get("/settings/").status_code == 302
    assert not logs_in(app, "zhang", ip=OFFICE)  # the lock is on the account, from any address
    assert db.session.scalar(select(func.count()).select_from(LoginFailure)) == 10  # refused ones skip the hash
    assert db.session.scalar(select(func.count()).select_from(LoginLock)) == 1

    clock.shift(timedelta(minutes=14))
    assert not logs_in(app, "zhang")
    clock.shift(timedelta(minutes=2))
    assert logs_in(app, "zhang")


def test_a_locked_account_leaves_other_accounts_and_addresses_alone(app, users):
    client = fresh_client(app)
    for n in range(10):
        attempt(client, "zhang", f"guess-{n}")
    assert logs_in(app, "li", ip=ATTACKER)  # same address, another account: below the address's limit
    assert logs_in(app, "admin", ip=OFFICE)


def test_too_many_failures_from_one_address_refuse_that_address_only(app, users, clock):
    client = fresh_client(app)
    for n in range(50):  # a spray: 5 guesses each at 10 names, never enough to lock one
        assert attempt(client, f"name-{n % 10}", "guess").status_code == 200
    refused = attempt(client, "zhang", PASSWORD)
    assert refused.status_code == 429 and "稍后再试" in refused.text
    assert logs_in(app, "zhang", ip=OFFICE)
    clock.shift(timedelta(minutes=16))
    assert logs_in(app, "li", ip=ATTACKER)


def test_an_unknown_name_is_locked_like_a_known_one(app, users):
    """Whether a name is locked tells nothing about whether an account has it."""
    client = fresh_client(app)
    known = [attempt(client, "zhang", "guess").status_code for _ in range(10)]
    unknown = [attempt(client, "nobody", "guess").status_code for _ in range(10)]
    assert known == unknown


def test_a_successful_log_in_starts_the_count_again(app, users):
    client = fresh_client(app)
    for n in range(9):
        attempt(client, "zhang", f"guess-{n}")
    assert logs_in(app, "zhang")
    for n in range(9):
        assert attempt(client, "zhang", f"guess-{n}").status_code == 200
    assert logs_in(app, "zhang")


def test_the_admin_sees_locks_and_failures_and_unlocks(app, users):
    for n in range(10):
        attempt(fresh_client(app), "zhang", f"guess-{n}")
    admin = fresh_client(app)
    assert attempt(admin, "admin", PASSWORD, OFFICE).status_code == 302
    page = admin.get("/admin/sign-ins")
    assert page.status_code == 200
    assert page.text.count('data-testid="failure" data-username="zhang"') == 10
    assert ATTACKER in page.text
    assert 'data-testid="lock" data-username="zhang"' in page.text
    lock_id = db.session.scalar(select(LoginLock.id))
    assert admin.post(f"/admin/locks/{lock_id}/unlock").status_code == 302
    assert 'data-testid="no-locks"' in admin.get("/admin/sign-ins").text
    assert logs_in(app, "zhang")
    assert db.session.scalar(select(LoginLock.unlocked_by_id)) is not None


def test_only_the_admin_unlocks(app, users):
    for n in range(10):
        attempt(fresh_client(app), "zhang", f"guess-{n}")
    client = fresh_client(app)
    assert attempt(client, "li", PASSWORD, OFFICE).status_code == 302
    assert client.post(f"/admin/locks/{db.session.scalar(select(LoginLock.id))}/unlock").status_code == 403
    assert not logs_in(app, "zhang")


@pytest.mark.parametrize("username", ["zhang", "nobody"])
def test_known_and_unknown_names_cost_the_same_password_hash_work(app, users, monkeypatch, username):
    calls = []

    def counting_check(stored_hash, password):
        calls.append(stored_hash.split("$", 1)[0])
        return werkzeug.security.check_password_hash(stored_hash, password)

    monkeypatch.setattr(users_service, "check_password_hash", counting_check)
    assert attempt(fresh_client(app), username, "wrong-password").status_code == 200
    assert calls == [app.config["PASSWORD_HASH_METHOD"]]
