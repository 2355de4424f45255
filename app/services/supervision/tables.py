"""Tables for download: the case list with its filters, the trail of a case, the trail of a period.

Each function returns (title, header, rows) of plain cells; the writers in exports.py make them CSV or
XLSX. Times are in the display time zone; trail rows keep their hashes, so an auditor can check the chain.
"""
import json
from zoneinfo import ZoneInfo

from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import select

from app.extensions import db
from app.models import DisputeCase, TrailEvent, User
from app.services.cases.lists import ListFilter
from app.services.cases.registry import filtered_cases
from app.services.people import access
from app.services.supervision.dashboard import Period, outcome_labels, source_labels, tier_labels

Table = tuple[str, list[str], list[list]]


def case_list_table(actor: User, wanted: ListFilter) -> Table:
    """Every case of the list the actor sees with these filters (all pages, in the list's order)."""
    sources, tiers, outcomes = source_labels(), tier_labels(), outcome_labels()
    cards = {"none": "", "yellow": _("黄牌"), "red": _("红牌")}
    header = [_("编号"), _("标题"), _("类别"), _("来源"), _("层级"), _("网格"), _("地址"), _("状态"), _("结果"),
              _("督办"), _("按时办结"), _("登记时间"), _("办结时间")]
    rows = [
        [case.number, case.title, case.category.label if case.category else "", sources.get(case.source, case.source),
         tiers.get(case.tier or 0), case.grid.name, case.address_text,
         _("办理中") if case.status == "open" else _("已结案"), outcomes.get(case.outcome, "") if case.outcome else "",
         cards.get(case.card, ""), _yes_no(case.on_time), _local(case.opened_at), _local(case.closed_at)]
        for case in db.session.scalars(filtered_cases(actor, wanted))
    ]
    return _("案件列表"), header, rows


def case_trail_table(actor: User, number: str) -> Table:
    """The whole trail of one visible case, in order."""
    case = access.ensure_case_visible(
        actor, db.session.scalar(select(DisputeCase).where(DisputeCase.number == number)))
    events = db.session.scalars(select(TrailEvent).where(TrailEvent.case_id == case.id).order_by(TrailEvent.seq))
    return _("留痕 %(number)s", number=number), _trail_header(), [_trail_row(case.number, event) for event in events]


def period_trail_table(actor: User, period: Period) -> Table:
    """Every trail entry written in the period, of the cases the supervisor may see (for audit)."""
    access.ensure_can_supervise(actor)
    start, end = period.bounds()
    rows = db.session.execute(
        select(DisputeCase.number, TrailEvent)
        .join(DisputeCase, DisputeCase.id == TrailEvent.case_id)
        .where(access.visible_cases(actor), TrailEvent.occurred_at >= start, TrailEvent.occurred_at < end)
        .order_by(TrailEvent.occurred_at, DisputeCase.number, TrailEvent.seq)
    ).all()
    title = _("留痕 %(start)s–%(end)s", start=period.start.isoformat(), end=period.end.isoformat())
    return title, _trail_header(), [_trail_row(number, event) for number, event in rows]


def _trail_header() -> list[str]:
    return [_("案件编号"), _("序号"), _("时间"), _("操作人"), _("事件"), _("内容"), _("前一条哈希"), _("哈希")]


def _trail_row(number: str, event: TrailEvent) -> list:
    return [number, event.seq, _local(event.occurred_at), event.actor_name, event.event,
            json.dumps(event.data, ensure_ascii=False, sort_keys=True), event.prev_hash, event.hash]


def _local(value) -> str:
    if value is None:
        return ""
    return value.astimezone(ZoneInfo(current_app.config["DISPLAY_TIMEZONE"])).strftime("%Y-%m-%d %H:%M")


def _yes_no(value: bool | None) -> str:
    return "" if value is None else (_("是") if value else _("否"))
