"""Plain data: one aggregate per module. Models change state; only services commit."""
from app.models.api_token import ApiToken
from app.models.attachment import Attachment, AttachmentContent
from app.models.case_document import CaseDocument, CaseDocumentContent, DocumentNumberCounter
from app.models.category import Category
from app.models.client_submission import ClientSubmission
from app.models.comment import CaseComment
from app.models.dispute_case import CaseCount, CaseNumberCounter, DisputeCase
from app.models.grid import Address, Community, Grid, PoliceGrid, Town
from app.models.handoff import CasePush, Handoff
from app.models.mediation_room import MediationRoom, mediation_room_grid
from app.models.notification import Notification
from app.models.party import Party
from app.models.process_definition import ProcessDefinition, ProcessSpec
from app.models.process_design import ProcessDraft, ProcessEvent
from app.models.schedule import ScheduledDay, ScheduleYear
from app.models.sector_body import SectorBody
from app.models.sign_in import LoginFailure, LoginLock, UserSession
from app.models.task import CaseRoute, Task, TaskCandidateRole
from app.models.timer import PendingTimer
from app.models.trail import TrailEvent
from app.models.user import DEFAULT_LOCALE, LOCALES, ROLE_LABELS, ROLES, User, user_grid
from app.models.workflow_state import WorkflowState

__all__ = [
    "Address", "CaseCount", "CaseRoute", "CaseNumberCounter", "Notification", "ScheduledDay", "ScheduleYear", "Category", "Community", "DisputeCase", "Grid", "Party",
    "PendingTimer", "PoliceGrid", "DEFAULT_LOCALE", "LOCALES", "ProcessDefinition", "ROLE_LABELS", "ROLES", "Task", "TaskCandidateRole", "Town", "TrailEvent",
    "User", "WorkflowState", "user_grid",
    "ApiToken", "CasePush", "Handoff",
    "ProcessDraft", "ProcessEvent",
    "ProcessSpec",
    "MediationRoom", "mediation_room_grid", "CaseComment", "Attachment", "AttachmentContent",
    "CaseDocument", "CaseDocumentContent", "DocumentNumberCounter", "SectorBody",
    "LoginFailure", "LoginLock", "UserSession",
    "ClientSubmission",
]
