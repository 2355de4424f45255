"""One transaction per use case: a failed commit rolls everything back and says what collided."""
from datetime import datetime, timezone

import pytest

from app.extensions import db
from app.models import TrailEvent, User
from app.services.errors import ConcurrentUpdateError, DuplicateError
from app.services.transaction import transaction
from tests import factories


def _user(username: str) -> User:
    user = User(username=username, display_name=username, role="grid_worker",
                created_at=datetime.now(timezone.utc), password_hash="x")
    return user


def test_a_duplicate_user_name_is_named_and_nothing_is_kept(app):
    @transaction
    def add_two_users():
        db.session.add(_user("zhang"))
        db.session.flush()
        db.session.add(_user("zhang"))

    with pytest.raises(DuplicateError) as raised:
        add_two_users()
    assert "用户名" in raised.value.message
    assert db.session.query(User).count() == 0


def test_a_racing_trail_entry_is_a_concurrent_update(world):
    case = factories.open_case(world)
    last = db.session.query(TrailEvent).filter_by(case_id=case.id).order_by(TrailEvent.seq.desc()).first()

    @transaction
    def append_with_the_same_seq():
        db.session.add(TrailEvent(case_id=case.id, seq=last.seq, event=last.event, occurred_at=last.occurred_at,
                                  actor_name="x", data={}, prev_hash=last.prev_hash, hash=last.hash))

    with pytest.raises(ConcurrentUpdateError):
        append_with_the_same_seq()
    assert db.session.query(TrailEvent).filter_by(case_id=case.id).count() == last.seq
