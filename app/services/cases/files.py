"""Comments and attachments on a case (the case file, 卷宗): adding them and reading them back.

Attachments are stored in the database (table attachment_content), written in the same transaction
as their trail entry: nothing half-saved on disk if the step fails, and every worker — on any
machine — serves them, since the workers share nothing but the database.
"""
import hashlib
import unicodedata
from dataclasses import dataclass

from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from app.extensions import db
from app.models import Attachment, AttachmentContent, CaseComment, DisputeCase, Task, User
from app.models.comment import MAX_COMMENT_LENGTH
from app.services.cases import photos
from app.services.cases.submissions import record_submission
from app.services.errors import InvalidInputError, NotFoundError
from app.services.people import access
from app.services.supervision.trail import TrailEventType, append_event
from app.services.time_limits import clock
from app.services.transaction import transaction

# Allowed types: extension → (content type served, how such a file starts).
FILE_TYPES = {
    "pdf": ("application/pdf", (b"%PDF-",)),
    "jpg": ("image/jpeg", (b"\xff\xd8\xff",)),
    "jpeg": ("image/jpeg", (b"\xff\xd8\xff",)),
    "png": ("image/png", (b"\x89PNG\r\n\x1a\n",)),
    "doc": ("application/msword", (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1",)),
    "docx": ("application/vnd.openxmlformats-officedocument.wordprocessingml.document", (b"PK\x03\x04",)),
}
MAX_FILENAME_LENGTH = 120
MAX_FILES_AT_ONCE = 9
_FORBIDDEN_IN_NAMES = set('<>:"/\\|?*')


@dataclass(frozen=True)
class CaseFile:
    comments: list[CaseComment]
    attachments: list[Attachment]
    may_comment: bool
    may_attach: bool


@dataclass(frozen=True)
class Download:
    filename: str
    content_type: str
    data: bytes


@transaction
def add_comment(actor: User, case_number: str, body: str, task_id: int | None = None,
                client_id: str | None = None) -> CaseComment:
    """A comment on a case (or one of its tasks), visible to everyone who may see the case."""
    case = _case_by_number(actor, case_number)
    access.ensure_may(actor, access.ADD_COMMENT, case)
    task = _task_of(case, task_id)
    body = (body or "").strip()
    if not body:
        raise InvalidInputError(_("请填写意见内容。"), {"body": [_("请填写意见内容。")]})
    if len(body) > MAX_COMMENT_LENGTH:
        raise InvalidInputError(_("意见过长。"), {"body": [_("最多 %(MAX_COMMENT_LENGTH)s 字。", MAX_COMMENT_LENGTH=MAX_COMMENT_LENGTH)]})
    now = clock.now()
    comment = CaseComment(case_id=case.id, task_id=task.id if task else None, author_id=actor.id, body=body,
                          created_at=now)
    db.session.add(comment)
    db.session.flush()
    # The trail keeps the text's hash: the comment cannot be edited unnoticed.
    append_event(case.id, TrailEventType.COMMENT_ADDED, actor=actor, at=now, task_id=comment.task_id, data={
        "comment_id": comment.id, "task": task.name if task else None,
        "sha256": hashlib.sha256(body.encode("utf-8")).hexdigest(),
    })
    record_submission(actor, client_id, "comment", case.id, comment.id, now)
    return comment


@dataclass(frozen=True)
class Upload:
    filename: str
    data: bytes


@transaction
def add_attachments(actor: User, case_number: str, uploads: list[Upload], task_id: int | None = None,
                    client_id: str | None = None) -> list[Attachment]:
    """Attach files (pdf, jpg, png, doc, docx; size-limited; photos without their metadata) to a case or
    one of its tasks: all of them or, if one is refused, none."""
    case = _case_by_number(actor, case_number)
    access.ensure_may(actor, access.ADD_ATTACHMENT, case)
    task = _task_of(case, task_id)
    if not uploads:
        raise InvalidInputError(_("请选择文件。"), {"file": [_("请选择文件。")]})
    if len(uploads) > MAX_FILES_AT_ONCE:
        raise InvalidInputError(_("文件过多。"), {"file": [_("每次最多上传 %(count)s 个文件。", count=MAX_FILES_AT_ONCE)]})
    now = clock.now()
    attachments = [store_attachment(actor, case, upload, now, task) for upload in uploads]
    record_submission(actor, client_id, "attachment", case.id, attachments[0].id, now)
    return attachments


def store_attachment(actor: User, case: DisputeCase, upload: Upload, now, task: Task | None = None) -> Attachment:
    """Helper (adds and flushes): check the file, strip a photo's metadata, store it with its trail entry."""
    name, content_type = _check_file(upload.filename, upload.data)
    data, preview = upload.data, None
    if content_type in photos.IMAGE_TYPES:
        data = photos.without_metadata(data, content_type)
        preview = photos.thumbnail(data)
    digest = hashlib.sha256(data).hexdigest()
    attachment = Attachment(case_id=case.id, task_id=task.id if task else None, uploaded_by_id=actor.id,
                            filename=name, content_type=content_type, size=len(data), sha256=digest,
                            created_at=now)
    db.session.add(attachment)
    db.session.flush()
    db.session.add(AttachmentContent(attachment_id=attachment.id, data=data, thumbnail=preview))
    append_event(case.id, TrailEventType.ATTACHMENT_ADDED, actor=actor, at=now, task_id=attachment.task_id, data={
        "attachment_id": attachment.id, "filename": name, "size": len(data), "sha256": digest,
        "task": task.name if task else None,
    })
    return attachment


def get_case_file(actor: User, case_id: int) -> CaseFile:
    """Comments and attachments of a case the actor may see, oldest first."""
    if not access.can_see_case(actor, case_id):
        raise NotFoundError(_("没有找到该案件。"))
    comments = db.session.scalars(select(CaseComment).where(CaseComment.case_id == case_id)
                                  .options(selectinload(CaseComment.author)).order_by(CaseComment.id)).all()
    attachments = db.session.scalars(select(Attachment).where(Attachment.case_id == case_id)
                                     .options(selectinload(Attachment.uploaded_by)).order_by(Attachment.id)).all()
    return CaseFile(comments=list(comments), attachments=list(attachments),
                    may_comment=access.may(actor, access.ADD_COMMENT), may_attach=access.may(actor, access.ADD_ATTACHMENT))


def get_attachment(actor: User, case_number: str, attachment_id: int, thumbnail: bool = False) -> Download:
    """An attachment's bytes (or its photo preview), for users who may see its case (others: not found)."""
    case = _case_by_number(actor, case_number)
    access.ensure_may(actor, access.DOWNLOAD_ATTACHMENT, case)
    attachment = db.session.get(Attachment, attachment_id)
    if attachment is None or attachment.case_id != case.id:
        raise NotFoundError(_("没有找到该附件。"))
    content = db.session.get_one(AttachmentContent, attachment.id)  # written with the attachment
    if thumbnail:
        if content.thumbnail is None:
            raise NotFoundError(_("该附件没有预览图。"))
        return Download(filename=attachment.filename, content_type="image/jpeg", data=content.thumbnail)
    return Download(filename=attachment.filename, content_type=attachment.content_type, data=content.data)


def clean_filename(filename: str) -> str:
    """The last path part, without control or reserved characters, dots or spaces at the ends,
    at most MAX_FILENAME_LENGTH characters with the extension kept; Chinese names stay readable."""
    name = unicodedata.normalize("NFC", filename or "").replace("\\", "/").rsplit("/", 1)[-1]
    name = "".join(ch for ch in name if unicodedata.category(ch)[0] != "C" and ch not in _FORBIDDEN_IN_NAMES)
    name = name.strip(" ").rstrip(". ")
    stem, dot, extension = name.rpartition(".")
    if not dot:
        return name[:MAX_FILENAME_LENGTH]
    stem = stem.strip(" .") or _("附件")
    extension = extension.lower()
    return f"{stem[:MAX_FILENAME_LENGTH - len(extension) - 1]}.{extension}"


def _check_file(filename: str, data: bytes) -> tuple[str, str]:
    name = clean_filename(filename)
    extension = name.rpartition(".")[2] if "." in name else ""
    allowed = _("、").join(sorted({key for key in FILE_TYPES if key != "jpeg"}))
    if extension not in FILE_TYPES:
        raise InvalidInputError(_("不支持该文件类型。"), {"file": [_("只能上传 %(allowed)s 文件。", allowed=allowed)]})
    limit = current_app.config["MAX_UPLOAD_BYTES"]
    if not data:
        raise InvalidInputError(_("文件是空的。"), {"file": [_("请选择非空文件。")]})
    if len(data) > limit:
        raise InvalidInputError(_("文件过大。"), {"file": [_("文件不能超过 %(value)s MB。", value=limit // (1024 * 1024))]})
    content_type, signatures = FILE_TYPES[extension]
    if not data.startswith(signatures):
        raise InvalidInputError(_("文件内容与类型不符。"), {"file": [_("该文件不是有效的 %(extension)s 文件。", extension=extension)]})
    return name, content_type


def _case_by_number(actor: User, number: str) -> DisputeCase:
    case = db.session.scalar(select(DisputeCase).where(DisputeCase.number == number))
    return access.ensure_case_visible(actor, case)


def _task_of(case: DisputeCase, task_id: int | None) -> Task | None:
    if task_id is None:
        return None
    task = db.session.get(Task, task_id)
    if task is None or task.case_id != case.id:
        raise NotFoundError(_("没有找到该任务。"))
    return task
