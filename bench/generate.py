"""Fill a database with N realistic cases for the benchmarks.

    PYTHONPATH=. .venv/bin/python bench/generate.py N [--url DATABASE_URL] [--open-share 0.05]

The database (default: bench/bench.sqlite; or a PostgreSQL URL — its public schema is emptied) gets
the migrated schema, the shipped process, ~1,700 grids in 8 towns with their communities, police grids,
mediation rooms, grid workers on a few grids per town, one user per town-wide role, an API token for a police system
(printed), and N cases: representative cases of every stage and outcome are built through the services
(real workflow states, tasks, timers, trails), then replicated in bulk with SQL — each copy with its own
category, source, grid, fresh engine task ids, its dates moved back (open cases up to 20 days, closed ones
up to two years) and its trail's hash chain recomputed. `bench/run.py` measures on the result.
"""
import argparse
import math
import os
import random
import re
import sys
import time
import uuid
from datetime import datetime, timedelta
from pathlib import Path

from flask_migrate import upgrade
from sqlalchemy import func, select, text

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from app import create_app  # noqa: E402
from app.extensions import db  # noqa: E402
from app.models import (  # noqa: E402
    CaseRoute,
    Category,
    DisputeCase,
    Grid,
    Party,
    PendingTimer,
    Task,
    TaskCandidateRole,
    TrailEvent,
    User,
    WorkflowState,
)
from app.models.dispute_case import SOURCES  # noqa: E402
from app.services.cases.search import reindex_all_cases  # noqa: E402
from app.services.design.processes import deploy_processes  # noqa: E402
from app.services.intake.api_tokens import create_token  # noqa: E402
from app.services.intake.places import GridSpec, create_mediation_room, create_places  # noqa: E402
from app.services.people.users import create_user  # noqa: E402
from app.services.supervision.case_counts import count_all_cases  # noqa: E402
from app.services.supervision.trail import chain_rows  # noqa: E402
from forms.tasks import TASK_FORMS  # noqa: E402
from tests import factories as f  # noqa: E402

TOWNS = 8
GRIDS_PER_TOWN = 212  # 1,696 grids
GRIDS_PER_COMMUNITY = 10
GRIDS_PER_POLICE_GRID = 8
ROOMS_PER_TOWN = 4
GRID_WORKERS_PER_TOWN = 4  # users cost a transaction each; the lists' scopes need only a few
POLICE_PER_TOWN = 2
PASSWORD = "bench-pass"
BATCH = 1000
DEFAULT_URL = f"sqlite:///{ROOT / 'bench' / 'bench.sqlite'}"
# A production configuration (not TESTING) needs these; one process counts its own rate limits.
BENCH_CONFIG = {"SECRET_KEY": "bench-only-" + "x" * 40, "TRAIL_KEY": "bench-trail-" + "y" * 40,
                "RATELIMIT_STORAGE_URI": "memory://"}

# How long a closed copy took to close, by its tier (days, drawn evenly on a log scale): on site within days,
# the mediation room within weeks, the joint consultation within its 30-day limit and a little past it.
DAYS_TO_CLOSE = {None: (0.05, 2), 1: (0.1, 3), 2: (1, 20), 3: (5, 45)}

# Representative cases: the steps each one has been through (then it waits, or is closed).
OPEN_STAGES = {
    "triage": [],
    "on_site": [("triage_case", f.TRIAGE_L1)],
    "police": [("triage_case", f.TRIAGE_RISK)],
    "four_accounts": [("triage_case", f.TRIAGE_L2)],
    "session": [("triage_case", f.TRIAGE_L2), ("assess_four_accounts", f.FOUR_ACCOUNTS)],
    "consult": [("triage_case", f.TRIAGE_L3)],
    "judicial": [("triage_case", f.TRIAGE_L2), ("assess_four_accounts", f.FOUR_ACCOUNTS),
                 ("hold_mediation_session", f.SESSION_CONFIRM)],
    "follow_up": [("triage_case", f.TRIAGE_L1), ("mediate_on_site", f.ON_SITE_AGREEMENT)],
}
CLOSED_STAGES = {
    "closed_on_site": OPEN_STAGES["follow_up"] + [("follow_up_visit", f.FOLLOW_UP)],
    "closed_room": OPEN_STAGES["session"] + [("hold_mediation_session", f.SESSION_AGREEMENT),
                                             ("follow_up_visit", f.FOLLOW_UP)],
    "closed_consult_ended": [("triage_case", f.TRIAGE_L3), ("consult_jointly", f.CONSULT_ENDED),
                             ("follow_up_visit", f.FOLLOW_UP)],
    "closed_police": [("triage_case", f.TRIAGE_RISK), ("handle_violence_risk", f.POLICE_TAKEN_OVER)],
}
# What differs between copies of a workflow state: its engine task ids and its date-times.
UUID_PATTERN = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")
VARIABLE_PATTERN = re.compile(r"([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}"
                              r"|\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d+)?\+00:00)")
# How a state's data names the case's category (in each task's data).
CATEGORY_PATTERN = re.compile(r'"category":\s*"[^"]*"')


def town_name(t: int) -> str:
    return f"第{t + 1}镇"


def grid_code(t: int, g: int) -> str:
    return f"T{t + 1}G{g + 1:03d}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("count", type=int)
    parser.add_argument("--url", default=os.environ.get("JIEFEN_BENCH_DATABASE_URL", DEFAULT_URL))
    parser.add_argument("--open-share", type=float, default=0.05)
    parser.add_argument("--seed", type=int, default=12)
    parser.add_argument("--towns", type=int, default=TOWNS)
    parser.add_argument("--grids-per-town", type=int, default=GRIDS_PER_TOWN)
    args = parser.parse_args()
    random.seed(args.seed)
    began = time.perf_counter()
    app = create_app({"SQLALCHEMY_DATABASE_URI": args.url, "PASSWORD_HASH_METHOD": "pbkdf2:sha256:1000", **BENCH_CONFIG})
    with app.app_context():
        _empty(args.url)
        upgrade(directory=str(app.config["MIGRATIONS_DIR"]))
        deploy_processes(ROOT / "processes", TASK_FORMS)
        token = _places_and_people(args.towns, args.grids_per_town)
        print(f"places and people: {time.perf_counter() - began:.0f} s", flush=True)
        templates = _templates()
        print(f"places, people and {len(templates)} representative cases: {time.perf_counter() - began:.0f} s")
        _replicate(templates, args.count, args.open_share)
        reindex_all_cases()  # the copies bypass the services that keep the search index
        db.session.commit()
        print(f"search index: {time.perf_counter() - began:.0f} s", flush=True)
        count_all_cases()  # and the dashboard's counts
        db.session.commit()
        print(f"dashboard counts: {time.perf_counter() - began:.0f} s", flush=True)
        # Statistics as a deployment has them: PostgreSQL's autovacuum analyzes a table that grew, SQLite keeps
        # none unless asked (Jiefen never runs ANALYZE there), and its plans are chosen without them.
        if db.engine.dialect.name == "postgresql":
            _advance_sequences()
            with db.engine.begin() as connection:
                connection.execute(text("ANALYZE"))
        where = db.engine.url.render_as_string()
    print(f"{args.count} cases in {time.perf_counter() - began:.0f} s on {where}")
    print(f"API token (police system bench, 第1警格): {token}")


def _empty(url: str) -> None:
    if url.startswith("sqlite:///"):
        path = Path(url.removeprefix("sqlite:///"))
        for suffix in ("", "-wal", "-shm"):
            Path(f"{path}{suffix}").unlink(missing_ok=True)
        db.engine.dispose()
    else:
        with db.engine.begin() as connection:
            connection.execute(text("DROP SCHEMA public CASCADE; CREATE SCHEMA public"))


def _places_and_people(towns: int, grids_per_town: int) -> str:
    for t in range(towns):
        specs = [GridSpec(grid_code(t, g), f"{town_name(t)}{g + 1}网格", f"{town_name(t)}{g // GRIDS_PER_COMMUNITY + 1}社区",
                          f"{t + 1}-{g // GRIDS_PER_POLICE_GRID + 1}警格", (f"{town_name(t)}{g + 1}号",))
                 for g in range(grids_per_town)]
        create_places(town_name(t), specs)
        per_room = grids_per_town // ROOMS_PER_TOWN + 1
        for r in range(ROOMS_PER_TOWN):
            codes = [grid_code(t, g) for g in range(r * per_room, min((r + 1) * per_room, grids_per_town))]
            create_mediation_room(f"{town_name(t)}调解室{r + 1}", town_name(t), codes)
            create_user(f"mediator_{t + 1}_{r + 1}", "调解员", "mediator", PASSWORD, [],
                        mediation_room=f"{town_name(t)}调解室{r + 1}")
        for role in ("dispatcher", "panel_member", "supervisor"):
            create_user(f"{role}_{t + 1}", role, role, PASSWORD, [], town=town_name(t))
        for g in range(GRID_WORKERS_PER_TOWN):
            create_user(f"gw_{grid_code(t, g)}", "网格员", "grid_worker", PASSWORD, [grid_code(t, g)])
        for p in range(POLICE_PER_TOWN):
            create_user(f"police_{t + 1}_{p + 1}", "民警", "police_officer", PASSWORD, [], police_grid=f"{t + 1}-{p + 1}警格")
    create_user("admin", "管理员", "admin", PASSWORD, [])
    return create_token("bench", "1-1警格").token


SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈姚卢姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯龙史陶黎贺顾毛郝龚邵万钱严覃武戴莫孔向汤"
GIVEN_NAMES = "伟芳娜秀英敏静丽强磊军洋勇艳杰娟涛明超兰霞平刚桂华建国红梅玉兰志文斌浩宇鹏辉丹萍鑫新德利金荣春海林云飞波雪晨"

def _templates() -> list[dict]:
    """Representative cases through the services, then read back as rows to copy."""
    grid = db.session.scalar(select(Grid).where(Grid.code == grid_code(0, 0)))
    users = {user.role: user for user in db.session.scalars(select(User).where(User.username.in_(
        [f"gw_{grid_code(0, 0)}", "police_1_1", "dispatcher_1", "mediator_1_1", "panel_member_1"])))}
    world = _World(grid, users)
    templates = []
    for stage, steps in {**OPEN_STAGES, **CLOSED_STAGES}.items():
        case = f.open_case(world, stage)
        for bpmn_id, data in steps:
            f.step(world, case, bpmn_id, data)
        templates.append(_rows_of(case.id, stage in CLOSED_STAGES))
    return templates


class _World:
    """The slice of factories.World that f.open_case and f.step use."""

    def __init__(self, grid: Grid, users: dict[str, User]):
        self.grid = grid
        self.users = users

    def __getitem__(self, role: str) -> User:
        return self.users[role]


def _row(obj) -> dict:
    return {column.key: getattr(obj, column.key) for column in obj.__table__.columns}


def _rows_of(case_id: int, closed: bool) -> dict:
    db.session.expire_all()
    state = db.session.get(WorkflowState, case_id).state
    case = db.session.get_one(DisputeCase, case_id)
    return {
        "closed": closed,
        # The state cut once around what each copy changes: plain text at even places, ids and times at odd.
        "state_parts": VARIABLE_PATTERN.split(state),
        "case": _row(case),
        "parties": [_row(p) for p in db.session.scalars(select(Party).where(Party.case_id == case_id))],
        "workflow": _row(db.session.get(WorkflowState, case_id)),
        "tasks": [_row(t) for t in db.session.scalars(select(Task).where(Task.case_id == case_id).order_by(Task.id))],
        "task_roles": [_row(r) for r in db.session.scalars(select(TaskCandidateRole).join(Task).where(
            Task.case_id == case_id))],
        "routes": [_row(r) for r in db.session.scalars(select(CaseRoute).where(CaseRoute.case_id == case_id))],
        "timers": [_row(t) for t in db.session.scalars(select(PendingTimer).where(PendingTimer.case_id == case_id))],
        "trail": [_row(e) for e in db.session.scalars(
            select(TrailEvent).where(TrailEvent.case_id == case_id).order_by(TrailEvent.seq))],
    }


def _replicate(templates: list[dict], count: int, open_share: float) -> None:
    open_templates = [t for t in templates if not t["closed"]]
    closed_templates = [t for t in templates if t["closed"]]
    grids = db.session.scalars(select(Grid.id)).all()
    categories = db.session.execute(select(Category.id, Category.code)).all()
    ids = {model: (db.session.scalar(select(func.max(model.id))) or 0) + 1
           for model in (DisputeCase, Party, Task, PendingTimer, TrailEvent)}
    db.session.commit()
    began = time.perf_counter()
    for start in range(0, count, BATCH):
        rows: dict = {model: [] for model in (DisputeCase, Party, WorkflowState, Task, TaskCandidateRole, CaseRoute,
                                              PendingTimer, TrailEvent)}
        for index in range(start, min(start + BATCH, count)):
            is_open = random.random() < open_share
            template = random.choice(open_templates if is_open else closed_templates)
            back = timedelta(days=random.uniform(0, 20) if is_open else random.uniform(20, 730),
                             seconds=random.randrange(86400))
            _copy(template, index, back, random.choice(grids), random.choice(categories), ids, rows)
        for model in (DisputeCase, Party, WorkflowState, Task, TaskCandidateRole, CaseRoute, PendingTimer, TrailEvent):
            if rows[model]:
                db.session.execute(model.__table__.insert(), rows[model])
        db.session.commit()
        done = min(start + BATCH, count)
        if done % (BATCH * 10) == 0 or done == count:
            print(f"  {done} cases, {done / (time.perf_counter() - began):.0f}/s", flush=True)


def _copy(template: dict, index: int, back: timedelta, grid_id: int, category: tuple[int, str], ids: dict,
          rows: dict) -> None:
    def moved(value):
        return value - back if isinstance(value, datetime) else value

    case_id = ids[DisputeCase]
    ids[DisputeCase] += 1
    case = {key: moved(value) for key, value in template["case"].items()}
    case.update(id=case_id, number=f"BX-{case['opened_at'].year}-{index + 1:07d}", title=f"{case['title']} {index + 1}",
                grid_id=grid_id, category_id=category[0], source=random.choice(SOURCES), tracking_code=None,
                address_id=None)
    if case["closed_at"] is not None:
        # Each closed copy takes its own time to close, by its tier as a county's cases do. The templates close
        # within a second of opening (their steps run back to back), so copied as they are every percentile
        # was ~0 and the index of times to close held a handful of values per tier. The trail keeps its times.
        low, high = DAYS_TO_CLOSE[case["tier"]]
        days = math.exp(random.uniform(math.log(low), math.log(high)))
        case["closed_at"] = min(case["opened_at"] + timedelta(days=days), case["closed_at"] + back)
        case["close_seconds"] = (case["closed_at"] - case["opened_at"]).total_seconds()
    rows[DisputeCase].append(case)
    for party in template["parties"]:
        # Names and phones vary as a county's do, so a search for one finds a few cases, not all of them.
        name = random.choice(SURNAMES) + "".join(random.choices(GIVEN_NAMES, k=random.choice((1, 2))))
        phone = f"1{random.choice('3578')}{random.randrange(10 ** 9):09d}" if party["phone"] else party["phone"]
        rows[Party].append({**party, "id": ids[Party], "case_id": case_id, "name": name, "phone": phone})
        ids[Party] += 1
    parts = list(template["state_parts"])
    engine_ids: dict[str, str] = {}
    for at in range(1, len(parts), 2):
        token = parts[at]
        if UUID_PATTERN.fullmatch(token):
            if token not in engine_ids:
                engine_ids[token] = str(uuid.uuid4())
            parts[at] = engine_ids[token]
        else:
            parts[at] = moved(datetime.fromisoformat(token)).isoformat()
    state = CATEGORY_PATTERN.sub(f'"category":"{category[1]}"', "".join(parts))  # each copy's data names its own
    rows[WorkflowState].append({**template["workflow"], "case_id": case_id, "state": state, "version": 1})
    task_ids = {}
    for task in template["tasks"]:
        task_ids[task["id"]] = ids[Task]
        rows[Task].append({**{key: moved(value) for key, value in task.items()}, "id": ids[Task], "case_id": case_id,
                           "grid_id": grid_id, "engine_task_id": engine_ids.get(task["engine_task_id"], str(uuid.uuid4()))})
        ids[Task] += 1
    for role in template["task_roles"]:
        rows[TaskCandidateRole].append({**role, "task_id": task_ids[role["task_id"]]})
    rows[CaseRoute] += [{**route, "case_id": case_id} for route in template["routes"]]
    for timer in template["timers"]:
        rows[PendingTimer].append({**timer, "id": ids[PendingTimer], "case_id": case_id, "due_at": moved(timer["due_at"])})
        ids[PendingTimer] += 1
    trail = []
    for event in template["trail"]:
        trail.append({**event, "id": ids[TrailEvent], "case_id": case_id, "occurred_at": moved(event["occurred_at"]),
                      "task_id": task_ids.get(event["task_id"])})
        ids[TrailEvent] += 1
    head = chain_rows(trail, BENCH_CONFIG["TRAIL_KEY"].encode("utf-8"))
    rows[TrailEvent] += trail
    if "trail_head_hash" in case:  # the trail's head kept on the case row
        case.update(trail_head_seq=len(template["trail"]), trail_head_hash=head)


def _advance_sequences() -> None:
    with db.engine.begin() as connection:
        for table in ("dispute_case", "party", "task", "pending_timer", "trail_event"):
            connection.execute(text(
                f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), (SELECT max(id) FROM {table}))"))


if __name__ == "__main__":
    main()
