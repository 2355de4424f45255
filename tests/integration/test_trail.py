"""The trail shows tampering: each way of changing it behind the app's back is detected and named."""
import hashlib
import json
from datetime import timezone

import pytest
from sqlalchemy import delete, event, select, text, update

from app import create_app
from app.extensions import db
from app.models import Attachment, AttachmentContent, CaseComment, DisputeCase, TrailEvent
from app.models.trail import TrailEventType
from app.services.cases import files as case_files
from app.services.errors import InvalidInputError
from app.services.supervision import trail
from tests import factories as f

PDF = b"%PDF-1.7\n%\xe2\xe3\n1 0 obj<<>>endobj\n"


@pytest.fixture
def case(world, clock):
    """A case at its second step, with a comment and an attachment in its trail."""
    case = f.open_case(world)
    case_files.add_comment(world["grid_worker"], case.number, "已电话联系双方。")
    case_files.add_attachments(world["grid_worker"], case.number, [case_files.Upload("现场照片.pdf", PDF)])
    f.step(world, case, "triage_case", f.TRIAGE_L1)
    return f.reload(case)


def tamper(statement) -> None:
    """A write straight to the database, as someone with database access but not the app would make."""
    db.session.execute(statement)
    db.session.commit()
    db.session.expire_all()


def breaks(case, anchor_text=None) -> list[tuple[int | None, str]]:
    return [(found.seq, found.kind) for found in trail.verify_trails(case.number, anchor_text).breaks]


def entries(case) -> list[TrailEvent]:
    return list(db.session.scalars(select(TrailEvent).where(TrailEvent.case_id == case.id).order_by(TrailEvent.seq)))


def seq_of(case, event_type) -> int:
    return next(entry.seq for entry in entries(case) if entry.event == event_type)


def test_a_sound_trail_verifies_from_the_command_line(case, runner):
    last = entries(case)[-1]
    assert (case.trail_head_seq, case.trail_head_hash) == (last.seq, last.hash)
    result = runner.invoke(args=["trail", "verify"])
    assert result.exit_code == 0, result.output
    assert f"checked 1 cases, {last.seq} entries: every trail verifies" in result.output


def test_verify_of_an_unknown_case_fails_clearly(case, runner):
    result = runner.invoke(args=["trail", "verify", "--case", "JF-1999-000001"])
    assert result.exit_code != 0 and "没有找到该案件" in result.output


def test_the_anchor_printed_whole_verifies_against_a_sound_trail(case, runner, tmp_path):
    printed = runner.invoke(args=["trail", "anchor"]).output
    assert printed.splitlines()[1] == f"{case.number} {case.trail_head_seq} {case.trail_head_hash}"
    (tmp_path / "anchor.txt").write_text(printed, encoding="utf-8")
    result = runner.invoke(args=["trail", "verify", "--anchor", str(tmp_path / "anchor.txt")])
    assert result.exit_code == 0, result.output


def test_an_updated_entry_is_named_as_changed(case, runner):
    tamper(update(TrailEvent).where(TrailEvent.case_id == case.id, TrailEvent.seq == 2).values(actor_name="张某"))
    assert breaks(case) == [(2, "changed")]
    result = runner.invoke(args=["trail", "verify", "--case", case.number])
    assert result.exit_code == 1
    assert f"{case.number} seq 2: changed" in result.output and "1 breaks in 1 cases" in result.output


def test_a_deleted_newest_entry_is_found_through_the_head_on_the_case_row(case):
    last = case.trail_head_seq
    tamper(delete(TrailEvent).where(TrailEvent.case_id == case.id, TrailEvent.seq == last))
    assert breaks(case) == [(last, "deleted_tail")]


def test_an_edited_head_on_the_case_row_is_named(case):
    tamper(update(DisputeCase).where(DisputeCase.id == case.id).values(trail_head_hash="f" * 64))
    assert breaks(case) == [(case.trail_head_seq, "head_changed")]


def test_a_deleted_newest_entry_with_the_head_moved_back_is_found_through_the_anchor(case, runner, tmp_path):
    anchor_file = tmp_path / "anchor.txt"
    result = runner.invoke(args=["trail", "anchor", "--output", str(anchor_file)])
    assert result.exit_code == 0, result.output
    assert result.output.startswith("anchor ") and "cases=1 hmac-sha256=" in result.output
    last, previous = entries(case)[-1], entries(case)[-2]
    tamper(delete(TrailEvent).where(TrailEvent.id == last.id))
    tamper(update(DisputeCase).where(DisputeCase.id == case.id)
           .values(trail_head_seq=previous.seq, trail_head_hash=previous.hash))
    assert breaks(case) == []  # the database alone no longer shows it
    assert breaks(case, anchor_file.read_text(encoding="utf-8")) == [(last.seq, "deleted_tail")]
    result = runner.invoke(args=["trail", "verify", "--anchor", str(anchor_file)])
    assert result.exit_code == 1 and f"{case.number} seq {last.seq}: deleted_tail" in result.output


def test_a_deleted_case_is_found_through_the_anchor(case, world):
    other = f.open_case(world, "另一案")
    anchor = trail.anchor_heads(case.opened_at).text
    tamper(delete(DisputeCase).where(DisputeCase.id == other.id))
    found = trail.verify_trails(anchor_text=anchor).breaks
    assert [(b.case_number, b.kind) for b in found] == [(other.number, "case_deleted")]


def test_an_edited_anchor_is_refused(case):
    anchor = trail.anchor_heads(case.opened_at).text
    edited = anchor.replace(f"{case.number} {case.trail_head_seq} ", f"{case.number} {case.trail_head_seq - 1} ")
    with pytest.raises(InvalidInputError):
        trail.verify_trails(anchor_text=edited)


def test_two_swapped_entries_are_named_as_reordered(case):
    swap = [(2, -2), (3, 2), (-2, 3)]
    for old, new in swap:
        tamper(update(TrailEvent).where(TrailEvent.case_id == case.id, TrailEvent.seq == old).values(seq=new))
    assert breaks(case) == [(2, "reordered"), (3, "reordered")]


def test_a_deleted_middle_entry_is_named_as_missing(case):
    tamper(delete(TrailEvent).where(TrailEvent.case_id == case.id, TrailEvent.seq == 2))
    assert breaks(case) == [(2, "missing")]


def test_a_chain_recomputed_without_the_key_is_detected_from_the_forged_entry_on(case):
    """Whoever edits an entry and recomputes the chain as plain SHA-256 (the key is not in the database)
    gets a chain that links, and still fails at every entry from the forged one."""
    chain = entries(case)
    previous = chain[0].hash
    for entry in chain[1:]:
        fields = {"case_id": entry.case_id, "seq": entry.seq,
                  "occurred_at": entry.occurred_at.astimezone(timezone.utc).isoformat(),
                  "actor_id": entry.actor_id, "actor_name": "伪造" if entry.seq == 2 else entry.actor_name,
                  "event": entry.event, "task_id": entry.task_id, "data": entry.data, "prev_hash": previous}
        forged = hashlib.sha256(json.dumps(fields, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
                                .encode("utf-8")).hexdigest()
        tamper(update(TrailEvent).where(TrailEvent.id == entry.id)
               .values(actor_name=fields["actor_name"], prev_hash=previous, hash=forged))
        previous = forged
    tamper(update(DisputeCase).where(DisputeCase.id == case.id).values(trail_head_hash=previous))
    assert breaks(case) == [(entry.seq, "changed") for entry in chain[1:]]


def test_changed_attachment_bytes_are_named(case):
    attachment = db.session.scalar(select(Attachment).where(Attachment.case_id == case.id))
    tamper(update(AttachmentContent).where(AttachmentContent.attachment_id == attachment.id)
           .values(data=PDF + b"% altered"))
    assert breaks(case) == [(seq_of(case, TrailEventType.ATTACHMENT_ADDED), "attachment_changed")]


def test_an_edited_comment_is_named(case):
    tamper(update(CaseComment).where(CaseComment.case_id == case.id).values(body="从未联系当事人。"))
    assert breaks(case) == [(seq_of(case, TrailEventType.COMMENT_ADDED), "comment_changed")]


def test_a_file_id_rewritten_to_a_list_is_named_not_a_crash(case):
    """A recorded id that is no whole number (here an unhashable list) is a changed entry, not a failed check."""
    entry = db.session.scalar(select(TrailEvent).where(TrailEvent.case_id == case.id,
                                                       TrailEvent.event == TrailEventType.COMMENT_ADDED))
    tamper(update(TrailEvent).where(TrailEvent.id == entry.id).values(data={**entry.data, "comment_id": [1]}))
    assert breaks(case) == [(entry.seq, "changed"), (entry.seq, "comment_changed"), (None, "unrecorded")]


def test_a_comment_slipped_in_without_a_trail_entry_is_named(case, world):
    comment = db.session.scalar(select(CaseComment).where(CaseComment.case_id == case.id))
    db.session.add(CaseComment(case_id=case.id, author_id=world["grid_worker"].id, body="补写的意见",
                               created_at=comment.created_at))
    db.session.commit()
    assert breaks(case) == [(None, "unrecorded")]


def test_the_case_page_warns_supervisors_and_admins_of_a_broken_trail(case, auth, client):
    auth.login("supervisor")
    page = client.get(f"/cases/{case.number}").get_data(as_text=True)
    assert 'data-testid="trail-broken"' not in page
    tamper(update(TrailEvent).where(TrailEvent.case_id == case.id, TrailEvent.seq == 2).values(actor_name="张某"))
    for role in ("supervisor", "admin"):
        auth.login(role)
        page = client.get(f"/cases/{case.number}").get_data(as_text=True)
        assert 'data-testid="trail-broken"' in page and "记录被改动" in page
    auth.login("grid_worker")
    assert 'data-testid="trail-broken"' not in client.get(f"/cases/{case.number}").get_data(as_text=True)


def test_appending_refuses_an_unknown_event_type(case, world):
    with pytest.raises(ValueError):
        trail.append_event(case.id, "case_teleported", actor=world["admin"], at=case.opened_at)


def test_appending_reads_no_trail_entry(case, world):
    statements = []

    def record(conn, cursor, statement, parameters, context, executemany):
        statements.append(statement)

    event.listen(db.engine, "before_cursor_execute", record)
    try:
        case_files.add_comment(world["grid_worker"], case.number, "再次联系。")
    finally:
        event.remove(db.engine, "before_cursor_execute", record)
    assert [s for s in statements if s.lstrip().startswith("SELECT") and "trail_event" in s] == []
    assert any(s.lstrip().startswith("INSERT INTO trail_event") for s in statements)
    assert breaks(case) == []


def test_production_refuses_to_start_without_a_trail_key():  # the same rule as SECRET_KEY (test_factory.py)
    settings = {"SQLALCHEMY_DATABASE_URI": "sqlite://", "TESTING": False, "DEBUG": False, "SECRET_KEY": "s" * 32,
                "RATELIMIT_STORAGE_URI": "memory://"}
    for key in ("", "short"):
        with pytest.raises(RuntimeError, match="JIEFEN_TRAIL_KEY"):
            create_app({**settings, "TRAIL_KEY": key})
    assert create_app({**settings, "TRAIL_KEY": "k" * 32}).config["TRAIL_KEY"] == "k" * 32
    assert len(create_app({**settings, "TESTING": True, "TRAIL_KEY": ""}).config["TRAIL_KEY"]) >= 32


def test_every_event_type_has_a_label_in_both_languages(app):
    from flask_babel import force_locale
    assert len(TrailEventType) == 26  # every event the trail records
    with app.test_request_context(), force_locale("en"):
        english = {str(event_type.label) for event_type in TrailEventType}
    assert len(english) == len(TrailEventType) and not any("\u4e00" <= ch <= "\u9fff" for label in english for ch in label)


@pytest.mark.commits  # downgrades and upgrades the schema
def test_the_migration_re_keys_existing_trails_and_keeps_their_breaks(app, case, world):
    """Trails written before the key (plain SHA-256) verify after the upgrade; one changed before it
    still shows its break at the same seq."""
    from flask_migrate import downgrade, upgrade

    tampered = f.open_case(world, "另一案")
    case_id, opened_at, tampered_id, tampered_number = case.id, case.opened_at, tampered.id, tampered.number
    head_seq = case.trail_head_seq
    directory = str(app.config["MIGRATIONS_DIR"])
    db.session.remove()
    downgrade(directory=directory, revision="0009_time_limit_record")
    first = db.session.execute(text("SELECT * FROM trail_event WHERE case_id = :id AND seq = 1"),
                               {"id": case_id}).one()
    assert first.hash == hashlib.sha256(json.dumps(
        {"case_id": case_id, "seq": 1, "occurred_at": opened_at.isoformat(), "actor_id": first.actor_id,
         "actor_name": first.actor_name, "event": "case_opened", "task_id": None,
         "data": json.loads(first.data) if isinstance(first.data, str) else first.data, "prev_hash": "0" * 64},
        sort_keys=True, ensure_ascii=False, separators=(",", ":")).encode("utf-8")).hexdigest()
    db.session.execute(text("UPDATE trail_event SET actor_name = '张某' WHERE case_id = :id AND seq = 1"),
                       {"id": tampered_id})
    db.session.commit()
    db.session.remove()
    upgrade(directory=directory)
    report = trail.verify_trails()
    assert [(found.case_number, found.seq, found.kind) for found in report.breaks] == [
        (tampered_number, 1, "changed")]
    assert db.session.get(DisputeCase, case_id).trail_head_seq == head_seq > 0
