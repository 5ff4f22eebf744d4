"""search: the substring index of customers, leads and contacts (issue 14)

Revision ID: 0012_search
Revises: 0009_documents

The index tables are not models (an FTS5 virtual table on SQLite, a tsvector table on PostgreSQL:
see crm_cli/core/search.py); this migration creates them and indexes the records already there,
in batches.
"""

from alembic import op

revision = "0012_search"
down_revision = "0009_documents"
branch_labels = None
depends_on = None

INDEXED = ("customer", "lead", "contact")


def upgrade() -> None:
    from crm_cli.core import search

    conn = op.get_bind()
    for entity in INDEXED:
        for sql in search.create_sql(conn.dialect.name, entity):
            op.execute(sql)
        search.reindex(conn, entity)


def downgrade() -> None:
    for entity in INDEXED:
        op.execute(f"DROP TABLE IF EXISTS {entity}_search")
