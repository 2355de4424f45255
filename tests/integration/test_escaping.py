"""User-entered text is escaped on every page, also inside translated sentences."""
from datetime import timedelta

import pytest

from app.services.time_limits.timers import fire_due_timers
from tests import factories as f

pytestmark = pytest.mark.sqlite  # escaping, done by the templates

HOSTILE = '<script>alert("x")</script>'


@pytest.mark.parametrize("locale", ["zh_CN", "en"])
def test_a_hostile_title_is_escaped_everywhere(client, auth, world, clock, locale):
    from app.extensions import db

    for user in world.users.values():
        user.locale = locale
    db.session.commit()
    case = f.open_case(world, HOSTILE)
    f.step(world, case, "triage_case", f.TRIAGE_L2)
    clock.shift(timedelta(days=3, minutes=1))
    fire_due_timers()
    auth.login("supervisor")
    pages = [f"/cases/{case.number}", "/cases/", "/tasks/team", "/notifications/", "/supervision/reminder"]
    for path in pages:
        page = client.get(path, follow_redirects=True).get_data(as_text=True)
        assert HOSTILE not in page, path
        assert "&lt;script&gt;" in page, path
