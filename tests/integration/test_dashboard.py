"""The dashboard's figures against a fixture counted by hand: rates, year on year, percentiles, trend,
scope boundaries, and the case lists behind the figures."""
import uuid
from datetime import date, datetime, timedelta, timezone

import pytest
from sqlalchemy import select

from app.extensions import db
from app.models import Category, Community, DisputeCase, Task
from app.services.cases import registry as cases
from app.services.cases.lists import ListFilter
from app.services.errors import AccessDeniedError
from app.services.intake.places import GridSpec, create_places
from app.services.people.users import create_user
from app.services.supervision.case_counts import record_counts
from app.services.supervision.dashboard import Period, Scope, build_dashboard
from tests import factories

UTC = timezone.utc
PERIOD = Period(date(2026, 1, 1), date(2026, 6, 30))


def at(day: str, hour: int = 2) -> datetime:
    """10:00 in Shanghai on `day` (02:00 UTC), unless another UTC hour is given."""
    return datetime.fromisoformat(day).replace(hour=hour, tzinfo=UTC)


def add_case(grid, name: str, opened: datetime, *, closed_days: float | None = None, closed: datetime | None = None,
             tier=1, outcome="agreement", on_time=True, category="neighbour", source="grid_patrol", card="none",
             step: str | None = None) -> DisputeCase:
    if closed_days is not None:
        closed = opened + timedelta(days=closed_days)
    case = DisputeCase(
        number=f"T-{name}", title=name, source=source, tier=tier, grid_id=grid.id, opened_at=opened,
        category_id=db.session.scalar(select(Category.id).where(Category.code == category)) if category else None,
        status="closed" if closed else "open", closed_at=closed, outcome=outcome if closed else None,
        close_seconds=(closed - opened).total_seconds() if closed else None,
        on_time=on_time if closed else None, card=card,
    )
    db.session.add(case)
    db.session.flush()
    record_counts(case, None)  # as the steps that open and close cases keep the dashboard's counts
    if step:
        db.session.add(Task(case_id=case.id, engine_task_id=str(uuid.uuid4()), bpmn_id=step, name=f"环节{step}",
                            form_key=step, roles=["mediator"], tier=tier, grid_id=grid.id, state="ready",
                            created_at=opened))
    return case


@pytest.fixture
def history(world, clock):
    """Town 城关镇: grid G1 (和平社区) and G3 (新华社区); G2 lies in another town."""
    [g3] = create_places("城关镇", [GridSpec("G3", "新华一网格", "新华社区", "第一警格")])
    g1, g2 = world.grid, world.other_grid
    # The period: 2026-01-01 … 2026-06-30.
    add_case(g1, "c1", at("2026-01-05"), closed_days=2, tier=1, on_time=True)
    add_case(g1, "c2", at("2026-02-10"), closed_days=10, tier=2, on_time=False, category="family",
             source="police_handoff")
    add_case(g1, "c3", at("2026-03-01"), closed_days=3, tier=1, outcome="mediation_ended")
    add_case(g1, "c4", at("2026-06-20"), tier=2, card="yellow", source="resident_report", step="mediate_in_room")
    add_case(g1, "c5", at("2026-06-25"), closed=at("2026-07-03"))  # closed after the period
    add_case(g1, "c6", at("2025-12-20"), closed=at("2026-01-10"), tier=3, outcome="transferred_to_police",
             on_time=None, source="police_handoff")  # opened before the period, closed in it
    add_case(g3, "c7", at("2026-04-01"), closed_days=4, tier=1)
    add_case(g2, "c8", at("2026-03-03"), closed_days=2)  # another town
    # Local-day boundaries: 23:30 on 30 June in Shanghai is in; 00:10 on 1 July is out.
    add_case(g1, "c9", datetime(2026, 6, 30, 15, 30, tzinfo=UTC), tier=None, category=None, source="walk_in",
             step="triage")
    add_case(g1, "c10", datetime(2026, 6, 30, 16, 10, tzinfo=UTC), tier=None, source="walk_in")
    # A year earlier: 2025-01-01 … 2025-06-30.
    add_case(g1, "p1", at("2025-01-10"), closed_days=2)
    add_case(g1, "p2", at("2025-03-10"), closed_days=6, outcome="mediation_ended", on_time=False)
    add_case(g1, "p3", at("2025-05-01"), closed=at("2025-08-01"), tier=2)
    add_case(g3, "p4", at("2025-02-01"), closed_days=4)
    db.session.commit()
    return {"G1": g1, "G2": g2, "G3": g3}


def numbers(page) -> set[str]:
    return {case.number.removeprefix("T-") for case in page.items}


def test_headline_figures_and_rates_beside_a_year_earlier(world, history):
    board = build_dashboard(world["supervisor"], PERIOD)
    assert board.previous_period == Period(date(2025, 1, 1), date(2025, 6, 30))
    now, before = board.current, board.previous
    assert (now.opened, now.closed) == (7, 5)  # c1 c2 c3 c4 c5 c7 c9; c1 c2 c3 c6 c7
    assert (now.closure.numerator, now.closure.denominator, now.closure.percent) == (4, 7, 57.14)
    assert (now.on_time.numerator, now.on_time.denominator, now.on_time.percent) == (3, 4, 75.0)  # c6 unrecorded
    assert (now.resolution.numerator, now.resolution.denominator) == (3, 4)  # c6 went to the police
    assert (before.opened, before.closed) == (4, 3)
    assert before.closure.percent == 75.0 and before.on_time.percent == 66.67 and before.resolution.percent == 66.67


def test_breakdowns_with_year_on_year(world, history):
    board = build_dashboard(world["supervisor"], PERIOD)
    rows = {name: {row.label: (row.current, row.previous) for row in breakdown.rows}
            for name, breakdown in board.breakdowns.items()}
    assert rows["category"] == {"邻里": (5, 4), "婚姻家庭": (1, 0), "未分类": (1, 0)}
    assert rows["source"] == {"网格员排查": (4, 4), "公安移交（非警务警情）": (1, 0), "群众自报": (1, 0), "来访登记": (1, 0)}
    assert rows["tier"] == {"一级 现场": (4, 3), "二级 调解室": (2, 1), "未分级": (1, 0)}
    assert rows["grid"] == {"和平一网格": (6, 3), "新华一网格": (1, 1)}
    assert rows["outcome"] == {"调解成功": (3, 2), "调解终止": (1, 1), "移交公安": (1, 0)}
    grid_row = board.breakdowns["grid"].rows[0]
    assert grid_row.change == 100.0  # 6 against 3
    assert {row.label: row.current for row in board.open_by_step} == {"环节mediate_in_room": 1, "环节triage": 1}
    assert [(row.key, row.current) for row in board.cards] == [("yellow", 1), ("red", 0)]


def test_times_to_close_per_tier_median_and_90th_percentile(world, history):
    board = build_dashboard(world["supervisor"], PERIOD)
    durations = {row.tier: row for row in board.durations}
    one = durations[1]  # c1 2 days, c3 3, c7 4; a year earlier 2, 4 (p4), 6 (p2)
    assert (one.count, one.median_days, one.p90_days) == (3, 3.0, 3.8)
    assert (one.previous_count, one.previous_median_days, one.previous_p90_days) == (3, 4.0, 5.6)
    assert (durations[2].count, durations[2].median_days, durations[2].p90_days) == (1, 10.0, 10.0)
    assert (durations[3].median_days, durations[3].previous_count) == (21.0, 0)


def test_monthly_trend_with_the_same_months_a_year_earlier(world, history):
    board = build_dashboard(world["supervisor"], PERIOD)
    assert board.trend_unit == "month"
    assert [point.start.month for point in board.trend] == [1, 2, 3, 4, 5, 6]
    assert [point.opened for point in board.trend] == [1, 1, 1, 1, 0, 3]
    assert [point.closed for point in board.trend] == [2, 1, 1, 1, 0, 0]
    assert [point.previous_opened for point in board.trend] == [1, 1, 1, 0, 1, 0]
    assert [point.previous_closed for point in board.trend] == [1, 1, 1, 0, 0, 0]


def test_a_short_period_has_a_weekly_trend(world, history):
    board = build_dashboard(world["supervisor"], Period(date(2026, 6, 17), date(2026, 6, 30)))
    assert board.trend_unit == "week"
    assert [(point.start, point.end) for point in board.trend] == [
        (date(2026, 6, 17), date(2026, 6, 21)), (date(2026, 6, 22), date(2026, 6, 28)),
        (date(2026, 6, 29), date(2026, 6, 30))]
    assert [point.opened for point in board.trend] == [1, 1, 1]  # c4; c5; c9


def test_scope_boundaries_town_community_and_grid(world, history):
    other_town = build_dashboard(world.others["supervisor"], PERIOD)
    assert (other_town.current.opened, other_town.current.closed) == (1, 1)  # c8 only
    assert [row.label for row in other_town.breakdowns["grid"].rows] == ["致和一网格"]
    community = db.session.scalar(select(Community.id).where(Community.name == "新华社区"))
    narrowed = build_dashboard(world["supervisor"], PERIOD, Scope(community_id=community))
    assert (narrowed.current.opened, narrowed.previous.opened) == (1, 1)  # c7; p4
    one_grid = build_dashboard(world["supervisor"], PERIOD, Scope(grid_id=history["G1"].id))
    assert one_grid.current.opened == 6
    # A grid outside the supervisor's town counts nothing, not the other town's cases.
    assert build_dashboard(world["supervisor"], PERIOD, Scope(grid_id=history["G2"].id)).current.opened == 0


def test_a_grids_supervisor_sees_only_that_grids_numbers_and_cases(world, history):
    grid_supervisor = create_user("grid_sup", "新华督办", "supervisor", factories.PASSWORD, ["G3"], town="城关镇")
    board = build_dashboard(grid_supervisor, PERIOD)
    assert (board.current.opened, board.previous.opened) == (1, 1)  # c7; p4
    assert [row.label for row in board.breakdowns["grid"].rows] == ["新华一网格"]
    assert build_dashboard(grid_supervisor, PERIOD, Scope(grid_id=history["G1"].id)).current.opened == 0
    assert numbers(cases.list_cases(grid_supervisor, ListFilter())) == {"c7", "p4"}
    assert build_dashboard(world["supervisor"], PERIOD).current.opened == 7  # the town's supervisor: all grids


def test_each_figure_links_to_the_cases_behind_it(world, history):
    supervisor = world["supervisor"]
    board = build_dashboard(supervisor, PERIOD)
    listed = {name: numbers(cases.list_cases(supervisor, wanted)) for name, wanted in board.links.items()}
    assert listed["opened"] == {"c1", "c2", "c3", "c4", "c5", "c7", "c9"}
    assert listed["closed"] == {"c1", "c2", "c3", "c6", "c7"}
    assert listed["closure"] == {"c1", "c2", "c3", "c7"}
    assert listed["on_time"] == {"c1", "c3", "c7"} and listed["late"] == {"c2"}
    assert listed["resolved"] == {"c1", "c2", "c7"} and listed["mediated"] == {"c1", "c2", "c3", "c7"}
    category = {row.label: row.cases for row in board.breakdowns["category"].rows}
    assert numbers(cases.list_cases(supervisor, category["婚姻家庭"])) == {"c2"}
    assert numbers(cases.list_cases(supervisor, board.open_by_step[0].cases)) in ({"c4"}, {"c9"})
    assert numbers(cases.list_cases(supervisor, board.cards[0].cases)) == {"c4"}
    assert numbers(cases.list_cases(supervisor, board.trend[0].closed_cases)) == {"c1", "c6"}
    durations = {row.tier: row.cases for row in board.durations}
    assert numbers(cases.list_cases(supervisor, durations[1])) == {"c1", "c3", "c7"}


def test_only_supervisors_dispatchers_and_admins_see_the_dashboard(world, history):
    assert build_dashboard(world["dispatcher"], PERIOD).current.opened == 7
    assert build_dashboard(world["admin"], PERIOD).current.opened == 8
    for role in ("grid_worker", "police_officer", "mediator", "panel_member", "designer"):
        with pytest.raises(AccessDeniedError):
            build_dashboard(world[role], PERIOD)


def test_a_case_referred_to_a_sector_body_counts_as_closed_and_not_resolved(world, clock):
    """The level-3 panel may refer a case on to a sector body: closed here, in the resolution rate's denominator
    (only a transfer to the police leaves it, as the README defines it) but not its numerator, with its own
    outcome row and the list of its cases behind it."""
    add_case(world.grid, "r1", at("2026-02-01"), closed_days=5, tier=3, outcome="referred_to_sector_body")
    add_case(world.grid, "r2", at("2026-02-02"), closed_days=2)
    db.session.commit()
    board = build_dashboard(world["supervisor"], PERIOD)
    assert (board.current.resolution.numerator, board.current.resolution.denominator) == (1, 2)
    [referred] = [row for row in board.breakdowns["outcome"].rows if row.label == "移送行业性专业调解"]
    assert referred.current == 1
    listed = cases.list_cases(world["supervisor"], ListFilter(outcomes=("referred_to_sector_body",), status="closed"))
    assert numbers(listed) == {"r1"}
