"""trail keyed with HMAC-SHA256 (JIEFEN_TRAIL_KEY), and its head kept on the case row

Revision ID: trail_keyed_chain
Revises: 0009_time_limit_record
Create Date: 2026-11-28

Re-keys every case's trail: each entry's plain SHA-256 becomes an HMAC-SHA256 under the configured key,
chained the same way. An entry that no longer matches its old hash is left as it is, so the break still
shows (at the same seq) after the upgrade instead of being laundered. The case row gets the head
(newest seq and hash). The hash functions are copied here as they stand at this revision.
"""
import hashlib
import hmac
import json
from datetime import timezone

import sqlalchemy as sa
from alembic import op
from flask import current_app

revision = "trail_keyed_chain"
down_revision = "0009_time_limit_record"
branch_labels = None
depends_on = None

GENESIS_HASH = "0" * 64
BATCH = 1000

trail_event = sa.table(
    "trail_event",
    sa.column("id", sa.Integer), sa.column("case_id", sa.Integer), sa.column("seq", sa.Integer),
    sa.column("occurred_at", sa.DateTime(timezone=True)), sa.column("actor_id", sa.Integer),
    sa.column("actor_name", sa.String), sa.column("event", sa.String), sa.column("task_id", sa.Integer),
    sa.column("data", sa.JSON), sa.column("prev_hash", sa.String), sa.column("hash", sa.String),
)
dispute_case = sa.table(
    "dispute_case",
    sa.column("id", sa.Integer), sa.column("trail_head_seq", sa.Integer), sa.column("trail_head_hash", sa.String),
)


def _canonical(row, prev_hash: str) -> bytes:
    occurred_at = row.occurred_at
    occurred_at = occurred_at.replace(tzinfo=timezone.utc) if occurred_at.tzinfo is None else occurred_at
    return json.dumps(
        {
            "case_id": row.case_id, "seq": row.seq, "occurred_at": occurred_at.astimezone(timezone.utc).isoformat(),
            "actor_id": row.actor_id, "actor_name": row.actor_name, "event": row.event, "task_id": row.task_id,
            "data": row.data, "prev_hash": prev_hash,
        },
        sort_keys=True, ensure_ascii=False, separators=(",", ":"), default=str,
    ).encode("utf-8")


def _plain(row, prev_hash: str) -> str:
    return hashlib.sha256(_canonical(row, prev_hash)).hexdigest()


def _keyed(key: bytes):
    return lambda row, prev_hash: hmac.new(key, _canonical(row, prev_hash), hashlib.sha256).hexdigest()


def _rehash(old, new) -> None:
    """Every case's chain from hash function `old` to `new`; heads set on the case row."""
    connection = op.get_bind()
    case_ids = connection.execute(sa.select(trail_event.c.case_id).distinct().order_by(trail_event.c.case_id)).scalars().all()
    for start in range(0, len(case_ids), BATCH):
        chunk = case_ids[start:start + BATCH]
        rows = connection.execute(sa.select(trail_event).where(trail_event.c.case_id.in_(chunk))
                                  .order_by(trail_event.c.case_id, trail_event.c.seq)).fetchall()
        _rehash_rows(connection, rows, old, new)


def _rehash_rows(connection, rows, old, new) -> None:
    """Re-hash each entry that still matches its old hash and links to its predecessor; leave any other
    entry as it is (the next one then links to its stored hash), so a break stays at its seq."""
    updates, heads = [], {}
    case_id, old_prev, new_prev = None, GENESIS_HASH, GENESIS_HASH
    for row in rows:
        if row.case_id != case_id:
            case_id, old_prev, new_prev = row.case_id, GENESIS_HASH, GENESIS_HASH
        if row.prev_hash == old_prev and row.hash == old(row, row.prev_hash):
            new_hash = new(row, new_prev)
            updates.append({"row_id": row.id, "new_prev": new_prev, "new_hash": new_hash})
        else:
            new_hash = row.hash
        old_prev, new_prev = row.hash, new_hash
        heads[row.case_id] = (row.seq, new_hash)
    if updates:
        connection.execute(sa.update(trail_event).where(trail_event.c.id == sa.bindparam("row_id"))
                           .values(prev_hash=sa.bindparam("new_prev"), hash=sa.bindparam("new_hash")), updates)
    if heads:
        connection.execute(
            sa.update(dispute_case).where(dispute_case.c.id == sa.bindparam("row_id"))
            .values(trail_head_seq=sa.bindparam("head_seq"), trail_head_hash=sa.bindparam("head_hash")),
            [{"row_id": case, "head_seq": seq, "head_hash": head} for case, (seq, head) in heads.items()])


def upgrade():
    with op.batch_alter_table("dispute_case") as batch_op:
        batch_op.add_column(sa.Column("trail_head_seq", sa.Integer(), nullable=False, server_default="0"))
        batch_op.add_column(sa.Column("trail_head_hash", sa.String(length=64), nullable=False,
                                      server_default=GENESIS_HASH))
    _rehash(_plain, _keyed(current_app.config["TRAIL_KEY"].encode("utf-8")))


def downgrade():
    _rehash(_keyed(current_app.config["TRAIL_KEY"].encode("utf-8")), _plain)
    with op.batch_alter_table("dispute_case") as batch_op:
        batch_op.drop_column("trail_head_hash")
        batch_op.drop_column("trail_head_seq")
