"""activities

Revision ID: 0004_activities
Revises: 0003_leads

Links to tickets, quotes and orders are added by a later migration when those tables exist.
"""

from alembic import op
import sqlalchemy as sa

revision = "0004_activities"
down_revision = "0003_leads"
branch_labels = None
depends_on = None

INDEXES = [
    ("ix_activities_contact_id", ["contact_id"]),
    ("ix_activities_customer_id", ["customer_id"]),
    ("ix_activities_deleted_at", ["deleted_at"]),
    ("ix_activities_due_at", ["due_at"]),
    ("ix_activities_lead_id", ["lead_id"]),
    ("ix_activities_opportunity_id", ["opportunity_id"]),
    ("ix_activities_owner_status_due", ["owner_id", "status", "due_at"]),
    ("ix_activities_series_id", ["series_id"]),
    ("ix_activities_status_due", ["status", "due_at"]),
    ("ix_activities_type", ["type"]),
]


def upgrade() -> None:
    op.create_table(
        "activities",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.Column("created_by", sa.String(length=64), nullable=True),
        sa.Column("deleted_at", sa.DateTime(), nullable=True),
        sa.Column("type", sa.String(length=32), nullable=False),
        sa.Column("subject", sa.String(length=300), nullable=False),
        sa.Column("notes", sa.String(), nullable=True),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("priority", sa.String(length=8), nullable=False),
        sa.Column("due_at", sa.DateTime(), nullable=True),
        sa.Column("all_day", sa.Boolean(), nullable=False),
        sa.Column("timezone", sa.String(length=64), nullable=True),
        sa.Column("duration_min", sa.Integer(), nullable=True),
        sa.Column("outcome", sa.String(), nullable=True),
        sa.Column("done_at", sa.DateTime(), nullable=True),
        sa.Column("owner_id", sa.Integer(), nullable=True),
        sa.Column("cost", sa.BigInteger(), nullable=True),
        sa.Column("cost_currency", sa.String(length=3), nullable=True),
        sa.Column("customer_id", sa.Integer(), nullable=True),
        sa.Column("contact_id", sa.Integer(), nullable=True),
        sa.Column("lead_id", sa.Integer(), nullable=True),
        sa.Column("opportunity_id", sa.Integer(), nullable=True),
        sa.Column("repeat_rule", sa.String(length=500), nullable=True),
        sa.Column("repeat_until", sa.DateTime(), nullable=True),
        sa.Column("repeat_count", sa.Integer(), nullable=True),
        sa.Column("series_id", sa.Integer(), nullable=True),
        sa.Column("occurrence", sa.Integer(), nullable=True),
        sa.Column("slot_at", sa.DateTime(), nullable=True),
        sa.Column("series_values", sa.JSON(), nullable=False),
        sa.Column("custom", sa.JSON(), nullable=False),
        sa.ForeignKeyConstraint(["contact_id"], ["contacts.id"], ondelete="SET NULL"),
        sa.ForeignKeyConstraint(["customer_id"], ["customers.id"], ondelete="SET NULL"),
        sa.ForeignKeyConstraint(["lead_id"], ["leads.id"], ondelete="SET NULL"),
        sa.ForeignKeyConstraint(["opportunity_id"], ["opportunities.id"], ondelete="SET NULL"),
        sa.ForeignKeyConstraint(["owner_id"], ["users.id"], ondelete="SET NULL"),
        sa.PrimaryKeyConstraint("id"),
    )
    for name, cols in INDEXES:
        op.create_index(name, "activities", cols, unique=False)


def downgrade() -> None:
    for name, _cols in reversed(INDEXES):
        op.drop_index(name, table_name="activities")
    op.drop_table("activities")
