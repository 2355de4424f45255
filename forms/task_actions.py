"""Forms of the tasklist actions and of the case file (comments, attachments)."""
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileRequired, MultipleFileField
from wtforms import HiddenField, SelectField, TextAreaField
from wtforms.validators import DataRequired, Length, Optional

from app.models.comment import MAX_COMMENT_LENGTH
from forms.base import optional_id


class ClaimForm(FlaskForm):
    """Claim, unclaim: nothing but the CSRF token."""


class AssignForm(FlaskForm):
    assignee_id = SelectField(_l("转派给"), coerce=optional_id, validators=[DataRequired(message=_l("请选择同事。"))])
    # The holder the page showed, so a change of hands meanwhile is noticed ("" = unclaimed).
    seen_assignee_id = HiddenField()

    def set_choices(self, users) -> None:
        self.assignee_id.choices = [("", "—")] + [
            (user.id, f"{user.display_name}（{user.username}）") for user in users]


class HandBackForm(FlaskForm):
    reason = TextAreaField(_l("退回原因"), validators=[Optional(), Length(max=500)])


class CommentForm(FlaskForm):
    body = TextAreaField(_l("意见 / 备注"), validators=[DataRequired(message=_l("请填写意见内容。")),
                                                 Length(max=MAX_COMMENT_LENGTH)])
    task_id = HiddenField()


class AttachmentForm(FlaskForm):
    file = MultipleFileField(_l("附件或照片（pdf、jpg、png、doc、docx，可多选）"),
                             validators=[FileRequired(message=_l("请选择文件。"))],
                             render_kw={"accept": "image/*,.pdf,.doc,.docx"})
    task_id = HiddenField()
