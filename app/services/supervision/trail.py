"""The case trail: appending entries, and showing whether anyone changed it since.

Each entry carries an HMAC-SHA256, keyed with JIEFEN_TRAIL_KEY (kept outside the database), over its
fields and the previous entry's hash. The case row keeps the head (newest seq and hash), and an anchor
(`flask trail anchor`) records every case's head outside the database. Verifying a case finds:
- an entry whose fields no longer match its keyed hash (changed, or re-hashed without the key);
- an entry whose seq was moved (reordered), or a gap in the seqs (missing);
- entries deleted from the end (the head on the case row, or an anchor, names a later seq);
- a comment or attachment whose text, bytes or name no longer match the hash its trail entry recorded,
  or that no trail entry recorded.
append_event is a helper (adds; the calling public function commits).
"""
import hashlib
import hmac
import json
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timezone
from types import SimpleNamespace
from typing import Any

from flask import current_app
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import insert, select
from sqlalchemy.event import listens_for
from sqlalchemy.orm import Session

from app.extensions import db
from app.models import Attachment, AttachmentContent, CaseComment, DisputeCase, TrailEvent, User
from app.models.trail import GENESIS_HASH, TrailEventType
from app.services.errors import InvalidInputError, NotFoundError

# How many cases `verify_trails` reads per round of queries.
_CASES_PER_BATCH = 500

# What can be wrong, with the label the case page shows.
BREAK_KINDS = {
    "changed": _l("记录被改动"),
    "reordered": _l("记录顺序被调换"),
    "missing": _l("记录缺失"),
    "deleted_tail": _l("最新记录被删除"),
    "head_changed": _l("案件的留痕头被改动"),
    "comment_changed": _l("意见被改动或删除"),
    "attachment_changed": _l("附件被改动或删除"),
    "unrecorded": _l("意见或附件未记入留痕"),
    "case_deleted": _l("案件被删除"),
}


@dataclass(frozen=True)
class TrailBreak:
    """One thing wrong with a case's trail: `seq` is the entry concerned (None: the case as a whole)."""

    case_number: str
    seq: int | None
    kind: str
    detail: str

    @property
    def label(self) -> str:
        return str(BREAK_KINDS[self.kind])

    def __str__(self) -> str:
        where = f"seq {self.seq}" if self.seq is not None else "case"
        return f"{self.case_number} {where}: {self.kind} — {self.detail}"


@dataclass(frozen=True)
class VerifyReport:
    cases: int
    entries: int
    breaks: list[TrailBreak]


@dataclass(frozen=True)
class Anchor:
    """Every case's head at one moment; `line` is the digest line to keep outside the system."""

    heads: dict[str, tuple[int, str]]
    line: str
    text: str


# --- appending ----------------------------------------------------------------------------------

def append_event(
    case_id: int, event: TrailEventType, *, actor: User | None, at: datetime, data: dict[str, Any] | None = None,
    task_id: int | None = None,
) -> None:
    """Add the next entry of a case's trail, chained to the head kept on the case row (no entry is read).

    The entry is written with the transaction's next flush, together with the other entries appended
    since the last one, in one INSERT (see `_write_appended_entries`)."""
    # An unknown event type is a programming error: ValueError. (A lookup by value, which mypy checks against the
    # members' __new__: python/mypy#10573.)
    event = TrailEventType(event)  # type: ignore[call-arg]
    case = db.session.get_one(DisputeCase, case_id)  # in the session already: the caller loaded it
    row: dict[str, Any] = {
        "case_id": case_id,
        "seq": case.trail_head_seq + 1,
        "occurred_at": at,
        "actor_id": actor.id if actor else None,
        "actor_name": actor.display_name if actor else "系统",
        "event": event.value,
        "task_id": task_id,
        "data": data or {},
        "prev_hash": case.trail_head_hash,
    }
    row["hash"] = entry_hash(SimpleNamespace(**row), trail_key())  # a row, not an ORM object: it is only written
    case.trail_head_seq, case.trail_head_hash = row["seq"], row["hash"]
    db.session.info.setdefault(_APPENDED, []).append(row)


# The entries appended in a session's transaction and not yet written: each a row of every column but the id.
_APPENDED = "trail_entries_appended"


@listens_for(Session, "before_flush")
@listens_for(Session, "before_commit")
def _write_appended_entries(session: Session, *_args) -> None:
    """Write the appended entries in one INSERT when the session flushes (a query, the end of a step).

    As ORM objects they went out one INSERT each on SQLite, whose INSERT … RETURNING cannot tell which
    new id belongs to which row: eight statements for a swept case. Nothing reads them back as objects."""
    appended = session.info.pop(_APPENDED, None)
    if appended:
        session.connection().execute(insert(TrailEvent), appended)


@listens_for(Session, "after_transaction_end")
def _forget_appended_entries(session: Session, transaction) -> None:
    """A rolled-back transaction's entries go with it (a committed one's are written already)."""
    session.info.pop(_APPENDED, None)


def entry_hash(entry: TrailEvent | SimpleNamespace, key: bytes, *, seq: int | None = None) -> str:
    """The entry's (or the row's being appended) keyed hash (as if at `seq`, when given: to tell a moved entry from a changed one)."""
    canonical = json.dumps(
        {
            "case_id": entry.case_id,
            "seq": entry.seq if seq is None else seq,
            "occurred_at": entry.occurred_at.astimezone(timezone.utc).isoformat(),
            "actor_id": entry.actor_id,
            "actor_name": entry.actor_name,
            "event": entry.event,
            "task_id": entry.task_id,
            "data": entry.data,
            "prev_hash": entry.prev_hash,
        },
        sort_keys=True,
        ensure_ascii=False,
        separators=(",", ":"),
        default=str,
    )
    return hmac.new(key, canonical.encode("utf-8"), hashlib.sha256).hexdigest()


def chain_rows(rows: list[dict[str, Any]], key: bytes) -> str:
    """Link a case's trail rows, in seq order, into its hash chain in place (each row's prev_hash and hash),
    for rows written in bulk (copies of a case in the bench and the tests); the head's hash."""
    previous = GENESIS_HASH
    for row in rows:
        row["prev_hash"] = previous
        row["hash"] = previous = entry_hash(SimpleNamespace(**row), key)
    return previous


def trail_key() -> bytes:
    """The key the chain is computed with (JIEFEN_TRAIL_KEY)."""
    return current_app.config["TRAIL_KEY"].encode("utf-8")


# --- verifying ----------------------------------------------------------------------------------

def verify_trails(case_number: str | None = None, anchor_text: str | None = None) -> VerifyReport:
    """Check every case's trail (or one case's), and the heads an anchor recorded: each break, named."""
    key = trail_key()
    query = select(DisputeCase.id).order_by(DisputeCase.id)
    if case_number is not None:
        query = query.where(DisputeCase.number == case_number)
    case_ids = list(db.session.scalars(query))
    if case_number is not None and not case_ids:
        raise NotFoundError(_("没有找到该案件。"))
    anchored = read_anchor(anchor_text, key) if anchor_text is not None else None
    breaks: list[TrailBreak] = []
    entries = 0
    seen: set[str] = set()
    for start in range(0, len(case_ids), _CASES_PER_BATCH):
        cases = list(db.session.scalars(select(DisputeCase).where(
            DisputeCase.id.in_(case_ids[start:start + _CASES_PER_BATCH])).order_by(DisputeCase.id)))
        entries += _verify_batch(cases, key, anchored, breaks)
        seen.update(case.number for case in cases)
    if anchored is not None:
        wanted = anchored.heads if case_number is None else {
            n: h for n, h in anchored.heads.items() if n == case_number}
        breaks.extend(TrailBreak(number, None, "case_deleted", f"the anchor records the case at seq {seq}")
                      for number, (seq, _hash) in wanted.items() if number not in seen)
    return VerifyReport(cases=len(case_ids), entries=entries, breaks=breaks)


def case_trail_breaks(case: DisputeCase, trail: list[TrailEvent]) -> list[TrailBreak]:
    """What is wrong with one case's trail (already read, in seq order), for the case page."""
    return _case_breaks(case, trail, trail_key(), *_files_of([case.id]))


def _verify_batch(cases: list[DisputeCase], key: bytes, anchored: Anchor | None, breaks: list[TrailBreak]) -> int:
    ids = [case.id for case in cases]
    trails: dict[int, list[TrailEvent]] = defaultdict(list)
    for entry in db.session.scalars(
        select(TrailEvent).where(TrailEvent.case_id.in_(ids)).order_by(TrailEvent.case_id, TrailEvent.seq)
    ):
        trails[entry.case_id].append(entry)
    comments, attachments = _files_of(ids)
    for case in cases:
        breaks.extend(_case_breaks(case, trails[case.id], key, comments, attachments))
        if anchored is not None and case.number in anchored.heads:
            breaks.extend(_anchor_breaks(case, trails[case.id], anchored.heads[case.number]))
    return sum(len(trail) for trail in trails.values())


@dataclass(frozen=True)
class _StoredFile:
    case_id: int
    digest: str
    name: str | None  # attachments: the file name; comments: None
    author_id: int


def _files_of(case_ids: list[int]) -> tuple[dict[int, _StoredFile], dict[int, _StoredFile]]:
    """The comments and attachments of some cases, by id, each with the SHA-256 of what is stored now."""
    comments = {
        row.id: _StoredFile(row.case_id, hashlib.sha256(row.body.encode("utf-8")).hexdigest(), None, row.author_id)
        for row in db.session.execute(select(CaseComment.id, CaseComment.case_id, CaseComment.body,
                                             CaseComment.author_id).where(CaseComment.case_id.in_(case_ids)))
    }
    attachments = {}
    rows = db.session.execute(
        select(Attachment.id, Attachment.case_id, Attachment.filename, Attachment.uploaded_by_id, AttachmentContent.data)
        .outerjoin(AttachmentContent, AttachmentContent.attachment_id == Attachment.id)
        .where(Attachment.case_id.in_(case_ids))
        .execution_options(yield_per=20)  # the bytes: a few files in memory at a time
    )
    for row in rows:
        digest = hashlib.sha256(row.data).hexdigest() if row.data is not None else ""
        attachments[row.id] = _StoredFile(row.case_id, digest, row.filename, row.uploaded_by_id)
    return comments, attachments


def _case_breaks(case: DisputeCase, trail: list[TrailEvent], key: bytes,
                 comments: dict[int, _StoredFile], attachments: dict[int, _StoredFile]) -> list[TrailBreak]:
    number = case.number
    breaks: list[TrailBreak] = []
    seqs = [entry.seq for entry in trail]
    expected_seq, expected_prev, previous_sound = 1, GENESIS_HASH, True
    for entry in trail:
        if entry.seq > expected_seq:
            breaks.append(TrailBreak(number, expected_seq, "missing", _seq_range(expected_seq, entry.seq - 1)
                                     + f" missing before seq {entry.seq}"))
            previous_sound = False
        sound = hmac.compare_digest(entry.hash, entry_hash(entry, key))
        if not sound:
            original = next((s for s in seqs if s != entry.seq
                             and hmac.compare_digest(entry.hash, entry_hash(entry, key, seq=s))), None)
            if original is not None:
                breaks.append(TrailBreak(number, entry.seq, "reordered",
                                         f"the entry written as seq {original} now stands at seq {entry.seq}"))
            else:
                breaks.append(TrailBreak(number, entry.seq, "changed",
                                         f"{entry.event}: its fields do not match its keyed hash"))
        elif previous_sound and entry.prev_hash != expected_prev:
            breaks.append(TrailBreak(number, entry.seq, "changed",
                                     "its link to the previous entry does not match that entry's hash"))
        breaks.extend(_file_breaks(number, entry, comments, attachments))
        expected_seq, expected_prev, previous_sound = entry.seq + 1, entry.hash, sound
    last_seq, last_hash = (trail[-1].seq, trail[-1].hash) if trail else (0, GENESIS_HASH)
    if case.trail_head_seq > last_seq:
        breaks.append(TrailBreak(number, last_seq + 1, "deleted_tail",
                                 f"{_seq_range(last_seq + 1, case.trail_head_seq)} deleted: the case row's head "
                                 f"is seq {case.trail_head_seq}, the trail ends at seq {last_seq}"))
    elif case.trail_head_seq < last_seq or (previous_sound and case.trail_head_hash != last_hash):
        breaks.append(TrailBreak(number, case.trail_head_seq, "head_changed",
                                 f"the case row's head (seq {case.trail_head_seq}) does not match the newest "
                                 f"entry (seq {last_seq})"))
    breaks.extend(_unrecorded(number, case.id, trail, comments, attachments))
    return breaks


def _file_breaks(number: str, entry: TrailEvent, comments: dict[int, _StoredFile],
                 attachments: dict[int, _StoredFile]) -> list[TrailBreak]:
    """A comment's text or an attachment's bytes and name against the hash its trail entry recorded."""
    if entry.event == TrailEventType.COMMENT_ADDED:
        stored = _named_file(comments, entry, "comment_id")
        if stored is None or stored.case_id != entry.case_id:
            return [TrailBreak(number, entry.seq, "comment_changed",
                               f"comment {entry.data.get('comment_id')} is no longer stored")]
        if stored.digest != entry.data.get("sha256") or stored.author_id != entry.actor_id:
            return [TrailBreak(number, entry.seq, "comment_changed",
                               f"comment {entry.data.get('comment_id')}: its text or author is not what was recorded")]
    elif entry.event == TrailEventType.ATTACHMENT_ADDED:
        stored = _named_file(attachments, entry, "attachment_id")
        if stored is None or stored.case_id != entry.case_id or not stored.digest:
            return [TrailBreak(number, entry.seq, "attachment_changed",
                               f"attachment {entry.data.get('attachment_id')} is no longer stored")]
        if (stored.digest != entry.data.get("sha256") or stored.name != entry.data.get("filename")
                or stored.author_id != entry.actor_id):
            return [TrailBreak(number, entry.seq, "attachment_changed",
                               f"attachment {entry.data.get('attachment_id')}: its bytes, name or uploader are "
                               "not what was recorded")]
    return []


def _named_file(files: dict[int, _StoredFile], entry: TrailEvent, key: str) -> _StoredFile | None:
    """The stored file an entry names; none if its recorded id is no whole number (its data was changed)."""
    file_id = _recorded_id(entry, key)
    return None if file_id is None else files.get(file_id)


def _recorded_id(entry: TrailEvent, key: str) -> int | None:
    file_id = entry.data.get(key)
    return file_id if isinstance(file_id, int) else None


def _unrecorded(number: str, case_id: int, trail: list[TrailEvent], comments: dict[int, _StoredFile],
                attachments: dict[int, _StoredFile]) -> list[TrailBreak]:
    recorded = {(entry.event, _recorded_id(entry, "comment_id") or _recorded_id(entry, "attachment_id"))
                for entry in trail}
    return [
        TrailBreak(number, None, "unrecorded", f"{what} {file_id} is in no trail entry")
        for what, event, files in (("comment", TrailEventType.COMMENT_ADDED, comments),
                                   ("attachment", TrailEventType.ATTACHMENT_ADDED, attachments))
        for file_id, stored in sorted(files.items())
        if stored.case_id == case_id and (event.value, file_id) not in recorded
    ]


def _seq_range(first: int, last: int) -> str:
    return f"seq {first}" if first == last else f"seqs {first}–{last}"


# --- anchoring ----------------------------------------------------------------------------------

ANCHOR_HEADER = "# Jiefen trail anchor: case number, head seq, head hash; the last line's digest covers them."


def anchor_heads(at: datetime) -> Anchor:
    """Every case's head now, as text ending in a digest line to keep outside the system (daily)."""
    lines = [f"{number} {seq} {head}" for number, seq, head in db.session.execute(
        select(DisputeCase.number, DisputeCase.trail_head_seq, DisputeCase.trail_head_hash).order_by(DisputeCase.id))]
    line = _digest_line(at.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ"), lines, trail_key())
    return Anchor(heads=_parse_heads(lines), line=line, text="\n".join([ANCHOR_HEADER, *lines, line]) + "\n")


def read_anchor(text: str, key: bytes) -> Anchor:
    """An anchor file read back; refused when its digest line does not cover its lines under this key."""
    lines = [line for line in text.splitlines() if line.strip() and not line.startswith("#")]
    if not lines or not lines[-1].startswith("anchor "):
        raise InvalidInputError(_("锚点文件格式不对：缺少摘要行。"))
    *heads, line = lines
    parts = line.split()
    if len(parts) != 4 or not hmac.compare_digest(line, _digest_line(parts[1], heads, key)):
        raise InvalidInputError(_("锚点文件与其摘要行不符（文件被改动，或用的不是同一把留痕密钥）。"))
    return Anchor(heads=_parse_heads(heads), line=line, text=text)


def _digest_line(at: str, lines: Iterable[str], key: bytes) -> str:
    lines = list(lines)
    body = "\n".join([at, *lines]).encode("utf-8")
    return f"anchor {at} cases={len(lines)} hmac-sha256={hmac.new(key, body, hashlib.sha256).hexdigest()}"


def _parse_heads(lines: list[str]) -> dict[str, tuple[int, str]]:
    heads = {}
    for line in lines:
        number, seq, head = line.split()
        heads[number] = (int(seq), head)
    return heads


def _anchor_breaks(case: DisputeCase, trail: list[TrailEvent], head: tuple[int, str]) -> list[TrailBreak]:
    seq, head_hash = head
    if seq == 0:
        return []
    entry = next((e for e in trail if e.seq == seq), None)
    last_seq = trail[-1].seq if trail else 0
    if last_seq < seq:
        return [TrailBreak(case.number, last_seq + 1, "deleted_tail",
                           f"{_seq_range(last_seq + 1, seq)} deleted: the anchor records the head at seq {seq}, "
                           f"the trail ends at seq {last_seq}")]
    if entry is not None and entry.hash != head_hash:
        return [TrailBreak(case.number, seq, "changed", "its hash is not the one the anchor recorded")]
    return []
