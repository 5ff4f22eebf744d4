"""activities

Revision ID: 0004_activities
Revises: 0003_leads
"""

from alembic import op  # noqa: F401
import sqlalchemy as sa  # noqa: F401

revision = "0004_activities"
down_revision = "0003_leads"
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
