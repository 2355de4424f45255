"""one incident, one case: a police incident number is unique across hand-off channels

Revision ID: dashboard_one_incident
Revises: dashboard_search
Create Date: 2026-11-28

Before, the key was (system, incident number), so the same incident sent through the API and typed on
the hand-off page opened two cases. A database that already holds such pairs must merge them first.
"""
from alembic import op

revision = "dashboard_one_incident"
down_revision = "dashboard_search"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("handoff") as batch_op:
        batch_op.drop_constraint("uq_handoff_system_incident_number", type_="unique")
        batch_op.create_unique_constraint("uq_handoff_incident_number", ["incident_number"])


def downgrade():
    with op.batch_alter_table("handoff") as batch_op:
        batch_op.drop_constraint("uq_handoff_incident_number", type_="unique")
        batch_op.create_unique_constraint("uq_handoff_system_incident_number", ["system", "incident_number"])
