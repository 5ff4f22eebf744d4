"""tickets: service tickets, their timeline (ticket_events) and queues (ticket_queues)

Revision ID: 0011_tickets
Revises: 0010_sla
"""

from alembic import op
import sqlalchemy as sa

revision = "0011_tickets"
down_revision = "0010_sla"
branch_labels = None
depends_on = None

TRASHED = sa.text("deleted_at IS NOT NULL")


def upgrade() -> None:
    op.create_table('ticket_queues',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=100), nullable=False),
    sa.Column('manager_id', sa.Integer(), nullable=True),
    sa.Column('parent', sa.String(length=100), nullable=True),
    sa.ForeignKeyConstraint(['manager_id'], ['users.id'], ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('name')
    )
    op.create_table('tickets',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('updated_at', sa.DateTime(), nullable=False),
    sa.Column('created_by', sa.String(length=64), nullable=True),
    sa.Column('deleted_at', sa.DateTime(), nullable=True),
    sa.Column('number', sa.String(length=20), nullable=False),
    sa.Column('type', sa.String(length=32), nullable=False),
    sa.Column('priority', sa.String(length=8), nullable=False),
    sa.Column('status', sa.String(length=10), nullable=False),
    sa.Column('channel', sa.String(length=16), nullable=True),
    sa.Column('subject', sa.String(length=300), nullable=False),
    sa.Column('description', sa.String(length=4000), nullable=True),
    sa.Column('customer_id', sa.Integer(), nullable=True),
    sa.Column('contact_id', sa.Integer(), nullable=True),
    sa.Column('product_id', sa.Integer(), nullable=True),
    sa.Column('order_id', sa.Integer(), nullable=True),
    sa.Column('assignee_id', sa.Integer(), nullable=True),
    sa.Column('queue', sa.String(length=100), nullable=True),
    sa.Column('reason', sa.String(length=32), nullable=True),
    sa.Column('resolution', sa.String(length=4000), nullable=True),
    sa.Column('satisfaction', sa.Integer(), nullable=True),
    sa.Column('feedback', sa.String(length=2000), nullable=True),
    sa.Column('escalation_level', sa.Integer(), nullable=False),
    sa.Column('tier', sa.String(length=1), nullable=True),
    sa.Column('calendar', sa.String(length=64), nullable=True),
    sa.Column('response_target_s', sa.Integer(), nullable=True),
    sa.Column('resolution_target_s', sa.Integer(), nullable=True),
    sa.Column('first_response_at', sa.DateTime(), nullable=True),
    sa.Column('resolved_at', sa.DateTime(), nullable=True),
    sa.Column('closed_at', sa.DateTime(), nullable=True),
    sa.Column('paused_s', sa.Integer(), nullable=False),
    sa.Column('paused_since', sa.DateTime(), nullable=True),
    sa.Column('response_due', sa.DateTime(), nullable=True),
    sa.Column('resolution_due', sa.DateTime(), nullable=True),
    sa.Column('response_risk_at', sa.DateTime(), nullable=True),
    sa.Column('resolution_risk_at', sa.DateTime(), nullable=True),
    sa.Column('next_due', sa.DateTime(), nullable=True),
    sa.Column('next_risk', sa.DateTime(), nullable=True),
    sa.Column('response_s', sa.Integer(), nullable=True),
    sa.Column('resolution_s', sa.Integer(), nullable=True),
    sa.Column('escalated_due', sa.DateTime(), nullable=True),
    sa.CheckConstraint('assignee_id IS NOT NULL OR queue IS NOT NULL', name='ck_tickets_responsible'),
    sa.ForeignKeyConstraint(['assignee_id'], ['users.id'], ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['contact_id'], ['contacts.id'], ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['customer_id'], ['customers.id'], ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['order_id'], ['orders.id'], ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['product_id'], ['products.id'], ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('number')
    )
    op.create_index('ix_tickets_assignee_next_due', 'tickets', ['assignee_id', 'next_due'], unique=False)
    op.create_index(('ix_tickets_contact_id'), 'tickets', ['contact_id'], unique=False)
    op.create_index('ix_tickets_created_at', 'tickets', ['created_at'], unique=False)
    op.create_index('ix_tickets_customer_status', 'tickets', ['customer_id', 'status'], unique=False)
    op.create_index(('ix_tickets_next_due'), 'tickets', ['next_due'], unique=False)
    op.create_index(('ix_tickets_next_risk'), 'tickets', ['next_risk'], unique=False)
    op.create_index(('ix_tickets_order_id'), 'tickets', ['order_id'], unique=False)
    op.create_index(('ix_tickets_priority'), 'tickets', ['priority'], unique=False)
    op.create_index(('ix_tickets_product_id'), 'tickets', ['product_id'], unique=False)
    op.create_index('ix_tickets_queue_next_due', 'tickets', ['queue', 'next_due'], unique=False)
    op.create_index(('ix_tickets_resolution_due'), 'tickets', ['resolution_due'], unique=False)
    op.create_index(('ix_tickets_resolution_risk_at'), 'tickets', ['resolution_risk_at'], unique=False)
    op.create_index(('ix_tickets_response_due'), 'tickets', ['response_due'], unique=False)
    op.create_index(('ix_tickets_response_risk_at'), 'tickets', ['response_risk_at'], unique=False)
    op.create_index('ix_tickets_status_next_due', 'tickets', ['status', 'next_due'], unique=False)
    op.create_index(('ix_tickets_type'), 'tickets', ['type'], unique=False)
    op.create_table('ticket_events',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('ticket_id', sa.Integer(), nullable=False),
    sa.Column('at', sa.DateTime(), nullable=False),
    sa.Column('user', sa.String(length=64), nullable=True),
    sa.Column('kind', sa.String(length=16), nullable=False),
    sa.Column('old', sa.String(length=200), nullable=True),
    sa.Column('new', sa.String(length=200), nullable=True),
    sa.Column('body', sa.Text(), nullable=True),
    sa.ForeignKeyConstraint(['ticket_id'], ['tickets.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id')
    )
    op.create_index('ix_ticket_events_ticket', 'ticket_events', ['ticket_id', 'at', 'id'], unique=False)
    op.create_index("ix_tickets_trashed", "tickets", ["deleted_at"], sqlite_where=TRASHED, postgresql_where=TRASHED)


def downgrade() -> None:
    for table in ("ticket_events", "tickets", "ticket_queues"):
        op.drop_table(table)
