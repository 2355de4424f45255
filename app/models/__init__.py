"""Plain data: one aggregate per module. Models change state; only services commit."""
from app.models.category import Category
from app.models.dispute_case import CaseNumberCounter, DisputeCase
from app.models.grid import Address, Community, Grid, PoliceGrid, Town
from app.models.party import Party
from app.models.process_definition import ProcessDefinition
from app.models.task import Task
from app.models.timer import PendingTimer
from app.models.trail import TrailEvent
from app.models.user import ROLE_LABELS, ROLES, User, user_grid
from app.models.workflow_state import WorkflowState

__all__ = [
    "Address", "CaseNumberCounter", "Category", "Community", "DisputeCase", "Grid", "Party",
    "PendingTimer", "PoliceGrid", "ProcessDefinition", "ROLE_LABELS", "ROLES", "Task", "Town", "TrailEvent",
    "User", "WorkflowState", "user_grid",
]
