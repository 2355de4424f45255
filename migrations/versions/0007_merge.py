"""join the time-limits, channels, task-actions and designer branches

Revision ID: 0007_merge
Revises: 0003_time_limits, 0004_channels, 0005_task_actions, 0006_designer
Create Date: 2026-11-24 02:07:27.450227

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0007_merge'
down_revision = ('0003_time_limits', '0004_channels', '0005_task_actions', '0006_designer')
branch_labels = None
depends_on = None


def upgrade():
    pass


def downgrade():
    pass
