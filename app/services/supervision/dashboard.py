"""The supervisors' dashboard (一屏观全域): a period's figures beside the same period a year earlier.

Everything is counted in SQL, in a handful of grouped queries over the cases the actor may see
(narrowed to a community or a grid): one query for the counts and rates by category, source, tier,
grid and outcome; one each for open cases by step, outstanding cards, times to close and the trend.
The rates are defined in the README ("Dashboard figures"):

- 办结率 (closure rate): cases opened in the period and closed before its end / cases opened in the period.
- 按时办结率 (on-time closure rate): cases closed in the period on time / cases closed in the period
  whose on-time flag is recorded.
- 化解率 (resolution rate): cases closed in the period with an agreement / cases closed in the period,
  less those transferred to the police (not mediated here).

Periods are local calendar days (the display time zone), both ends included.
"""
from collections import defaultdict
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from datetime import date, datetime, timedelta
from math import floor
from typing import Any, TypeVar
from zoneinfo import ZoneInfo

from flask import current_app
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import ColumnElement, Integer, Label, and_, case, cast, func, literal_column, or_, select

from app.extensions import db
from app.models import Category, DisputeCase, Grid, Task, User
from app.models.dispute_case import SOURCES
from app.services.cases.lists import OUTCOMES, ListFilter, local_day_start
from app.services.errors import InvalidInputError
from app.services.people import access
from app.services.time_limits import clock
from forms.cases import SOURCE_CHOICES  # the source labels the registration form offers

# The longest period: a year, so that it never overlaps the same period a year earlier.
MAX_PERIOD_DAYS = 366
# Up to this many days the trend is weekly, beyond it monthly.
WEEKLY_UP_TO_DAYS = 92
UNTRIAGED = 0  # the tier key of cases not yet given a tier
NO_CATEGORY = 0
TABLES = {
    "summary": _l("总体指标"),
    "category": _l("按类别"),
    "source": _l("按来源"),
    "tier": _l("按层级"),
    "grid": _l("按网格"),
    "outcome": _l("按结果"),
    "steps": _l("在办案件所处环节"),
    "cards": _l("未销黄牌红牌"),
    "durations": _l("办结用时"),
    "trend": _l("趋势"),
}


@dataclass(frozen=True)
class Period:
    """Local calendar days from `start` to `end`, both included."""

    start: date
    end: date

    @property
    def days(self) -> int:
        return (self.end - self.start).days + 1

    def year_earlier(self) -> "Period":
        return Period(_year_earlier(self.start), _year_earlier(self.end))

    def bounds(self) -> tuple[datetime, datetime]:
        """The period as instants [from, to)."""
        return local_day_start(self.start), local_day_start(self.end + timedelta(days=1))


def default_period(today: date) -> Period:
    """The year to date: compared with the same days of last year (同比)."""
    return Period(date(today.year, 1, 1), today)


def parse_period(start: str | None, end: str | None, today: date) -> Period:
    """A period from the page's two dates; missing dates fall back to the year to date."""
    fallback = default_period(today)
    try:
        period = Period(date.fromisoformat(start) if start else fallback.start,
                        date.fromisoformat(end) if end else fallback.end)
    except ValueError as error:
        raise InvalidInputError(_("日期格式应为 YYYY-MM-DD。")) from error
    if period.end < period.start:
        raise InvalidInputError(_("结束日期不能早于开始日期。"))
    if period.days > MAX_PERIOD_DAYS:
        raise InvalidInputError(_("统计期间最长一年。"))
    return period


@dataclass(frozen=True)
class Scope:
    """Where to count, inside the actor's own area: a community, a grid, or all of it."""

    community_id: int | None = None
    grid_id: int | None = None

    def filter(self) -> ListFilter:
        return ListFilter(community_id=self.community_id, grid_id=self.grid_id)


@dataclass(frozen=True)
class Rate:
    numerator: int
    denominator: int

    @property
    def percent(self) -> float | None:
        return round(100 * self.numerator / self.denominator, 2) if self.denominator else None


@dataclass(frozen=True)
class Figures:
    """The counts and rates of one period."""

    opened: int = 0
    closed: int = 0
    closure: Rate = Rate(0, 0)
    on_time: Rate = Rate(0, 0)
    resolution: Rate = Rate(0, 0)


@dataclass(frozen=True)
class Count:
    """One row of a breakdown: this period, a year earlier, and the cases behind this period's figure."""

    key: str | int
    label: str
    current: int
    previous: int
    cases: ListFilter

    @property
    def change(self) -> float | None:
        return year_on_year(self.current, self.previous)


@dataclass(frozen=True)
class Breakdown:
    """Counts by one dimension: cases opened (category, source, tier, grid) or closed (outcome)."""

    name: str
    rows: list[Count]

    @property
    def current_total(self) -> int:
        return sum(row.current for row in self.rows)

    @property
    def largest(self) -> int:
        return max([row.current for row in self.rows] + [row.previous for row in self.rows] + [0])


@dataclass(frozen=True)
class Duration:
    """Time from opening to closing of the cases of one tier closed in a period, in days."""

    tier: int
    count: int
    median_days: float | None
    p90_days: float | None
    previous_count: int
    previous_median_days: float | None
    previous_p90_days: float | None
    cases: ListFilter


@dataclass(frozen=True)
class TrendPoint:
    start: date
    end: date
    opened: int
    closed: int
    previous_opened: int
    previous_closed: int
    opened_cases: ListFilter
    closed_cases: ListFilter


@dataclass(frozen=True)
class Dashboard:
    period: Period
    previous_period: Period
    scope: Scope
    current: Figures
    previous: Figures
    breakdowns: dict[str, Breakdown]
    open_by_step: list[Count]  # now, not per period: `previous` is 0
    cards: list[Count]  # outstanding now
    durations: list[Duration]
    trend_unit: str  # "week" or "month"
    trend: list[TrendPoint]
    # The cases behind each headline figure of the current period.
    links: dict[str, ListFilter] = field(default_factory=dict)


def year_on_year(current: int | float | None, previous: int | float | None) -> float | None:
    """同比: the change against a year earlier, in percent; None when there is nothing to compare with."""
    if current is None or not previous:
        return None
    return round(100 * (current - previous) / previous, 1)


def build_dashboard(actor: User, period: Period, scope: Scope = Scope()) -> Dashboard:
    """All figures of the dashboard for the actor's area, narrowed to `scope`, over `period`."""
    access.ensure_can_view_dashboard(actor)
    previous = period.year_earlier()
    current_bounds, previous_bounds = period.bounds(), previous.bounds()
    in_scope = _scope_condition(actor, scope)
    base = scope.filter()
    opened_in = replace(base, opened_from=period.start, opened_to=period.end)
    closed_in = replace(base, closed_from=period.start, closed_to=period.end)

    rows = _count_rows(in_scope, current_bounds, previous_bounds)
    grid_rows = _count_rows(in_scope, current_bounds, previous_bounds, by_grid=True)
    current_figures, previous_figures = _figures(rows, "c"), _figures(rows, "p")
    breakdowns = {
        "category": _breakdown(_("按类别"), rows, "category", "opened", _category_labels(),
                               lambda key: replace(opened_in, category_id=key or None)),
        "source": _breakdown(_("按来源"), rows, "source", "opened", source_labels(),
                             lambda key: replace(opened_in, source=key)),
        "tier": _breakdown(_("按层级"), rows, "tier", "opened", tier_labels(),
                           lambda key: replace(opened_in, tier=key or None)),
        "grid": _breakdown(_("按网格"), grid_rows, "grid", "opened", _grid_labels(actor),
                           lambda key: replace(opened_in, grid_id=key)),
        "outcome": _breakdown(_("按结果"), rows, "outcome", "closed", outcome_labels(),
                              lambda key: replace(closed_in, outcomes=(key,))),
    }
    return Dashboard(
        period=period, previous_period=previous, scope=scope,
        current=current_figures, previous=previous_figures, breakdowns=breakdowns,
        open_by_step=_open_by_step(in_scope, base), cards=_outstanding_cards(in_scope, base),
        durations=_durations(in_scope, current_bounds, previous_bounds, closed_in),
        trend_unit="week" if period.days <= WEEKLY_UP_TO_DAYS else "month",
        trend=_trend(in_scope, period, base),
        links={
            "opened": opened_in,
            "closed": closed_in,
            "closure": replace(opened_in, closed_to=period.end),
            "on_time": replace(closed_in, on_time=True),
            "late": replace(closed_in, on_time=False),
            "resolved": replace(closed_in, outcomes=("agreement",)),
            "mediated": replace(closed_in, outcomes=MEDIATED_OUTCOMES),
        },
    )


# Closed cases that count in the resolution rate's denominator: all but those the police took over.
MEDIATED_OUTCOMES = tuple(outcome for outcome in OUTCOMES if outcome != "transferred_to_police")


# --- Queries ----------------------------------------------------------------------------------

def _scope_condition(actor: User, scope: Scope):
    conditions = [access.visible_cases(actor)]
    if scope.community_id:
        conditions.append(DisputeCase.grid_id.in_(
            select(Grid.id).where(Grid.community_id == scope.community_id).scalar_subquery()))
    if scope.grid_id:
        conditions.append(DisputeCase.grid_id == scope.grid_id)
    return and_(*conditions)


def _between(column, bounds: tuple[datetime, datetime]):
    return and_(column >= bounds[0], column < bounds[1])


def _count_rows(in_scope, current: tuple[datetime, datetime], previous: tuple[datetime, datetime],
                by_grid: bool = False) -> list[dict]:
    """One grouped query: per (category, source, tier, outcome), or per grid, the counts of both periods.

    Grouped by all five at once, a county's rows were nearly one per case (1,700 grids), and adding them
    up in Python cost three times the query itself."""
    # Constants as SQL text, so each grouped expression renders the same in SELECT and GROUP BY.
    top_category = func.coalesce(Category.parent_id, Category.id, literal_column(str(NO_CATEGORY)))
    tier = func.coalesce(DisputeCase.tier, literal_column(str(UNTRIAGED)))

    def total(condition):
        return func.sum(case((condition, 1), else_=0))

    sums = {}
    for key, bounds in (("c", current), ("p", previous)):
        opened, closed = _between(DisputeCase.opened_at, bounds), _between(DisputeCase.closed_at, bounds)
        sums.update({
            f"opened_{key}": total(opened),
            f"cohort_closed_{key}": total(and_(opened, DisputeCase.closed_at < bounds[1])),
            f"closed_{key}": total(closed),
            f"on_time_{key}": total(and_(closed, DisputeCase.on_time.is_(True))),
            f"on_time_known_{key}": total(and_(closed, DisputeCase.on_time.is_not(None))),
        })
    dimensions: list[Label[Any]] = ([DisputeCase.grid_id.label("grid")] if by_grid else
                  [top_category.label("category"), DisputeCase.source.label("source"), tier.label("tier"),
                   DisputeCase.outcome.label("outcome")])
    query = (
        select(*dimensions, *(value.label(name) for name, value in sums.items()))
        .where(in_scope, or_(*(_between(column, bounds) for column in (DisputeCase.opened_at, DisputeCase.closed_at)
                               for bounds in (current, previous))))
        .group_by(*(dimension.element for dimension in dimensions))
    )
    if not by_grid:
        query = query.outerjoin(Category, Category.id == DisputeCase.category_id)
    return [dict(row._mapping) for row in db.session.execute(query)]


def _figures(rows: list[dict], key: str) -> Figures:
    def total(name: str, where: Callable[[dict], bool] = lambda row: True) -> int:
        return sum(row[f"{name}_{key}"] or 0 for row in rows if where(row))

    closed = total("closed")
    return Figures(
        opened=total("opened"),
        closed=closed,
        closure=Rate(total("cohort_closed"), total("opened")),
        on_time=Rate(total("on_time"), total("on_time_known")),
        resolution=Rate(total("closed", lambda row: row["outcome"] == "agreement"),
                        total("closed", lambda row: row["outcome"] in MEDIATED_OUTCOMES)),
    )


_Key = TypeVar("_Key", str, int)  # what a breakdown counts by: a code or an id


def _breakdown(name: str, rows: list[dict], dimension: str, measure: str, labels: Mapping[_Key, str],
               cases: Callable[[_Key], ListFilter]) -> Breakdown:
    current: dict = defaultdict(int)
    previous: dict = defaultdict(int)
    for row in rows:
        key = row[dimension]
        if key is None:
            continue
        current[key] += row[f"{measure}_c"] or 0
        previous[key] += row[f"{measure}_p"] or 0
    keys = [key for key in current if current[key] or previous[key]]
    keys.sort(key=lambda key: (-current[key], -previous[key], str(labels.get(key, key))))
    return Breakdown(name, [Count(key, str(labels.get(key, key)), current[key], previous[key], cases(key))
                            for key in keys])


def _open_by_step(in_scope, base: ListFilter) -> list[Count]:
    """Open cases by the step they wait at (a case waiting at two steps counts at each)."""
    query = (
        select(Task.bpmn_id, func.min(Task.name), func.count(func.distinct(DisputeCase.id)))
        .join(DisputeCase, DisputeCase.id == Task.case_id)
        .where(in_scope, Task.state == "ready", DisputeCase.status == "open")
        .group_by(Task.bpmn_id)
        .order_by(func.count(func.distinct(DisputeCase.id)).desc(), Task.bpmn_id)
    )
    return [Count(bpmn_id, name, count, 0, replace(base, status="open", step=bpmn_id))
            for bpmn_id, name, count in db.session.execute(query)]


def _outstanding_cards(in_scope, base: ListFilter) -> list[Count]:
    counts = dict(db.session.execute(
        select(DisputeCase.card, func.count())
        .where(in_scope, DisputeCase.status == "open", DisputeCase.card.in_(("yellow", "red")))
        .group_by(DisputeCase.card)
    ).all())
    labels = {"yellow": _("黄牌"), "red": _("红牌")}
    return [Count(card, labels[card], counts.get(card, 0), 0, replace(base, status="open", card=card))
            for card in ("yellow", "red")]


def _durations(in_scope, current, previous, closed_in: ListFilter) -> list[Duration]:
    """Median and 90th percentile of the time to close per tier (final tier), both periods."""
    closed_cases = (
        select(func.coalesce(DisputeCase.tier, literal_column(str(UNTRIAGED))).label("tier"),
               case((_between(DisputeCase.closed_at, current), literal_column("'c'")),
                    else_=literal_column("'p'")).label("period"),
               DisputeCase.opened_at, DisputeCase.closed_at)
        .where(in_scope, or_(_between(DisputeCase.closed_at, current), _between(DisputeCase.closed_at, previous)))
        .subquery()
    )
    stats: dict[tuple[int, str], tuple[int, float | None, float | None]] = {}
    seconds: ColumnElement[Any]  # a case's time to close
    if db.engine.dialect.name == "postgresql":
        seconds = func.extract("epoch", closed_cases.c.closed_at - closed_cases.c.opened_at)
        # Both fractions from one sort of each group (percentile_cont over an array of fractions).
        fractions: ColumnElement[Any] = literal_column("ARRAY[0.5, 0.9]::double precision[]")
        query = (select(closed_cases.c.tier, closed_cases.c.period, func.count(),
                        func.percentile_cont(fractions).within_group(seconds))
                 .group_by(closed_cases.c.tier, closed_cases.c.period))
        for tier_value, key, count, (median, p90) in db.session.execute(query):
            stats[(tier_value, key)] = (count, float(median), float(p90))
    else:
        # SQLite has no percentile function: number each group's times in order (a window function)
        # and fetch only the rows around the 50 % and 90 % positions, then interpolate between them
        # as PostgreSQL's percentile_cont does.
        seconds = (func.julianday(closed_cases.c.closed_at) - func.julianday(closed_cases.c.opened_at)) * 86400
        group = (closed_cases.c.tier, closed_cases.c.period)
        ranked = select(
            closed_cases.c.tier, closed_cases.c.period, seconds.label("seconds"),
            (func.row_number().over(partition_by=group, order_by=seconds) - 1).label("position"),
            func.count().over(partition_by=group).label("size"),
        ).subquery()
        wanted_positions = []
        for fraction in (0.5, 0.9):
            low = cast(fraction * (ranked.c.size - 1), Integer)  # floor: the value is never negative
            wanted_positions += [ranked.c.position == low, ranked.c.position == low + 1]
        picked: dict[tuple[int, str], dict] = defaultdict(dict)
        for tier_value, key, value, position, size in db.session.execute(
                select(ranked.c.tier, ranked.c.period, ranked.c.seconds, ranked.c.position, ranked.c.size)
                .where(or_(*wanted_positions))):
            picked[(tier_value, key)][position] = value
            picked[(tier_value, key)]["size"] = size
        for group_key, values in picked.items():
            stats[group_key] = (values["size"], _interpolate(values, 0.5), _interpolate(values, 0.9))
    tiers = sorted({tier_value for tier_value, _key in stats})
    result = []
    for tier_value in tiers:
        count, median, p90 = stats.get((tier_value, "c"), (0, None, None))
        previous_count, previous_median, previous_p90 = stats.get((tier_value, "p"), (0, None, None))
        result.append(Duration(
            tier=tier_value, count=count, median_days=_days(median), p90_days=_days(p90),
            previous_count=previous_count, previous_median_days=_days(previous_median),
            previous_p90_days=_days(previous_p90),
            cases=replace(closed_in, tier=tier_value or None),
        ))
    return result


def _interpolate(values: dict, fraction: float) -> float:
    """percentile_cont from the values at the two positions around `fraction` of a sorted group."""
    position = fraction * (values["size"] - 1)
    low = floor(position)
    high = min(low + 1, values["size"] - 1)
    return values[low] + (values[high] - values[low]) * (position - low)


def _days(seconds: float | None) -> float | None:
    return None if seconds is None else round(seconds / 86400, 1)


def _trend(in_scope, period: Period, base: ListFilter) -> list[TrendPoint]:
    """Cases opened and closed per week or month of the period, and in the same weeks a year earlier:
    one pass that puts each case's opening and closing into their buckets, counted per pair."""
    buckets = _buckets(period)
    size = len(buckets)
    periods = [Period(_year_earlier(start), _year_earlier(end)) for start, end in buckets]
    periods += [Period(start, end) for start, end in buckets]
    pairs = (
        select(_bucket_of(DisputeCase.opened_at, periods).label("opened"),
               _bucket_of(DisputeCase.closed_at, periods).label("closed"))
        .where(in_scope, or_(*(_between(column, (periods[0].bounds()[0], periods[-1].bounds()[1]))
                               for column in (DisputeCase.opened_at, DisputeCase.closed_at))))
        .subquery()
    )
    opened: dict[int, int] = defaultdict(int)
    closed: dict[int, int] = defaultdict(int)
    for opened_bucket, closed_bucket, count in db.session.execute(
            select(pairs.c.opened, pairs.c.closed, func.count()).group_by(pairs.c.opened, pairs.c.closed)):
        opened[opened_bucket] += count
        closed[closed_bucket] += count
    return [
        TrendPoint(start=start, end=end, opened=opened[size + index], closed=closed[size + index],
                   previous_opened=opened[index], previous_closed=closed[index],
                   opened_cases=replace(base, opened_from=start, opened_to=end),
                   closed_cases=replace(base, closed_from=start, closed_to=end))
        for index, (start, end) in enumerate(buckets)
    ]


def _bucket_of(column, periods: list[Period]):
    """SQL for the index of the period `column` falls in, or -1: a binary search written as nested
    CASE expressions, so each row takes a handful of comparisons, not one per bucket."""
    intervals: list[tuple[datetime, datetime, int]] = []  # (from, to, index), gaps between the periods as -1
    for index, bucket in enumerate(periods):
        start, end = bucket.bounds()
        if intervals and intervals[-1][1] < start:
            intervals.append((intervals[-1][1], start, -1))
        intervals.append((start, end, index))

    def search(part):
        if len(part) == 1:
            return literal_column(str(part[0][2]))
        middle = len(part) // 2
        return case((column < part[middle][0], search(part[:middle])), else_=search(part[middle:]))

    inside = _between(column, (intervals[0][0], intervals[-1][1]))
    return case((inside, search(intervals)), else_=literal_column("-1"))


def _buckets(period: Period) -> list[tuple[date, date]]:
    """Weeks (from Monday) or calendar months, cut to the period."""
    buckets = []
    start = period.start
    while start <= period.end:
        if period.days <= WEEKLY_UP_TO_DAYS:
            next_start = start + timedelta(days=7 - start.weekday())
        else:
            next_start = date(start.year + start.month // 12, start.month % 12 + 1, 1)
        end = min(next_start - timedelta(days=1), period.end)
        buckets.append((start, end))
        start = next_start
    return buckets


def _year_earlier(day: date) -> date:
    try:
        return day.replace(year=day.year - 1)
    except ValueError:  # 29 February
        return day.replace(year=day.year - 1, day=28)


# --- Labels -----------------------------------------------------------------------------------

def _category_labels() -> dict[int, str]:
    labels = dict(db.session.execute(select(Category.id, Category.name).where(Category.parent_id.is_(None))).all())
    labels[NO_CATEGORY] = _("未分类")
    return labels


def source_labels() -> dict[str, str]:
    return {code: str(label) for code, label in SOURCE_CHOICES if code in SOURCES}


def tier_labels() -> dict[int, str]:
    return {UNTRIAGED: _("未分级"), 1: _("一级 现场"), 2: _("二级 调解室"), 3: _("三级 三长会商")}


def outcome_labels() -> dict[str, str]:
    return {"agreement": _("调解成功"), "mediation_ended": _("调解终止"), "transferred_to_police": _("移交公安"),
            "closed": _("已结案")}


def _grid_labels(actor: User) -> dict[int, str]:
    return dict(db.session.execute(select(Grid.id, Grid.name).where(access.in_area(actor, Grid.id))).all())


def today() -> date:
    """Today in the display time zone."""
    return clock.now().astimezone(ZoneInfo(current_app.config["DISPLAY_TIMEZONE"])).date()


# --- Tables (the table view of each chart, and its CSV / XLSX export) -----------------------------

def dashboard_table(board: Dashboard, name: str) -> tuple[str, list[str], list[list]]:
    """(title, header, rows) of one dashboard table, as plain cells."""
    if name not in TABLES:
        raise KeyError(name)
    now, before = _period_label(board.period), _period_label(board.previous_period)
    title = f"{TABLES[name]} {now}"
    if name == "summary":
        header = [_("指标"), now, before, _("同比")]
        rows = [[_("登记件数"), board.current.opened, board.previous.opened,
                 year_on_year(board.current.opened, board.previous.opened)],
                [_("办结件数"), board.current.closed, board.previous.closed,
                 year_on_year(board.current.closed, board.previous.closed)]]
        for label, attribute in ((_("办结率（%）"), "closure"), (_("按时办结率（%）"), "on_time"),
                                 (_("化解率（%）"), "resolution")):
            current, previous = getattr(board.current, attribute), getattr(board.previous, attribute)
            rows.append([label, current.percent, previous.percent, _points(current.percent, previous.percent)])
            rows.append([_("　分子 / 分母"), f"{current.numerator} / {current.denominator}",
                         f"{previous.numerator} / {previous.denominator}", None])
        return title, header, rows
    if name in board.breakdowns:
        measure = _("办结件数") if name == "outcome" else _("登记件数")
        header = [str(TABLES[name]), f"{measure} {now}", f"{measure} {before}", _("同比（%）")]
        return title, header, [[row.label, row.current, row.previous, row.change]
                               for row in board.breakdowns[name].rows]
    if name in ("steps", "cards"):
        header = [_("环节") if name == "steps" else _("督办"), _("在办案件")]
        counts = board.open_by_step if name == "steps" else board.cards
        return str(TABLES[name]), header, [[count.label, count.current] for count in counts]
    if name == "durations":
        header = [_("层级"), _("办结件数"), _("中位数（天）"), _("90%分位（天）"),
                  _("去年同期件数"), _("去年同期中位数（天）"), _("去年同期90%分位（天）")]
        labels = tier_labels()
        return title, header, [[labels.get(row.tier, row.tier), row.count, row.median_days, row.p90_days,
                                row.previous_count, row.previous_median_days, row.previous_p90_days]
                               for row in board.durations]
    header = [_("起"), _("止"), _("登记件数"), _("办结件数"), _("去年同期登记"), _("去年同期办结")]
    return title, header, [[point.start.isoformat(), point.end.isoformat(), point.opened, point.closed,
                            point.previous_opened, point.previous_closed] for point in board.trend]


def _period_label(period: Period) -> str:
    return f"{period.start.isoformat()}–{period.end.isoformat()}"


def _points(current: float | None, previous: float | None) -> float | None:
    """A rate's change against a year earlier, in percentage points."""
    return None if current is None or previous is None else round(current - previous, 2)
