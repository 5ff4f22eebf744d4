"""visibility by role: customer shares, users.db_role, row-level security on PostgreSQL

Revision ID: 0013_visibility
Revises: 0012_search
"""

from alembic import op
import sqlalchemy as sa

from crm_cli.migrations import rls

revision = "0013_visibility"
down_revision = "0012_search"
branch_labels = None
depends_on = None

# rows that belong to a record: (table, column, parent table); seen with their parent
DETAILS = (("contacts", "customer_id", "customers"), ("customer_tags", "customer_id", "customers"),
           ("customer_shares", "customer_id", "customers"),
           ("opportunity_contacts", "opportunity_id", "opportunities"),
           ("opportunity_competitors", "opportunity_id", "opportunities"),
           ("opportunity_stage_history", "opportunity_id", "opportunities"),
           ("quote_lines", "quote_id", "quotes"), ("order_lines", "order_id", "orders"),
           ("order_deliveries", "order_id", "orders"), ("order_instalments", "order_id", "orders"),
           ("order_payments", "order_id", "orders"), ("ticket_events", "ticket_id", "tickets"),
           ("kb_links", "ticket_id", "tickets"))
# record tables under a customer, with their owner column (a ticket's is its assignee)
CHILDREN = rls.CHILDREN_0013 + (("tickets", "assignee_id"),)


def upgrade() -> None:
    op.create_table('customer_shares',
    sa.Column('customer_id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('created_by', sa.String(length=64), nullable=True),
    sa.ForeignKeyConstraint(['customer_id'], ['customers.id'], ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('customer_id', 'user_id')
    )
    op.create_index(op.f('ix_customer_shares_user_id'), 'customer_shares', ['user_id'], unique=False)
    op.add_column('users', sa.Column('db_role', sa.String(length=63), nullable=True))
    op.create_index(op.f('ix_users_db_role'), 'users', ['db_role'], unique=True)

    # PostgreSQL only (each call is a no-op elsewhere): the policies of docs/visibility.md
    rls.install_functions(op)
    rls.protect_customers(op, CHILDREN)
    for table, owner in CHILDREN:
        rls.protect_owned(op, table, owner=owner, customer="customer_id")
    rls.protect_owned(op, "leads", owner="owner_id")
    for table, column, parent in DETAILS:
        rls.protect_detail(op, table, column, parent)


def downgrade() -> None:
    for table in ["customers", "leads", *(t for t, _ in CHILDREN), *(t for t, _, _ in DETAILS)]:
        rls.unprotect(op, table)
    rls.drop_functions(op)
    op.drop_index(op.f('ix_users_db_role'), table_name='users')
    with op.batch_alter_table('users') as batch_op:
        batch_op.drop_column('db_role')
    op.drop_index(op.f('ix_customer_shares_user_id'), table_name='customer_shares')
    op.drop_table('customer_shares')
