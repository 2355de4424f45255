"""the dashboard's counts kept per area, value and local day (case_count); a stored time to close

Revision ID: dashboard_case_counts
Revises: workflow_state_compressed
Create Date: 2026-11-28

`case_count` holds, per area (everywhere, a town, a grid), value and local day, the cases opened (by
category, source, tier, and the day they were closed on) and closed (by outcome, on-time flag and tier) —
kept by the steps from now on (app/services/supervision/case_counts.py) and filled here from the cases,
counted as of this revision. `close_seconds` (closed_at − opened_at) lets the percentiles read times to
close in index order per tier; the dashboard no longer reads the wide covering index, and the index on tier
alone is served by the new one. Plain ALTER TABLE (no batch): a batch rebuild of dispute_case would drop its
expression indexes.
"""
from collections import Counter
from datetime import datetime, timezone
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from alembic import op
from flask import current_app

revision = "dashboard_case_counts"
down_revision = "workflow_state_compressed"
branch_labels = None
depends_on = None

INDEXES = {"ix_dispute_case_tier_close_seconds": ["tier", "close_seconds", "closed_at", "grid_id"]}
REPLACED = {
    "ix_dispute_case_dashboard": ["grid_id", "opened_at", "closed_at", "category_id", "source", "tier", "outcome",
                                  "on_time"],
    "ix_dispute_case_tier": ["tier"],
}


def upgrade():
    connection = op.get_bind()
    op.add_column("dispute_case", sa.Column("close_seconds", sa.Double(), nullable=True))
    if connection.dialect.name == "postgresql":
        op.execute("UPDATE dispute_case SET close_seconds = EXTRACT(EPOCH FROM closed_at - opened_at)"
                   " WHERE closed_at IS NOT NULL")
    else:
        op.execute("UPDATE dispute_case SET close_seconds = (julianday(closed_at) - julianday(opened_at)) * 86400"
                   " WHERE closed_at IS NOT NULL")
    for name in REPLACED:
        op.drop_index(name, table_name="dispute_case")
    for name, columns in INDEXES.items():
        op.create_index(name, "dispute_case", columns)
    case_count = op.create_table(
        "case_count",
        sa.Column("area", sa.String(length=8), nullable=False),
        sa.Column("area_id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("what", sa.String(length=10), nullable=False),
        sa.Column("key", sa.String(length=80), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("cases", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("area", "area_id", "what", "key", "day", name=op.f("pk_case_count"),
                                postgresql_include=["cases"]),
        sqlite_with_rowid=False,
    )
    rows = _count(connection, ZoneInfo(current_app.config["DISPLAY_TIMEZONE"]))
    if rows:
        op.bulk_insert(case_count, [{"area": area, "area_id": area_id, "what": what, "key": key, "day": day,
                                     "cases": cases} for (area, area_id, what, key, day), cases in sorted(rows.items())])


def _count(connection, zone: ZoneInfo) -> Counter:
    """The counts of every case as of this revision (the service's recount, written out here)."""
    dispute_case = sa.table("dispute_case", sa.column("opened_at", sa.DateTime()), sa.column("closed_at", sa.DateTime()),
                            *(sa.column(name) for name in ("category_id", "source", "tier", "outcome", "on_time",
                                                           "grid_id")))
    grid = sa.table("grid", sa.column("id"), sa.column("community_id"))
    community = sa.table("community", sa.column("id"), sa.column("town_id"))

    def key(value) -> str:
        return "" if value is None else str(int(value))

    rows: Counter = Counter()
    for opened_at, closed_at, category_id, source, tier, outcome, on_time, grid_id, town_id in connection.execute(
            sa.select(dispute_case.c.opened_at, dispute_case.c.closed_at, dispute_case.c.category_id,
                      dispute_case.c.source, dispute_case.c.tier, dispute_case.c.outcome, dispute_case.c.on_time,
                      dispute_case.c.grid_id, community.c.town_id)
            .join(grid, grid.c.id == dispute_case.c.grid_id).join(community, community.c.id == grid.c.community_id)):
        opened = _aware(opened_at).astimezone(zone).date()
        entries = [(opened, "category", key(category_id)), (opened, "source", source), (opened, "tier", key(tier))]
        if closed_at is not None:
            closed = _aware(closed_at).astimezone(zone).date()
            entries += [(closed, "closed", f"{outcome or ''}|{key(on_time)}|{key(tier)}"),
                        (opened, "closed_on", closed.isoformat())]
        for day, what, value in entries:
            for area, area_id in (("all", 0), ("town", town_id), ("grid", grid_id)):
                rows[(area, area_id, what, value, day)] += 1
    return rows


def _aware(moment: datetime) -> datetime:
    """SQLite returns the stored UTC times without their zone."""
    return moment if moment.tzinfo else moment.replace(tzinfo=timezone.utc)


def downgrade():
    op.drop_table("case_count")
    for name in INDEXES:
        op.drop_index(name, table_name="dispute_case")
    for name, columns in REPLACED.items():
        op.create_index(name, "dispute_case", columns)
    op.drop_column("dispute_case", "close_seconds")
