"""opportunities, pipelines, stages, competitors, currency rates

Revision ID: 0002_opportunities
Revises: 0001_foundation
"""

from alembic import op  # noqa: F401
import sqlalchemy as sa  # noqa: F401

revision = "0002_opportunities"
down_revision = "0001_foundation"
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
