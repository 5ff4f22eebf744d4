"""leads and import batches

Revision ID: 0003_leads
Revises: 0002_opportunities
"""

from alembic import op  # noqa: F401
import sqlalchemy as sa  # noqa: F401

revision = "0003_leads"
down_revision = "0002_opportunities"
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
