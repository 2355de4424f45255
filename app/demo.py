"""Demo data for `make run`: one county town, a user per role, cases in every stage.

It is a script over the public services (each call its own transaction), so the demo cases
travel through the real process exactly as users' cases do.
"""
from typing import Any

from sqlalchemy import select

from app.demo_history import add_history
from app.extensions import db
from app.models import Address, Category, Task, User
from app.services.cases import registry as cases
from app.services.cases import tasks
from app.services.cases.documents import render_pending_documents
from app.services.cases.sector_bodies import sector_bodies_of_town
from app.services.design.processes import latest_definition
from app.services.intake.places import GridSpec, create_mediation_room, create_places
from app.services.people.users import create_user
from app.services.supervision.dashboard import today

DEMO_PASSWORD = "jiefen-demo"
GRIDS = [
    GridSpec("CG-HP-01", "和平社区第一网格", "和平社区", "城关派出所第一警格",
             ("城关镇和平路12号", "城关镇和平路18号3单元"),
             positions={"城关镇和平路12号": (29.7752, 104.8521), "城关镇和平路18号3单元": (29.7758, 104.8530)}),
    GridSpec("CG-HP-02", "和平社区第二网格", "和平社区", "城关派出所第一警格", ("城关镇新华街7号",),
             positions={"城关镇新华街7号": (29.7791, 104.8565)}),
    GridSpec("CG-ZH-01", "致和社区第一网格", "致和社区", "城关派出所第二警格", ("城关镇致和街5号",),
             positions={"城关镇致和街5号": (29.7712, 104.8478)}),
]
ALL_GRIDS = [spec.code for spec in GRIDS]
TOWN = "城关镇"
ROOM = "城关镇人民调解室"
# (username, name, role, grids, scope): grid workers serve grids, the police officer a police grid,
# the mediator a room, the others the town (see app/services/people/access.py).
USERS = [
    ("wangwu", "王五", "grid_worker", ["CG-HP-01", "CG-HP-02"], {}),
    ("zhaojing", "赵警官", "police_officer", [], {"police_grid": "城关派出所第一警格"}),
    ("liqing", "李青", "dispatcher", [], {"town": TOWN}),
    ("chenhe", "陈和", "mediator", [], {"mediation_room": ROOM}),
    ("sunlin", "孙林", "panel_member", [], {"town": TOWN}),
    ("zhoudu", "周督", "supervisor", [], {"town": TOWN}),
    ("designer", "流程设计员", "designer", [], {}),
    ("admin", "管理员", "admin", [], {}),
]
TRIAGE = {"category": "neighbour", "violence_risk": False, "tier": 1, "triage_note": "邻里纠纷，先行现场调解。"}
ON_SITE_AGREEMENT = {"session_record": "现场调解，双方各退一步。", "result": "agreement",
                     "agreement_form": "oral", "agreement_terms": "晚十点后不再装修。",
                     "performance_method": "自行履行", "performance_deadline": "2026-12-31"}
ON_SITE_FAILED = {"session_record": "双方分歧较大。", "result": "unresolved", "agreement_form": "oral",
                  "agreement_terms": ""}
FOLLOW_UP = {"agreement_kept": "yes", "satisfaction": "satisfied", "recurrence_risk": False,
             "note": "回访双方，协议已履行。"}
DEMO_CASES: list[tuple[str, str, list[tuple[str, dict[str, Any]]]]] = [
    # (title, category code, steps: list of (role, data))
    ("楼上装修噪音扰民", "neighbour", []),
    ("老旧小区加装电梯意见不一", "property", [("dispatcher", TRIAGE)]),
    ("新建房屋地界纠纷", "homestead", [("dispatcher", TRIAGE), ("grid_worker", ON_SITE_FAILED)]),
    ("停车收费引发群体聚集", "property", [("dispatcher", {**TRIAGE, "tier": 3, "triage_note": "涉及多户，提请三长会商。"})]),
    ("家庭矛盾扬言报复", "family", [("dispatcher", {**TRIAGE, "violence_risk": True, "triage_note": "有过激言行。"})]),
    ("四楼高空抛物", "neighbour", [("dispatcher", TRIAGE), ("grid_worker", ON_SITE_AGREEMENT)]),
    ("宠物狗吠扰邻", "neighbour", [("dispatcher", TRIAGE), ("grid_worker", ON_SITE_AGREEMENT),
                                   ("grid_worker", FOLLOW_UP)]),
]


def seed_demo() -> list[tuple[str, str, str]] | None:
    """Load the demo once; return the log-ins to print, or None if the demo is already there."""
    if db.session.scalar(select(User.id).where(User.username == "admin")) is not None:
        return None
    latest_definition(cases.PROCESS_KEY)  # fail before writing anything if processes are not deployed
    create_places(TOWN, GRIDS)
    create_mediation_room(ROOM, TOWN, ALL_GRIDS)
    for username, name, role, grids, scope in USERS:
        create_user(username, name, role, DEMO_PASSWORD, grids, **scope)
    users = {user.role: user for user in db.session.scalars(select(User))}
    add_history(ALL_GRIDS, today())  # closed cases since January last year, for the dashboard
    address = db.session.scalars(select(Address).order_by(Address.id).limit(1)).one()  # made by create_places
    for title, category_code, steps in DEMO_CASES:
        category_id = db.session.scalar(select(Category.id).where(Category.code == category_code))
        case = cases.open_case(users["grid_worker"], cases.NewCase(
            title=title, source="grid_patrol", category_id=category_id, address_id=address.id,
            parties=[cases.NewParty("张三", "applicant", "13800000001"), cases.NewParty("李四", "respondent")],
        ))
        for role, data in steps:
            tasks.submit_task(users[role], _ready_task_id(case.id), data)
    seed_closed_cases_with_documents(users, address)
    render_pending_documents()  # the scheduler would within seconds; the demo shows them from the first page
    return [(username, DEMO_PASSWORD, role) for username, _, role, _, _ in USERS]


def _ready_task_id(case_id: int) -> int:
    """The case's ready task: the demo's cases go one step at a time."""
    return db.session.scalars(select(Task.id).where(Task.case_id == case_id, Task.state == "ready").limit(1)).one()


# Closed cases whose documents (受理登记表 … 人民调解协议书 … 卷宗) the steps generate, as users' cases do.
WRITTEN_AGREEMENT = {
    "session_record": "调解员分别听取双方陈述，现场查看界桩位置，对照1998年宅基地使用证，双方认可以原界桩为界。",
    "result": "agreement", "agreement_form": "written",
    "parties_particulars": ("申请人刘建国，男，1968年3月生，汉族，农民，住城关镇致和街5号，身份证号5110251968031234XX；\n"
                            "被申请人陈志强，男，1975年8月生，汉族，个体经营，住城关镇致和街7号，身份证号5110251975081234XX。"),
    "facts": "2026年10月，被申请人新建住房时将围墙砌至申请人一侧约0.4米，申请人多次交涉未果，双方发生争执。",
    "disputed_matters": "双方宅基地的分界位置；被申请人围墙越界部分的拆除及损失赔偿。",
    "responsibilities": "被申请人未核实界址即行施工，负主要责任；申请人未及时到场指认界桩，负次要责任。",
    "agreement_terms": ("一、双方以1998年埋设的原界桩为界；\n二、被申请人于2026年12月20日前自行拆除越界围墙并按界桩重砌；\n"
                        "三、被申请人一次性补偿申请人青苗损失800元；\n四、双方今后互不追究，和睦相处。"),
    "performance_method": "被申请人自行拆除重砌围墙；补偿款当面现金支付，由调解员见证。",
    "performance_deadline": "2026-12-20", "judicial_confirmation": False,
}
FOUR_ACCOUNTS = {
    "psychological_account": "双方都担心“吃亏丢面子”，先稳定情绪。", "emotional_account": "两家是三十年的老邻居，孩子同校。",
    "consequences_account": "继续争执可能引发肢体冲突，诉讼耗时费钱。", "interests_account": "以原界桩为界，双方实际利益差别不大。",
}
JOINT_REFERRAL = {
    "court_participant": "城关法庭 周庭长", "justice_office_participant": "城关司法所 吴所长",
    "police_participant": "城关派出所 郑所长", "village_lawyer": "驻村律师 何律师",
    "session_record": "三长会商认为本案涉及医疗过错鉴定，宜由专业调解组织调解。", "result": "referred",
}


def seed_closed_cases_with_documents(users: dict[str, User], address: Address) -> None:
    """A written agreement in the mediation room and a referral by the joint consultation, both closed."""
    bodies = sector_bodies_of_town(address.grid.community.town_id)
    medical = next(body for body in bodies if "医疗" in body.name)
    runs = [
        ("新建住房宅基地边界纠纷", "homestead", ("刘建国", "陈志强"), [
            ("dispatcher", {**TRIAGE, "category": "homestead", "tier": 2, "triage_note": "涉及宅基地界址，转调解室。"}),
            ("mediator", FOUR_ACCOUNTS), ("mediator", WRITTEN_AGREEMENT), ("grid_worker", FOLLOW_UP)]),
        ("诊所输液后过敏赔偿纠纷", "medical", ("王秀兰", "城关镇仁心诊所"), [
            ("dispatcher", {**TRIAGE, "category": "medical", "tier": 3, "triage_note": "涉及医疗专业问题，提请三长会商。"}),
            ("panel_member", {**JOINT_REFERRAL, "sector_bodies": [medical.id], "referral_body": str(medical.id)}),
            ("grid_worker", {**FOLLOW_UP, "agreement_kept": "not_applicable",
                             "note": "已由医疗纠纷调解委员会受理，双方情绪平稳。"})]),
    ]
    for title, category_code, (applicant, respondent), steps in runs:
        category_id = db.session.scalar(select(Category.id).where(Category.code == category_code))
        case = cases.open_case(users["grid_worker"], cases.NewCase(
            title=title, source="walk_in", category_id=category_id, address_id=address.id,
            description=f"{applicant}来访反映与{respondent}的纠纷，请求调解。",
            parties=[cases.NewParty(applicant, "applicant", "13900000002"), cases.NewParty(respondent, "respondent")],
        ))
        for role, data in steps:
            tasks.submit_task(users[role], _ready_task_id(case.id), data)
