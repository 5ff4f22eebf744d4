"""search: the substring index of customers, leads and contacts (issue 14); the knowledge base (issue 12)

Revision ID: 0012_search
Revises: 0011_tickets

The index tables are not models (an FTS5 virtual table on SQLite, a tsvector table on PostgreSQL:
see crm_cli/core/search.py); this migration creates them and indexes the records already there,
in batches. Then the knowledge base: kb_articles, its index kb_search, and kb_links (article
solved ticket).
"""

from alembic import op
import sqlalchemy as sa

revision = "0012_search"
down_revision = "0011_tickets"
branch_labels = None
depends_on = None

INDEXED = ("customer", "lead", "contact")


def upgrade() -> None:
    from crm_cli.core import search

    conn = op.get_bind()
    for entity in INDEXED:
        for sql in search.create_sql(conn.dialect.name, entity):
            op.execute(sql)
        search.reindex(conn, entity, fresh=True)

    op.create_table('kb_articles',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('updated_at', sa.DateTime(), nullable=False),
    sa.Column('created_by', sa.String(length=64), nullable=True),
    sa.Column('deleted_at', sa.DateTime(), nullable=True),
    sa.Column('title', sa.String(length=300), nullable=False),
    sa.Column('body', sa.String(length=20000), nullable=False),
    sa.Column('tags', sa.String(length=500), nullable=True),
    sa.Column('product', sa.String(length=200), nullable=True),
    sa.PrimaryKeyConstraint('id')
    )
    op.create_index('ix_kb_articles_title', 'kb_articles', ['title'], unique=False)
    op.create_index('ix_kb_articles_trashed', 'kb_articles', ['deleted_at'], unique=False,
                    sqlite_where=sa.text("deleted_at IS NOT NULL"),
                    postgresql_where=sa.text("deleted_at IS NOT NULL"))
    for sql in search.create_sql(conn.dialect.name, "kb"):
        op.execute(sql)
    op.create_table('kb_links',
    sa.Column('article_id', sa.Integer(), nullable=False),
    sa.Column('ticket_id', sa.Integer(), nullable=False),
    sa.Column('linked_at', sa.DateTime(), nullable=False),
    sa.Column('linked_by', sa.String(length=64), nullable=True),
    sa.ForeignKeyConstraint(['article_id'], ['kb_articles.id'], ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['ticket_id'], ['tickets.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('article_id', 'ticket_id')
    )
    op.create_index('ix_kb_links_ticket_id', 'kb_links', ['ticket_id'], unique=False)


def downgrade() -> None:
    op.drop_index('ix_kb_links_ticket_id', table_name='kb_links')
    op.drop_table('kb_links')
    op.execute("DROP TABLE IF EXISTS kb_search")
    op.drop_index('ix_kb_articles_trashed', table_name='kb_articles')
    op.drop_index('ix_kb_articles_title', table_name='kb_articles')
    op.drop_table('kb_articles')
    for entity in INDEXED:
        op.execute(f"DROP TABLE IF EXISTS {entity}_search")
