"""Demo history: closed cases from the start of last year until now, so the dashboard's figures, its
year-on-year comparison and its trend are worth looking at on the first run.

The cases of the demo's stages go through the real process (app/demo.py); this history is inserted in
bulk — cases, parties, the opening and closing entries of each trail (hash-chained like any other), and
the search index — in one transaction, in well under a second for a few hundred cases. Its cases have no
workflow: they were closed before the system kept one.
"""
import random
from datetime import date, datetime, time, timedelta, timezone
from zoneinfo import ZoneInfo

from flask import current_app
from sqlalchemy import insert, select, update

from app.extensions import db
from app.models import CaseNumberCounter, Category, DisputeCase, Grid, Party, TrailEvent
from app.services.cases.search import reindex_all_cases
from app.services.supervision.case_counts import count_all_cases
from app.services.supervision.trail import GENESIS_HASH, entry_hash, trail_key
from app.services.time_limits import clock
from app.services.transaction import transaction

# (category code, weight): neighbours and property management lead, as in county statistics.
CATEGORIES = [("neighbour", 30), ("property", 18), ("family", 14), ("homestead", 10), ("contract", 7),
              ("labour", 6), ("damages", 5), ("consumer", 4), ("traffic", 3), ("other", 3)]
SOURCES = [("grid_patrol", 55), ("police_handoff", 25), ("resident_report", 12), ("walk_in", 8)]
# tier: (weight, typical days to close, closing limit in days)
TIERS = {1: (70, 1.0, 3), 2: (22, 10, 30), 3: (8, 15, 45)}
TITLES = {
    "neighbour": ["楼上噪音扰民", "高空抛物", "邻里漏水纠纷", "宠物扰邻", "楼道堆物"],
    "property": ["物业费收缴争议", "停车位纠纷", "加装电梯意见不一", "小区绿化被占"],
    "family": ["赡养老人纠纷", "婚姻家庭矛盾", "遗产继承分歧"],
    "homestead": ["宅基地地界纠纷", "新建房屋采光争议"],
    "contract": ["装修合同纠纷", "租房押金纠纷"],
    "labour": ["拖欠工资", "工伤赔偿争议"],
    "damages": ["车辆刮擦赔偿", "房屋损坏赔偿"],
    "consumer": ["预付卡退费纠纷", "商品质量争议"],
    "traffic": ["电动车碰撞赔偿"],
    "other": ["村务公开争议"],
}
SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何林罗高"
GIVEN = ["建国", "秀英", "桂兰", "志强", "海燕", "春梅", "伟", "芳", "军", "丽", "强", "敏", "静", "磊"]


@transaction
def add_history(grid_codes: list[str], today: date, cases_per_week: float = 6.0, seed: int = 2026) -> int:
    """Closed cases on the grids from 1 January of last year until `today`; returns how many."""
    rng = random.Random(seed)
    zone = ZoneInfo(current_app.config["DISPLAY_TIMEZONE"])
    now = clock.now()
    grids = list(db.session.scalars(select(Grid).where(Grid.code.in_(grid_codes)).order_by(Grid.code)))
    categories = dict(db.session.execute(select(Category.code, Category.id)).all())
    prefix = current_app.config["CASE_NUMBER_PREFIX"]
    counters: dict[int, int] = {}
    rows, parties = [], []
    day = date(today.year - 1, 1, 1)
    while day < today:
        # This year a little busier than last: the year-on-year figures have something to say.
        rate = cases_per_week / 7 * (1.15 if day.year == today.year else 1.0)
        for _ in range(_poisson(rng, rate)):
            opened = datetime.combine(day, time(rng.randint(8, 17), rng.randint(0, 59)), zone).astimezone(timezone.utc)
            tier = rng.choices(list(TIERS), [weight for weight, _, _ in TIERS.values()])[0]
            _, typical, limit = TIERS[tier]
            days = rng.lognormvariate(0, 0.45) * typical * (2.5 if rng.random() < 0.04 else 1)
            closed = opened + timedelta(days=days)
            if closed >= now:
                continue
            category = rng.choices([code for code, _ in CATEGORIES], [weight for _, weight in CATEGORIES])[0]
            if opened.year not in counters:
                counters[opened.year] = _last_number(opened.year)
            counters[opened.year] += 1
            rows.append({
                "number": f"{prefix}-{opened.year}-{counters[opened.year]:06d}",
                "title": rng.choice(TITLES[category]), "description": "", "category_id": categories.get(category),
                "source": rng.choices([code for code, _ in SOURCES], [weight for _, weight in SOURCES])[0],
                "tier": tier, "grid_id": rng.choice(grids).id, "opened_at": opened, "status": "closed",
                "closed_at": closed, "close_seconds": (closed - opened).total_seconds(),
                "due_at": opened + timedelta(days=limit), "on_time": days <= limit,
                "outcome": rng.choices(["agreement", "mediation_ended", "transferred_to_police"], [96, 3, 1])[0],
            })
            parties.append([(_name(rng), "applicant", f"139{rng.randint(0, 99999999):08d}"),
                            (_name(rng), "respondent", "")])
        day += timedelta(days=1)
    if not rows:
        return 0
    # Bulk inserts (one statement per table), ids returned in the order of the rows.
    ids = list(db.session.scalars(insert(DisputeCase).returning(DisputeCase.id, sort_by_parameter_order=True), rows))
    db.session.execute(insert(Party), [
        {"case_id": case_id, "name": name, "role": role, "phone": phone, "id_number": ""}
        for case_id, case_parties in zip(ids, parties) for name, role, phone in case_parties])
    trails = [_trail(case_id, row) for case_id, row in zip(ids, rows)]
    db.session.execute(insert(TrailEvent), [entry for trail in trails for entry in trail])
    # Each case row keeps its trail's head, as append_event would have left it.
    db.session.execute(update(DisputeCase), [
        {"id": case_id, "trail_head_seq": trail[-1]["seq"], "trail_head_hash": trail[-1]["hash"]}
        for case_id, trail in zip(ids, trails)])
    for year, last in counters.items():
        _set_counter(year, last)
    reindex_all_cases()
    count_all_cases()
    return len(rows)


def _trail(case_id: int, row: dict) -> list[dict]:
    """The opening and closing entries of a history case, chained like every trail."""
    entries, previous, key = [], GENESIS_HASH, trail_key()
    for seq, (at, event, data) in enumerate([
        (row["opened_at"], "case_opened", {"number": row["number"], "title": row["title"], "source": row["source"],
                                           "process": "history"}),
        (row["closed_at"], "case_closed", {"outcome": row["outcome"]}),
    ], start=1):
        entry = TrailEvent(case_id=case_id, seq=seq, occurred_at=at, actor_id=None, actor_name="系统", event=event,
                           data=data, prev_hash=previous)
        entry.hash = previous = entry_hash(entry, key)
        entries.append({"case_id": case_id, "seq": seq, "occurred_at": at, "actor_id": None, "actor_name": "系统",
                        "event": event, "task_id": None, "data": data, "prev_hash": entry.prev_hash,
                        "hash": entry.hash})
    return entries


def _last_number(year: int) -> int:
    return db.session.scalar(select(CaseNumberCounter.last_number).where(CaseNumberCounter.year == year)) or 0


def _set_counter(year: int, last: int) -> None:
    if db.session.get(CaseNumberCounter, year) is None:
        db.session.add(CaseNumberCounter(year=year, last_number=last))
    else:
        db.session.execute(update(CaseNumberCounter).where(CaseNumberCounter.year == year).values(last_number=last))
    db.session.flush()


def _poisson(rng: random.Random, rate: float) -> int:
    count, threshold, product = 0, pow(2.718281828459045, -rate), rng.random()
    while product > threshold:
        count += 1
        product *= rng.random()
    return count


def _name(rng: random.Random) -> str:
    return rng.choice(SURNAMES) + rng.choice(GIVEN)
