"""The supervisors' dashboard (一屏观全域): a period's figures beside the same period a year earlier.

The counts, rates and trend are sums of the counts kept per area, value and local day as steps happen
(supervision/case_counts.py), over the fewest areas that make up the actor's scope: a few thousand rows for
the county, not its 86,000 cases. Read from the cases themselves, each through an index: the counts per grid
(a range of (grid, opened_at) per grid), the percentiles of the time to close (each at its position in
(tier, close_seconds)), open cases by step and outstanding cards (now). The rates are defined in the README
("Dashboard figures"):

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
from sqlalchemy import Select, and_, func, literal_column, or_, select, union_all
from sqlalchemy.sql.elements import UnaryExpression
from sqlalchemy.sql.operators import custom_op

from app.extensions import db
from app.models import CaseCount, Category, Community, DisputeCase, Grid, Task, User
from app.models.dispute_case import OUTCOME_LABELS, OUTCOMES, SOURCES, TIER_LABELS
from app.services.cases.lists import ListFilter, local_day_start
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
    bounds = {"c": period.bounds(), "p": previous.bounds()}
    in_scope = _scope_condition(actor, scope)
    base = scope.filter()
    opened_in = replace(base, opened_from=period.start, opened_to=period.end)
    closed_in = replace(base, closed_from=period.start, closed_to=period.end)

    grid_labels, grids = _grid_counts(actor, scope, in_scope, bounds)
    counts, daily = _kept_counts(_areas(actor, scope, set(grid_labels)), {"c": period, "p": previous})
    now, before = counts["c"], counts["p"]
    breakdowns = {
        "category": _breakdown(_("按类别"), now.category, before.category, _category_labels(),
                               lambda key: replace(opened_in, category_id=key or None)),
        "source": _breakdown(_("按来源"), now.source, before.source, source_labels(),
                             lambda key: replace(opened_in, source=key)),
        "tier": _breakdown(_("按层级"), now.tier, before.tier, tier_labels(),
                           lambda key: replace(opened_in, tier=key or None)),
        "grid": _breakdown(_("按网格"), grids["c"], grids["p"], grid_labels,
                           lambda key: replace(opened_in, grid_id=key)),
        "outcome": _breakdown(_("按结果"), now.outcome, before.outcome, outcome_labels(),
                              lambda key: replace(closed_in, outcomes=(key,))),
    }
    return Dashboard(
        period=period, previous_period=previous, scope=scope,
        current=now.figures(), previous=before.figures(), breakdowns=breakdowns,
        open_by_step=_open_by_step(in_scope, base), cards=_outstanding_cards(in_scope, base),
        durations=_durations(in_scope, bounds, counts, closed_in),
        trend_unit="week" if period.days <= WEEKLY_UP_TO_DAYS else "month",
        trend=_trend(daily, period, base),
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


@dataclass
class _Counts:
    """One period's counts: cases opened by top category, source and tier; cases closed by outcome and
    on-time flag, and by tier; the cases opened in the period and closed by its end."""

    category: dict[int, int]
    source: dict[str, int]
    tier: dict[int, int]
    closed: dict[tuple[str, bool | None], int]
    closed_tier: dict[int, int]
    cohort_closed: int

    @property
    def outcome(self) -> dict[str, int]:
        return _merge(self.closed, lambda key: key[0])

    def figures(self) -> Figures:
        def closed(where: Callable[[str, bool | None], bool]) -> int:
            return sum(count for (outcome, on_time), count in self.closed.items() if where(outcome, on_time))

        opened = sum(self.tier.values())
        return Figures(
            opened=opened,
            closed=closed(lambda outcome, on_time: True),
            closure=Rate(self.cohort_closed, opened),
            on_time=Rate(closed(lambda outcome, on_time: on_time is True),
                         closed(lambda outcome, on_time: on_time is not None)),
            resolution=Rate(closed(lambda outcome, on_time: outcome == "agreement"),
                            closed(lambda outcome, on_time: outcome in MEDIATED_OUTCOMES)),
        )


def _areas(actor: User, scope: Scope, grid_ids: set[int]) -> list[tuple[str, int]]:
    """The fewest areas of the kept counts that make up exactly these grids: everywhere, whole towns, and
    the grids of towns only partly in them."""
    if access.area_grid_ids(actor) is None and not scope.community_id and not scope.grid_id:
        return [("all", 0)]
    towns: dict[int, set[int]] = defaultdict(set)
    for grid_id, town_id in db.session.execute(select(Grid.id, Community.town_id).join(Community)):
        towns[town_id].add(grid_id)
    areas = []
    for town_id, grids in sorted(towns.items()):
        inside = grids & grid_ids
        areas += [("town", town_id)] if inside == grids else [("grid", grid_id) for grid_id in sorted(inside)]
    return areas


def _kept_counts(areas: list[tuple[str, int]], periods: dict[str, Period]
                 ) -> tuple[dict[str, _Counts], dict[date, tuple[int, int]]]:
    """Both periods' counts, and the cases opened and closed per day, added up from the kept counts of the
    areas (services/supervision/case_counts.py), each area's rows read in key order: ~22,000 for the county
    over two years, summed into a few dozen."""
    found = {key: _Counts({}, {}, {}, {}, {}, 0) for key in periods}
    daily: dict[date, tuple[int, int]] = defaultdict(lambda: (0, 0))
    if not areas:
        return found, daily
    in_areas = or_(*(and_(CaseCount.area == area, CaseCount.area_id == area_id) for area, area_id in areas))
    for key, each in periods.items():
        counts = found[key]
        for what, value, cases in db.session.execute(
                select(CaseCount.what, CaseCount.key, func.sum(CaseCount.cases))
                .where(in_areas, CaseCount.day >= each.start, CaseCount.day <= each.end)
                .group_by(CaseCount.what, CaseCount.key)):
            if what == "closed":
                outcome, on_time, tier = value.split("|")
                _add(counts.closed, (outcome, None if on_time == "" else on_time == "1"), cases)
                _add(counts.closed_tier, int(tier or UNTRIAGED), cases)
            elif what == "category":
                _add(counts.category, int(value or NO_CATEGORY), cases)
            elif what == "source":
                _add(counts.source, value, cases)
            elif what == "tier":
                _add(counts.tier, int(value or UNTRIAGED), cases)
            elif what == "closed_on" and value <= each.end.isoformat():
                counts.cohort_closed += cases
    # Every case opened counts once under its source, and once under "closed" when it closes.
    for day, what, cases in db.session.execute(
            select(CaseCount.day, CaseCount.what, func.sum(CaseCount.cases))
            .where(in_areas, CaseCount.what.in_(("source", "closed")),
                   or_(*(and_(CaseCount.day >= each.start, CaseCount.day <= each.end) for each in periods.values())))
            .group_by(CaseCount.day, CaseCount.what)):
        opened, closed = daily[day]
        daily[day] = (opened + cases, closed) if what == "source" else (opened, closed + cases)
    top = dict(db.session.execute(select(Category.id, Category.parent_id)).all())
    return {key: replace(counts, category=_merge(counts.category, lambda value: top.get(value) or value))
            for key, counts in found.items()}, daily


def _add(counts: dict, key, cases: int) -> None:
    counts[key] = counts.get(key, 0) + cases


def _grid_counts(actor: User, scope: Scope, in_scope, periods: dict[str, tuple[datetime, datetime]]
                 ) -> tuple[dict[int, str], dict[str, dict[int, int]]]:
    """The grids of the actor's area (narrowed to the scope) with their names and the cases opened in each
    period: per grid, a range of (grid, opened_at)."""
    counts = [select(func.count()).where(in_scope, DisputeCase.grid_id == Grid.id,
                                         _between(DisputeCase.opened_at, bounds)).scalar_subquery()
              for bounds in periods.values()]
    query = select(Grid.id, Grid.name, *counts).where(access.in_area(actor, Grid.id))
    if scope.community_id:
        query = query.where(Grid.community_id == scope.community_id)
    if scope.grid_id:
        query = query.where(Grid.id == scope.grid_id)
    labels: dict[int, str] = {}
    opened: dict[str, dict[int, int]] = {key: {} for key in periods}
    for grid_id, name, *per_period in db.session.execute(query):
        labels[grid_id] = name
        for key, count in zip(periods, per_period, strict=True):
            opened[key][grid_id] = count
    return labels, opened


def _merge(counts: Mapping, key_of: Callable) -> dict:
    """Counts added up under another key (a category under its top category, an outcome over on-time flags)."""
    merged: dict = defaultdict(int)
    for key, count in counts.items():
        merged[key_of(key)] += count
    return dict(merged)


_Key = TypeVar("_Key", str, int)  # what a breakdown counts by: a code or an id


def _breakdown(name: str, current: Mapping[_Key, int], previous: Mapping[_Key, int], labels: Mapping[_Key, str],
               cases: Callable[[_Key], ListFilter]) -> Breakdown:
    keys = [key for key in {**current, **previous} if key is not None and (current.get(key) or previous.get(key))]
    keys.sort(key=lambda key: (-current.get(key, 0), -previous.get(key, 0), str(labels.get(key, key))))
    return Breakdown(name, [Count(key, str(labels.get(key, key)), current.get(key, 0), previous.get(key, 0), cases(key))
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


def _durations(in_scope, periods: dict[str, tuple[datetime, datetime]], counts: dict[str, _Counts],
               closed_in: ListFilter) -> list[Duration]:
    """Median and 90th percentile of the time to close per tier (final tier), both periods, as PostgreSQL's
    percentile_cont: the one or two values around each position read from the index of times to close per
    tier (`OFFSET`, from the nearer end), the group's size taken from the kept counts, instead of sorting
    every closed case."""
    sizes = {(tier_value, key): size for key in periods
             for tier_value, size in counts[key].closed_tier.items() if size > 0}
    lookups: list[Select[Any]] = []
    for (tier_value, key), size in sizes.items():
        tier_is = DisputeCase.tier.is_(None) if tier_value == UNTRIAGED else DisputeCase.tier == tier_value
        for fraction in (0.5, 0.9):
            low = floor(fraction * (size - 1))
            high = min(low + 1, size - 1)
            nearer_end = (DisputeCase.close_seconds.asc(), low) if low < size - 1 - high else \
                (DisputeCase.close_seconds.desc(), size - 1 - high)
            around = (select(DisputeCase.close_seconds)
                      .where(in_scope, tier_is, _between(_checked_in_the_walk(DisputeCase.closed_at), periods[key]))
                      .order_by(nearer_end[0]).offset(nearer_end[1]).limit(high - low + 1).subquery())
            lookups.append(select(literal_column(str(len(lookups))), around.c.close_seconds))
    values: dict[int, list[float]] = defaultdict(list)
    if lookups:
        for index, value in db.session.execute(union_all(*lookups)):
            values[index].append(value)
    stats: dict[tuple[int, str], tuple[int, float | None, float | None]] = {}
    for number, (group, size) in enumerate(sizes.items()):
        stats[group] = (size, _interpolate(sorted(values[2 * number]), 0.5, size),
                        _interpolate(sorted(values[2 * number + 1]), 0.9, size))
    result = []
    for tier_value in sorted({tier_value for tier_value, _key in stats}):
        count, median, p90 = stats.get((tier_value, "c"), (0, None, None))
        previous_count, previous_median, previous_p90 = stats.get((tier_value, "p"), (0, None, None))
        result.append(Duration(
            tier=tier_value, count=count, median_days=_days(median), p90_days=_days(p90),
            previous_count=previous_count, previous_median_days=_days(previous_median),
            previous_p90_days=_days(previous_p90),
            cases=replace(closed_in, tier=tier_value or None),
        ))
    return result


def _checked_in_the_walk(column):
    """The column as SQLite's unary + leaves it: a condition on it is checked in each index entry walked, and not
    taken as the index's range. A percentile's walk of (tier, close_seconds, closed_at, …) in order then stops at
    its position; with the period as the range SQLite sorted the tier's whole period for every position."""
    if db.engine.dialect.name != "sqlite":
        return column
    return UnaryExpression(column, operator=custom_op("+"), type_=column.type)


def _interpolate(around: list[float], fraction: float, size: int) -> float | None:
    """percentile_cont from the (one or two) values of a group sorted at and after `fraction`'s position."""
    if not around:  # the kept counts ahead of the cases (`flask case-counts check`)
        return None
    position = fraction * (size - 1)
    low = around[0]
    high = around[1] if len(around) > 1 else low
    return low + (high - low) * (position - floor(position))


def _days(seconds: float | None) -> float | None:
    return None if seconds is None else round(seconds / 86400, 1)


def _trend(daily: Mapping[date, tuple[int, int]], period: Period, base: ListFilter) -> list[TrendPoint]:
    """Cases opened and closed per week or month of the period, and in the same weeks a year earlier, added
    up from the cases opened and closed per day."""
    def total(start: date, end: date) -> tuple[int, int]:
        days = [daily.get(start + timedelta(days=offset), (0, 0)) for offset in range((end - start).days + 1)]
        return sum(opened for opened, _closed in days), sum(closed for _opened, closed in days)

    points = []
    for start, end in _buckets(period):
        (opened, closed), (previous_opened, previous_closed) = total(start, end), total(_year_earlier(start),
                                                                                        _year_earlier(end))
        points.append(TrendPoint(start=start, end=end, opened=opened, closed=closed,
                                 previous_opened=previous_opened, previous_closed=previous_closed,
                                 opened_cases=replace(base, opened_from=start, opened_to=end),
                                 closed_cases=replace(base, closed_from=start, closed_to=end)))
    return points


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
    return {UNTRIAGED: _("未分级"), **{tier: str(label) for tier, label in TIER_LABELS.items()}}


def outcome_labels() -> dict[str, str]:
    return {outcome: str(label) for outcome, label in OUTCOME_LABELS.items()}


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
