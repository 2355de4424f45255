"""The case trail (全过程留痕): append-only, each entry chained to the previous one by a keyed hash.

TrailEventType is the one list of what the trail records, with each event's label; the stored value
is the member's string (`case_opened`, ...), named `subject_past_tense_verb`.
"""
from datetime import datetime
from enum import StrEnum

from flask_babel import LazyString
from flask_babel import lazy_gettext as _l
from sqlalchemy import JSON, ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from app.extensions import Model
from app.models.types import UtcDateTime

# The prev_hash of a case's first entry, and the head of a case without entries.
GENESIS_HASH = "0" * 64


class TrailEventType(StrEnum):
    """Every kind of trail entry, with its label (Chinese, translated by Babel)."""

    label: LazyString

    def __new__(cls, value: str, label: LazyString) -> "TrailEventType":
        member = str.__new__(cls, value)
        member._value_ = value
        member.label = label
        return member

    CASE_OPENED = "case_opened", _l("案件登记")
    HANDOFF_RECEIVED = "handoff_received", _l("公安移交")
    REPORT_RECEIVED = "report_received", _l("群众扫码自报")
    TASK_CREATED = "task_created", _l("生成任务")
    TASK_CLAIMED = "task_claimed", _l("认领任务")
    TASK_UNCLAIMED = "task_unclaimed", _l("取消认领")
    TASK_ASSIGNED = "task_assigned", _l("转派任务")
    TASK_HANDED_BACK = "task_handed_back", _l("退回待办组")
    TASK_COMPLETED = "task_completed", _l("办结任务")
    TASK_CANCELLED = "task_cancelled", _l("任务撤销")
    TIMER_FIRED = "timer_fired", _l("时限到期")
    LIMIT_BREACHED = "limit_breached", _l("超过时限")
    DUE_TIME_RECOMPUTED = "due_time_recomputed", _l("时限重算")
    CARD_RAISED = "card_raised", _l("亮牌督办")
    TIER_CHANGED = "tier_changed", _l("层级变更")
    CATEGORY_CHANGED = "category_changed", _l("类别调整")
    VIOLENCE_RISK_FLAGGED = "violence_risk_flagged", _l("过激风险，移交公安")
    CASE_PUSHED = "case_pushed", _l("推送公安")
    COMMENT_ADDED = "comment_added", _l("添加意见")
    ATTACHMENT_ADDED = "attachment_added", _l("上传附件")
    CLOCK_PAUSED = "clock_paused", _l("暂停计时")
    CLOCK_RESUMED = "clock_resumed", _l("恢复计时")
    MEDIATION_EXTENDED = "mediation_extended", _l("延长调解期限")
    CASE_MIGRATED = "case_migrated", _l("迁移流程版本")
    DOCUMENT_GENERATED = "document_generated", _l("生成文书")
    CASE_CLOSED = "case_closed", _l("结案")


class TrailEvent(Model):
    __table_args__ = (UniqueConstraint("case_id", "seq", name="uq_trail_event_case_seq"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("dispute_case.id", ondelete="CASCADE"))
    seq: Mapped[int]
    occurred_at: Mapped[datetime] = mapped_column(UtcDateTime())
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    actor_name: Mapped[str] = mapped_column(String(100))
    event: Mapped[str] = mapped_column(String(40))  # a TrailEventType value
    task_id: Mapped[int | None] = mapped_column(ForeignKey("task.id"))
    data: Mapped[dict] = mapped_column(JSON, default=dict)
    prev_hash: Mapped[str] = mapped_column(String(64))
    # HMAC-SHA256 (key JIEFEN_TRAIL_KEY) of the entry's fields and prev_hash: see services/supervision/trail.py.
    hash: Mapped[str] = mapped_column(String(64))
