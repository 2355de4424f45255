"""The dashboard's kept counts (case_count) stay equal to a recount of the cases through every step that
changes what a case counts for: opening, triage (tier), a change of category, closing."""
from datetime import date

from sqlalchemy import select, update

from app.extensions import db
from app.models import CaseCount, Category
from app.services.supervision.case_counts import case_count_differences, rebuild_case_counts
from tests import factories as f


def kept(area: str = "grid") -> dict[tuple[str, str], int]:
    """(what, key) → cases, over all days, of one kind of area."""
    totals: dict[tuple[str, str], int] = {}
    for what, key, cases in db.session.execute(
            select(CaseCount.what, CaseCount.key, CaseCount.cases).where(CaseCount.area == area, CaseCount.cases != 0)):
        totals[(what, key)] = totals.get((what, key), 0) + cases
    return totals


def category_key(code: str) -> str:
    return str(db.session.scalar(select(Category.id).where(Category.code == code)))


def test_opening_triage_recategorizing_and_closing_keep_the_counts_equal_to_a_recount(world, clock):
    case = f.open_case(world)
    assert case_count_differences() == {}
    assert kept() == {("category", category_key("neighbour")): 1, ("source", "grid_patrol"): 1, ("tier", ""): 1}
    assert kept("all") == kept("town") == kept()

    f.step(world, case, "triage_case", {**f.TRIAGE_L2, "category": "family"})
    assert case_count_differences() == {}
    assert kept() == {("category", category_key("family")): 1, ("source", "grid_patrol"): 1, ("tier", "2"): 1}

    other = f.open_case(world, "第二件")
    f.step(world, other, "triage_case", f.TRIAGE_RISK)
    f.step(world, other, "handle_violence_risk", f.POLICE_TAKEN_OVER)
    assert f.reload(other).status == "closed"
    assert case_count_differences() == {}
    # Taken over by the police before any tier was set: counted as untriaged, on time.
    assert kept()[("closed", "transferred_to_police|1|")] == 1
    assert kept()[("tier", "")] == 1 and kept()[("source", "grid_patrol")] == 2


def test_a_closing_counts_on_its_local_day(world, clock):
    """A case closed at 23:30 UTC counts on the next day in Shanghai."""
    case = f.open_case(world)
    f.step(world, case, "triage_case", f.TRIAGE_RISK)
    clock.move_to("2026-03-10T23:30:00+00:00")
    f.step(world, case, "handle_violence_risk", f.POLICE_TAKEN_OVER)
    days = set(db.session.scalars(select(CaseCount.day).where(CaseCount.what == "closed")))
    assert days == {date(2026, 3, 11)}


def test_a_rebuild_recounts_what_a_check_finds_wrong(world, clock, runner):
    f.step(world, f.open_case(world), "triage_case", f.TRIAGE_L1)
    db.session.execute(update(CaseCount).where(CaseCount.what == "tier", CaseCount.key == "1").values(cases=CaseCount.cases + 5))
    assert len(case_count_differences()) == 3  # everywhere, the town and the grid
    checked = runner.invoke(args=["case-counts", "check"])
    assert checked.exit_code == 1 and "3 rows differ" in checked.output

    assert runner.invoke(args=["case-counts", "rebuild"]).exit_code == 0
    assert case_count_differences() == {}
    assert kept()[("tier", "1")] == 1
    assert rebuild_case_counts() == len(db.session.scalars(select(CaseCount.day)).all())
    assert runner.invoke(args=["case-counts", "check"]).exit_code == 0
