"""Template filters: times shown in the display time zone, codes shown as Chinese labels."""
from datetime import datetime
from zoneinfo import ZoneInfo

from flask import Flask, current_app

from app.models import ROLE_LABELS
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
    "tier": {1: "一级 现场", 2: "二级 调解室", 3: "三级 三长会商"},
    "event": {
        "case_opened": "案件登记", "task_created": "生成任务", "task_completed": "办结任务",
        "task_cancelled": "任务撤销", "timer_fired": "时限到期", "card_raised": "亮牌督办",
        "tier_changed": "层级变更", "case_closed": "结案", "violence_risk_flagged": "过激风险，移交公安",
        "category_changed": "类别调整",
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


def init_app(app: Flask) -> None:
    app.add_template_filter(local_time)
    app.add_template_filter(label)
