"""partial indexes on deleted_at (trashed rows only) instead of full ones

A full index on a column that is NULL in almost every row made SQLite choose it for
`WHERE deleted_at IS NULL ORDER BY name LIMIT 50` and sort the whole table
(0.08 s -> 0.0002 s at 100k customers once it is partial).

Revision ID: 0005_trash_indexes
Revises: 0004_activities
"""

from alembic import op
import sqlalchemy as sa

revision = "0005_trash_indexes"
down_revision = "0004_activities"
branch_labels = None
depends_on = None

TABLES = ("users", "customers", "contacts", "pipelines", "stages", "competitors", "opportunities", "leads",
          "activities")


def upgrade() -> None:
    for table in TABLES:
        op.drop_index(f"ix_{table}_deleted_at", table_name=table)
        where = sa.text("deleted_at IS NOT NULL")
        op.create_index(f"ix_{table}_trashed", table, ["deleted_at"], sqlite_where=where, postgresql_where=where)


def downgrade() -> None:
    for table in TABLES:
        op.drop_index(f"ix_{table}_trashed", table_name=table)
        op.create_index(f"ix_{table}_deleted_at", table, ["deleted_at"])
