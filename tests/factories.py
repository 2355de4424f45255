"""Builders for tests: places, one user per role, cases and steps through the real services; copies of a
case in bulk for tests about many cases that are not about opening them."""
import re
import uuid
from dataclasses import dataclass
from io import BytesIO

from sqlalchemy import insert, select, update

from app.extensions import db
from app.models import (
    CaseNumberCounter,
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
from app.services.cases import registry as cases
from app.services.cases import tasks
from app.services.cases.search import reindex_all_cases
from app.services.intake.places import GridSpec, create_mediation_room, create_places
from app.services.people.users import create_user
from app.services.supervision.case_counts import count_all_cases
from app.services.supervision.trail import chain_rows, trail_key

PASSWORD = "secret-pass"
ROLES = ("grid_worker", "police_officer", "dispatcher", "mediator", "panel_member", "supervisor", "designer", "admin")

TRIAGE_L1 = {"category": "neighbour", "violence_risk": False, "tier": 1, "triage_note": "先行现场调解"}
TRIAGE_L2 = {**TRIAGE_L1, "tier": 2}
TRIAGE_L3 = {**TRIAGE_L1, "tier": 3}
TRIAGE_RISK = {**TRIAGE_L1, "violence_risk": True, "triage_note": "扬言报复"}
ON_SITE_AGREEMENT = {"session_record": "现场调解", "result": "agreement", "agreement_form": "oral",
                     "agreement_terms": "晚十点后停止装修", "performance_method": "自行履行",
                     "performance_deadline": "2026-12-01"}
ON_SITE_FAILED = {"session_record": "分歧大", "result": "unresolved", "agreement_form": "oral",
                  "agreement_terms": ""}
ON_SITE_RISK = {**ON_SITE_FAILED, "result": "violence_risk"}
FOUR_ACCOUNTS = {"psychological_account": "心理", "emotional_account": "感情",
                 "consequences_account": "后果", "interests_account": "利益"}
# A written agreement with every item Art. 29 asks for.
WRITTEN_AGREEMENT = {"agreement_form": "written",
                     "parties_particulars": "张三，男，1970年生，汉族，住和平路12号；李四，男，1985年生，汉族，住和平路12号楼上",
                     "facts": "李四装修至深夜，噪音影响张三休息", "disputed_matters": "噪音损害的赔偿数额",
                     "responsibilities": "李四负主要责任", "agreement_terms": "赔偿两千元",
                     "performance_method": "银行转账", "performance_deadline": "2026-12-15"}
SESSION_AGREEMENT = {"session_record": "调解笔录", "result": "agreement", **WRITTEN_AGREEMENT,
                     "judicial_confirmation": False}
SESSION_CONFIRM = {**SESSION_AGREEMENT, "judicial_confirmation": True}
SESSION_CONTINUE = {**SESSION_AGREEMENT, "result": "continue", "agreement_terms": ""}
SESSION_FAILED = {**SESSION_AGREEMENT, "result": "unresolved", "agreement_terms": ""}
CONSULT_AGREEMENT = {"court_participant": "城关法庭庭长", "justice_office_participant": "司法所所长",
                     "police_participant": "派出所所长", "session_record": "三长会商", "result": "agreement",
                     **WRITTEN_AGREEMENT, "agreement_terms": "分期付款", "judicial_confirmation": False,
                     "referral_route": ""}
CONSULT_ENDED = {**CONSULT_AGREEMENT, "result": "ended", "agreement_terms": "", "referral_route": "litigation"}
CONSULT_RISK = {**CONSULT_AGREEMENT, "result": "violence_risk", "agreement_terms": ""}
POLICE_TAKEN_OVER = {"police_action": "出警处置", "result": "taken_over", "tier": 1}
POLICE_RETURNED = {"police_action": "风险已化解", "result": "returned_to_mediation", "tier": 2}
JUDICIAL = {"court": "城关人民法院", "applied_on": "2026-11-30", "note": ""}
FOLLOW_UP = {"agreement_kept": "yes", "satisfaction": "satisfied", "recurrence_risk": False, "note": "已履行"}


# The places of make_world: the grid of the world's users, and the other grid, out of every scope.
HERE = {"grid": "G1", "police_grid": "第一警格", "mediation_room": "和平调解室", "town": "城关镇"}
# Where the two worlds' addresses stand: 150 m apart, across a town boundary.
HERE_POSITION = (29.7752, 104.8521)
THERE_POSITION = (29.7765, 104.8525)
THERE = {"grid": "G2", "police_grid": "第二警格", "mediation_room": "致和调解室", "town": "城南镇"}


@dataclass
class World:
    grid: Grid
    other_grid: Grid
    users: dict[str, User]
    outsider: User  # a grid worker serving only the other grid
    others: dict[str, User]  # one user per role serving only the other grid's town (no admin, designer)

    def __getitem__(self, role: str) -> User:
        return self.users[role]


def make_world() -> World:
    # The other grid lies in another town, police grid and mediation room: out of every scope.
    [grid] = create_places("城关镇", [GridSpec("G1", "和平一网格", "和平社区", "第一警格", ("和平路12号",),
                                               positions={"和平路12号": HERE_POSITION})])
    [other] = create_places("城南镇", [GridSpec("G2", "致和一网格", "致和社区", "第二警格", ("致和街5号",),
                                                positions={"致和街5号": THERE_POSITION})])
    create_mediation_room("和平调解室", "城关镇", ["G1"])
    create_mediation_room("致和调解室", "城南镇", ["G2"])
    users = {role: make_user(role, role, HERE) for role in ROLES}
    others = {role: make_user(f"other_{role}", role, THERE) for role in ROLES if role not in ("admin", "designer")}
    outsider = create_user("outsider", "外网格网格员", "grid_worker", PASSWORD, ["G2"])
    return World(grid=db.session.get(Grid, grid.id), other_grid=db.session.get(Grid, other.id),
                 users={role: db.session.get(User, user.id) for role, user in users.items()},
                 outsider=db.session.get(User, outsider.id),
                 others={role: db.session.get(User, user.id) for role, user in others.items()})


@dataclass(frozen=True)
class WorldIds:
    """A world's rows by id: what stays valid from one test's session to the next."""
    grid: int
    other_grid: int
    users: dict[str, int]
    outsider: int
    others: dict[str, int]


def world_ids(world: World) -> WorldIds:
    return WorldIds(grid=world.grid.id, other_grid=world.other_grid.id,
                    users={role: user.id for role, user in world.users.items()}, outsider=world.outsider.id,
                    others={role: user.id for role, user in world.others.items()})


def world_of(ids: WorldIds) -> World:
    """The world of these ids, in the current session: read in two queries (one per table), not one per row."""
    grids = {grid.id: grid for grid in db.session.scalars(select(Grid).where(Grid.id.in_([ids.grid, ids.other_grid])))}
    users = {user.id: user for user in db.session.scalars(select(User).where(User.id.in_(
        [*ids.users.values(), ids.outsider, *ids.others.values()])))}
    return World(grid=grids[ids.grid], other_grid=grids[ids.other_grid],
                 users={role: users[id_] for role, id_ in ids.users.items()}, outsider=users[ids.outsider],
                 others={role: users[id_] for role, id_ in ids.others.items()})


def make_user(username: str, role: str, place: dict[str, str]) -> User:
    """A user scoped as the role is in practice: grid workers to a grid, police officers to a police
    grid, mediators to a room, dispatchers, panel members and supervisors to a town."""
    scope = {"grid_worker": {}, "police_officer": {"police_grid": place["police_grid"]},
             "mediator": {"mediation_room": place["mediation_room"]}}.get(role, {"town": place["town"]})
    if role in ("admin", "designer"):
        scope = {}
    grids = [place["grid"]] if role == "grid_worker" else []
    return create_user(username, f"{role} 用户", role, PASSWORD, grids, **scope)


def open_case(world: World, title: str = "楼上噪音", actor_role: str = "grid_worker") -> DisputeCase:
    category_id = db.session.scalar(select(Category.id).where(Category.code == "neighbour"))
    return cases.open_case(world[actor_role], cases.NewCase(
        title=title, source="grid_patrol", category_id=category_id, grid_id=world.grid.id,
        parties=[cases.NewParty("张三", "applicant", "13800000001"), cases.NewParty("李四", "respondent")],
    ))


def ready_tasks(case: DisputeCase) -> list[Task]:
    return list(db.session.scalars(
        select(Task).where(Task.case_id == case.id, Task.state == "ready").order_by(Task.id)
    ))


def current_task(case: DisputeCase) -> Task:
    ready = ready_tasks(case)
    assert len(ready) == 1, [task.bpmn_id for task in ready]
    return ready[0]


def step(world: World, case: DisputeCase, bpmn_id: str, data: dict, role: str | None = None) -> Task:
    """Complete the case's ready task `bpmn_id` as a user of a role that may do it."""
    task = next((t for t in ready_tasks(case) if t.bpmn_id == bpmn_id), None)
    assert task is not None, f"{bpmn_id} not ready; ready: {[t.bpmn_id for t in ready_tasks(case)]}"
    return tasks.submit_task(world[role or task.roles[0]], task.id, data)


def reload(case: DisputeCase) -> DisputeCase:
    db.session.expire_all()
    return db.session.get(DisputeCase, case.id)


UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")


def copy_case(case: DisputeCase, count: int) -> list[int]:
    """`count` copies of `case` inserted in bulk, as bench/generate.py replicates cases, in ~1/20 of the
    CPU of opening them through the services: each copy with its own number (from the year's counter),
    parties, workflow state (the engine's task ids fresh, the number its own), tasks and their candidate
    roles, timers and trail (chained afresh); the search index and the dashboard's counts rebuilt, as
    after any bulk insert. Committed (joined to the test's transaction, like a service's commit); returns
    the copies' ids."""
    db.session.flush()

    def rows(model, *where):
        return [dict(row) for row in db.session.execute(select(model.__table__).where(*where)).mappings()]

    [template] = rows(DisputeCase, DisputeCase.id == case.id)
    assert template["tracking_code"] is None, "a resident's tracking code is the case's own"
    parties = rows(Party, Party.case_id == case.id)
    [workflow] = rows(WorkflowState, WorkflowState.case_id == case.id)
    tasks_ = rows(Task, Task.case_id == case.id)
    roles = rows(TaskCandidateRole, TaskCandidateRole.task_id.in_([task["id"] for task in tasks_]))
    routes = rows(CaseRoute, CaseRoute.case_id == case.id)
    timers = rows(PendingTimer, PendingTimer.case_id == case.id)
    trail = sorted(rows(TrailEvent, TrailEvent.case_id == case.id), key=lambda entry: entry["seq"])
    prefix, year, _ = template["number"].rsplit("-", 2)
    last = db.session.get_one(CaseNumberCounter, int(year)).last_number
    numbers = [f"{prefix}-{year}-{last + n:06d}" for n in range(1, count + 1)]
    db.session.execute(update(CaseNumberCounter).where(CaseNumberCounter.year == int(year))
                       .values(last_number=last + count))

    def without_id(row):
        return {key: value for key, value in row.items() if key != "id"}

    ids = list(db.session.scalars(insert(DisputeCase).returning(DisputeCase.id, sort_by_parameter_order=True),
                                  [{**without_id(template), "number": number} for number in numbers]))
    db.session.execute(insert(Party), [{**without_id(party), "case_id": case_id}
                                       for case_id in ids for party in parties])
    engine_ids = [{old: str(uuid.uuid4()) for old in set(UUID.findall(workflow["state"]))} for _ in ids]
    db.session.execute(insert(WorkflowState), [
        {**workflow, "case_id": case_id, "version": 1, "state": UUID.sub(
            lambda match: fresh[match.group()], workflow["state"].replace(template["number"], number))}
        for case_id, number, fresh in zip(ids, numbers, engine_ids)])
    task_rows = [{**without_id(task), "case_id": case_id, "engine_task_id": fresh[task["engine_task_id"]]}
                 for case_id, fresh in zip(ids, engine_ids) for task in tasks_]
    task_ids = list(db.session.scalars(insert(Task).returning(Task.id, sort_by_parameter_order=True), task_rows))
    new_task = [dict(zip([task["id"] for task in tasks_], task_ids[n * len(tasks_):(n + 1) * len(tasks_)]))
                for n in range(count)]
    if roles:
        db.session.execute(insert(TaskCandidateRole), [{**role, "task_id": new_task[n][role["task_id"]]}
                                                       for n in range(count) for role in roles])
    if routes:
        db.session.execute(insert(CaseRoute), [{**route, "case_id": case_id} for case_id in ids for route in routes])
    if timers:
        db.session.execute(insert(PendingTimer), [{**without_id(timer), "case_id": case_id}
                                                  for case_id in ids for timer in timers])
    entries, heads, key = [], [], trail_key()
    for n, (case_id, number) in enumerate(zip(ids, numbers)):
        rows_of_copy = [{**without_id(entry), "case_id": case_id, "task_id": new_task[n].get(entry["task_id"]),
                         "data": {**entry["data"], "number": number} if "number" in entry["data"] else entry["data"]}
                        for entry in trail]
        heads.append({"id": case_id, "trail_head_seq": len(trail), "trail_head_hash": chain_rows(rows_of_copy, key)})
        entries += rows_of_copy
    db.session.execute(insert(TrailEvent), entries)
    db.session.execute(update(DisputeCase), heads)
    reindex_all_cases()
    count_all_cases()
    db.session.commit()
    return ids


def tiny_image(kind: str = "JPEG", gps: tuple[float, float] | None = None) -> bytes:
    """A small real photo; with `gps`, its EXIF holds the position as a phone camera writes it."""
    from PIL import Image

    image = Image.new("RGB", (40, 30), (200, 80, 40))
    exif = Image.Exif()
    if gps:
        def dms(value: float):
            degrees = int(value)
            minutes = int((value - degrees) * 60)
            return (degrees, minutes, round(((value - degrees) * 60 - minutes) * 60, 2))
        exif[0x010F] = "PhoneMaker"  # Make
        exif[0x8825] = {1: "N", 2: dms(gps[0]), 3: "E", 4: dms(gps[1])}  # the GPS IFD
    out = BytesIO()
    image.save(out, kind, **({"exif": exif} if gps else {}))
    return out.getvalue()
