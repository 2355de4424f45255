"""A dispute case (矛盾纠纷) and the counter that numbers cases per year."""
from datetime import date, datetime
from typing import TYPE_CHECKING

from flask_babel import lazy_gettext as _l
from sqlalchemy import ForeignKey, Index, PrimaryKeyConstraint, String, Text, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.extensions import Model
from app.models.category import Category
from app.models.grid import Address, Grid
from app.models.trail import GENESIS_HASH
from app.models.types import UtcDateTime

if TYPE_CHECKING:
    from app.models.party import Party

SOURCES = ("grid_patrol", "police_handoff", "resident_report", "walk_in")
CARDS = ("none", "yellow", "red")  # in rising order of urgency
# What a closed case came to (`outcome`), in the order lists, filters and tables show them.
OUTCOME_LABELS = {"agreement": _l("调解成功"), "mediation_ended": _l("调解终止"), "transferred_to_police": _l("移交公安"),
                  "referred_to_sector_body": _l("移送行业性专业调解"), "closed": _l("已结案")}
OUTCOMES = tuple(OUTCOME_LABELS)
# The columns a list may be filtered on that a dashboard figure links to (services/cases/lists.py `_in_the_walk`).
LIST_FILTERS = ("category_id", "source", "tier", "status", "outcome", "on_time", "closed_at")
# What else a walk of a list's order reads: the card (PostgreSQL walks the urgency order's index alone only with the
# column of its expression in it) and who opened the case (readers of routed cases see those they opened too).
WALK_READS = ("card", "opened_by_id")
TIER_LABELS = {1: _l("一级 现场"), 2: _l("二级 调解室"), 3: _l("三级 三长会商")}


class DisputeCase(Model):
    __table_args__ = (
        Index("ix_dispute_case_status_grid", "status", "grid_id"),
        # An area's cases by opening time; with who opened each, a routed reader's list is counted in it alone.
        Index("ix_dispute_case_grid_opened", "grid_id", "opened_at", "id", "opened_by_id"),
        Index("ix_dispute_case_status_next_due", "status", "next_due_at"),
        # The case list's orders (services/cases/lists.py CASE_ORDERS), read in index order, and the
        # supervision lists' filters. Each carries the grid after the order's keys, then the filters a dashboard
        # figure links to and what else a walk reads (WALK_READS): a town's list, a filtered one or a search
        # walked in the index keeps or passes each case without reading its row.
        Index("ix_dispute_case_opened_at", "opened_at", "id", "grid_id", *LIST_FILTERS, *WALK_READS),
        Index("ix_dispute_case_due_order", text("(next_due_at IS NULL)"), "next_due_at", "id", "grid_id",
              *LIST_FILTERS, "opened_at", *WALK_READS),
        Index("ix_dispute_case_urgency_order", text("violence_risk DESC"),
              text("(CASE WHEN card = 'red' THEN 0 WHEN card = 'yellow' THEN 1 ELSE 2 END)"),
              text("(next_due_at IS NULL)"), "next_due_at", "id", "grid_id", *LIST_FILTERS, "opened_at", *WALK_READS),
        # A filtered list is counted in the index that leads with its filter.
        Index("ix_dispute_case_category_grid", "category_id", "grid_id"),
        Index("ix_dispute_case_source_grid", "source", "grid_id"),
        Index("ix_dispute_case_closed_at", "closed_at", "grid_id", "outcome", "on_time"),
        Index("ix_dispute_case_status_card", "status", "card", "grid_id"),
        Index("ix_dispute_case_card_raised_at", "card_raised_at", "grid_id"),
        # The dashboard's percentiles (services/supervision/dashboard.py) read the times to close in order per tier.
        Index("ix_dispute_case_tier_close_seconds", "tier", "close_seconds", "closed_at", "grid_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    number: Mapped[str] = mapped_column(String(40), unique=True)
    title: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text, default="")
    category_id: Mapped[int | None] = mapped_column(ForeignKey("category.id"))
    source: Mapped[str] = mapped_column(String(20))
    tier: Mapped[int | None]
    violence_risk: Mapped[bool] = mapped_column(default=False)
    status: Mapped[str] = mapped_column(String(10), default="open")
    card: Mapped[str] = mapped_column(String(10), default="none")
    outcome: Mapped[str | None] = mapped_column(String(40))
    grid_id: Mapped[int] = mapped_column(ForeignKey("grid.id"))
    address_id: Mapped[int | None] = mapped_column(ForeignKey("address.id"))
    address_text: Mapped[str] = mapped_column(String(200), default="")
    opened_at: Mapped[datetime] = mapped_column(UtcDateTime())
    opened_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    closed_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    # closed_at − opened_at in seconds, written with closed_at: the dashboard's percentiles read it in index order.
    close_seconds: Mapped[float | None]
    # A resident's code to follow their report (/track); only resident reports have one.
    tracking_code: Mapped[str | None] = mapped_column(String(16), unique=True, index=True)
    # A paused clock (e.g. a party is away): no timer fires; resuming moves due times on.
    clock_paused_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    clock_pause_reason: Mapped[str] = mapped_column(String(200), default="")
    # Where the reporter stood (a phone's geolocation, confirmed by the user); None when not given.
    reported_latitude: Mapped[float | None]
    reported_longitude: Mapped[float | None]
    # Time-limit record, kept with each step so lists sort and dashboards count without reading timers:
    # the earliest pending due time (open task or timer), the case's closing limit, when a limit was
    # first breached (once), and at closure whether it closed within its limit (按时办结).
    next_due_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    due_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    breached_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    on_time: Mapped[bool | None]
    # When a yellow or red card was last raised: the weekly supervision list reads it, not the trail.
    card_raised_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    # The trail's head: its newest entry's seq and hash, moved on by each append (so appending reads no
    # entry) and checked by `flask trail verify` (so deleting the newest entries shows).
    trail_head_seq: Mapped[int] = mapped_column(default=0)
    trail_head_hash: Mapped[str] = mapped_column(String(64), default=GENESIS_HASH)

    category: Mapped[Category | None] = relationship()
    grid: Mapped[Grid] = relationship()
    address: Mapped[Address | None] = relationship()
    parties: Mapped[list["Party"]] = relationship(
        back_populates="case", order_by="Party.id", cascade="all, delete-orphan"
    )


class CaseNumberCounter(Model):
    """The last number given out in a year; bumped inside the transaction that opens a case."""

    year: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    last_number: Mapped[int] = mapped_column(default=0)



class CaseCount(Model):
    """Cases counted per area, value and local day, kept by the steps that change them
    (services/supervision/case_counts.py): the dashboard adds up a period's rows instead of reading its cases.

    `what` is the value counted: on the day a case was opened its `category` (the case's own id), `source`,
    `tier` and, once it is closed, `closed_on` (the day, ISO); on the day it was closed `closed`, keyed
    "outcome|on_time|tier". `area` is "all" (area_id 0),
    "town" or "grid". Keys are text, "" for none. The rows are read in key order, without the table: on
    SQLite the table is its key (no rowid), on PostgreSQL the key's index includes `cases`.
    """

    __table_args__ = (
        PrimaryKeyConstraint("area", "area_id", "what", "key", "day", postgresql_include=["cases"]),
        {"sqlite_with_rowid": False},
    )

    area: Mapped[str] = mapped_column(String(8))
    area_id: Mapped[int]
    what: Mapped[str] = mapped_column(String(10))
    key: Mapped[str] = mapped_column(String(80))
    day: Mapped[date]
    cases: Mapped[int] = mapped_column(default=0)
