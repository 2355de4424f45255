"""Template filters: times shown in the display time zone, codes shown as Chinese labels."""
from datetime import datetime
from zoneinfo import ZoneInfo

from flask import Flask, current_app

from app.models import ROLE_LABELS
from app.services import clock
from app.services.due_states import DUE_STATE_LABELS, due_state
from forms.cases import SOURCE_CHOICES

LABELS = {
    "source": dict(SOURCE_CHOICES),
    "role": ROLE_LABELS,
    "status": {"open": "办理中", "closed": "已结案"},
    "card": {"none": "—", "yellow": "黄牌", "red": "红牌"},
    "task_state": {"ready": "待办", "completed": "已办结", "cancelled": "已撤销"},
    "outcome": {
        "agreement": "调解成功", "mediation_ended": "调解终止", "transferred_to_police": "移交公安",
        "closed": "已结案",
    },
    "due_state": {**DUE_STATE_LABELS, "closed": "已结案"},
    "tier": {1: "一级 现场", 2: "二级 调解室", 3: "三级 三长会商"},
    "event": {
        "case_opened": "案件登记", "task_created": "生成任务", "task_completed": "办结任务",
        "task_cancelled": "任务撤销", "timer_fired": "时限到期", "card_raised": "亮牌督办",
        "tier_changed": "层级变更", "case_closed": "结案", "violence_risk_flagged": "过激风险，移交公安",
        "category_changed": "类别调整", "task_claimed": "认领任务", "task_unclaimed": "取消认领",
        "task_assigned": "转派任务", "task_handed_back": "退回待办组", "comment_added": "添加意见",
        "attachment_added": "上传附件", "clock_paused": "暂停计时", "clock_resumed": "恢复计时",
        "mediation_extended": "延长调解期限",
        "case_migrated": "迁移流程版本",
        "handoff_received": "公安移交", "case_pushed": "推送公安", "report_received": "群众扫码自报",
    },
}


def local_time(value: datetime | None) -> str:
    if value is None:
        return "—"
    zone = ZoneInfo(current_app.config["DISPLAY_TIMEZONE"])
    return value.astimezone(zone).strftime("%Y-%m-%d %H:%M")


def label(value, kind: str) -> str:
    if value is None:
        return "—"
    return LABELS[kind].get(value, str(value))


def task_due_state(task) -> str:
    return due_state(task.due_at, task.case.card, clock.now(), paused=task.case.clock_paused_at is not None)


def case_due_state(case) -> str:
    """A case's own state: its card, or a paused clock (its tasks carry the due times)."""
    if case.status != "open":
        return "closed"
    return due_state(None, case.card, clock.now(), paused=case.clock_paused_at is not None)


def init_app(app: Flask) -> None:
    app.add_template_filter(local_time)
    app.add_template_filter(label)
    app.add_template_filter(task_due_state)
    app.add_template_filter(case_due_state)
