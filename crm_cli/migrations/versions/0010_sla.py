"""SLA calendars, holidays and policies

Revision ID: 0010_sla
Revises: 0009_documents
"""

from alembic import op
import sqlalchemy as sa

revision = "0010_sla"
down_revision = "0009_documents"
branch_labels = None
depends_on = None


def _config_columns():
    return [
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.Column("created_by", sa.String(length=64), nullable=True),
    ]


def upgrade() -> None:
    op.create_table(
        "sla_calendars",
        *_config_columns(),
        sa.Column("name", sa.String(length=64), nullable=False),
        sa.Column("tz", sa.String(length=64), nullable=False),
        sa.Column("hours", sa.String(length=2000), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("name"),
    )
    op.create_table(
        "sla_holidays",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("calendar_id", sa.Integer(), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.ForeignKeyConstraint(["calendar_id"], ["sla_calendars.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("calendar_id", "day", name="uq_sla_holidays_calendar_day"),
    )
    op.create_table(
        "sla_policies",
        *_config_columns(),
        sa.Column("priority", sa.String(length=8), nullable=False),
        sa.Column("tier", sa.String(length=1), nullable=False),
        sa.Column("response_s", sa.Integer(), nullable=False),
        sa.Column("resolution_s", sa.Integer(), nullable=False),
        sa.Column("calendar_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(["calendar_id"], ["sla_calendars.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("priority", "tier", name="uq_sla_policies_priority_tier"),
    )
    op.create_index("ix_sla_policies_calendar_id", "sla_policies", ["calendar_id"])


def downgrade() -> None:
    op.drop_table("sla_policies")
    op.drop_table("sla_holidays")
    op.drop_table("sla_calendars")
