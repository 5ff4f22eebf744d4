"""quotes and orders: lines, deliveries and returns, instalments, payments, document counters

Revision ID: 0009_documents
Revises: 0008_products
"""

from alembic import op
import sqlalchemy as sa

revision = "0009_documents"
down_revision = "0008_products"
branch_labels = None
depends_on = None

TRASHED = sa.text("deleted_at IS NOT NULL")


def upgrade() -> None:
    op.create_table('document_counters',
    sa.Column('prefix', sa.String(length=8), nullable=False),
    sa.Column('year', sa.Integer(), nullable=False),
    sa.Column('last', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('prefix', 'year')
    )
    op.create_table('quotes',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('updated_at', sa.DateTime(), nullable=False),
    sa.Column('created_by', sa.String(length=64), nullable=True),
    sa.Column('deleted_at', sa.DateTime(), nullable=True),
    sa.Column('number', sa.String(length=20), nullable=False),
    sa.Column('revision', sa.Integer(), nullable=False),
    sa.Column('customer_id', sa.Integer(), nullable=False),
    sa.Column('opportunity_id', sa.Integer(), nullable=True),
    sa.Column('contact_id', sa.Integer(), nullable=True),
    sa.Column('owner_id', sa.Integer(), nullable=True),
    sa.Column('status', sa.String(length=10), nullable=False),
    sa.Column('currency', sa.String(length=3), nullable=False),
    sa.Column('issued_on', sa.Date(), nullable=False),
    sa.Column('valid_until', sa.Date(), nullable=False),
    sa.Column('payment_terms', sa.Integer(), nullable=True),
    sa.Column('notes', sa.String(length=4000), nullable=True),
    sa.Column('sent_at', sa.DateTime(), nullable=True),
    sa.Column('decided_at', sa.DateTime(), nullable=True),
    sa.Column('reject_reason', sa.String(length=300), nullable=True),
    sa.Column('superseded_by_id', sa.Integer(), nullable=True),
    sa.Column('order_id', sa.Integer(), nullable=True),
    sa.Column('subtotal', sa.BigInteger(), nullable=False),
    sa.Column('discount', sa.BigInteger(), nullable=False),
    sa.Column('tax', sa.BigInteger(), nullable=False),
    sa.Column('total', sa.BigInteger(), nullable=False),
    sa.ForeignKeyConstraint(['contact_id'], ['contacts.id'], ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['customer_id'], ['customers.id'], ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['opportunity_id'], ['opportunities.id'], ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['owner_id'], ['users.id'], ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['superseded_by_id'], ['quotes.id'], ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('number', 'revision', name='uq_quotes_number_revision')
    )
    op.create_index('ix_quotes_customer_status', 'quotes', ['customer_id', 'status'], unique=False)
    op.create_index(('ix_quotes_number'), 'quotes', ['number'], unique=False)
    op.create_index(('ix_quotes_opportunity_id'), 'quotes', ['opportunity_id'], unique=False)
    op.create_index(('ix_quotes_owner_id'), 'quotes', ['owner_id'], unique=False)
    op.create_index(('ix_quotes_status'), 'quotes', ['status'], unique=False)
    op.create_index(('ix_quotes_valid_until'), 'quotes', ['valid_until'], unique=False)
    op.create_table('orders',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('updated_at', sa.DateTime(), nullable=False),
    sa.Column('created_by', sa.String(length=64), nullable=True),
    sa.Column('deleted_at', sa.DateTime(), nullable=True),
    sa.Column('number', sa.String(length=20), nullable=False),
    sa.Column('customer_id', sa.Integer(), nullable=False),
    sa.Column('quote_id', sa.Integer(), nullable=True),
    sa.Column('owner_id', sa.Integer(), nullable=True),
    sa.Column('status', sa.String(length=10), nullable=False),
    sa.Column('delivery_status', sa.String(length=8), nullable=False),
    sa.Column('currency', sa.String(length=3), nullable=False),
    sa.Column('ordered_on', sa.Date(), nullable=False),
    sa.Column('payment_terms', sa.Integer(), nullable=True),
    sa.Column('notes', sa.String(length=4000), nullable=True),
    sa.Column('confirmed_at', sa.DateTime(), nullable=True),
    sa.Column('confirmed_on', sa.Date(), nullable=True),
    sa.Column('closed_at', sa.DateTime(), nullable=True),
    sa.Column('credit_override', sa.String(length=300), nullable=True),
    sa.Column('subtotal', sa.BigInteger(), nullable=False),
    sa.Column('discount', sa.BigInteger(), nullable=False),
    sa.Column('tax', sa.BigInteger(), nullable=False),
    sa.Column('total', sa.BigInteger(), nullable=False),
    sa.Column('returned', sa.BigInteger(), nullable=False),
    sa.Column('paid', sa.BigInteger(), nullable=False),
    sa.Column('external_id', sa.String(length=200), nullable=True),
    sa.Column('import_batch_id', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['customer_id'], ['customers.id'], ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['owner_id'], ['users.id'], ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['quote_id'], ['quotes.id'], ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('number')
    )
    op.create_index(('ix_orders_confirmed_on'), 'orders', ['confirmed_on'], unique=False)
    op.create_index('ix_orders_customer_status', 'orders', ['customer_id', 'status'], unique=False)
    op.create_index(('ix_orders_delivery_status'), 'orders', ['delivery_status'], unique=False)
    op.create_index(('ix_orders_import_batch_id'), 'orders', ['import_batch_id'], unique=False)
    op.create_index(('ix_orders_owner_id'), 'orders', ['owner_id'], unique=False)
    op.create_index(('ix_orders_quote_id'), 'orders', ['quote_id'], unique=False)
    op.create_index('ix_orders_status_id', 'orders', ['status', 'id'], unique=False)
    op.create_table('quote_lines',
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=8), nullable=False),
    sa.Column('product_id', sa.Integer(), nullable=True),
    sa.Column('sku', sa.String(length=64), nullable=True),
    sa.Column('description', sa.String(length=300), nullable=False),
    sa.Column('qty', sa.BigInteger(), nullable=False),
    sa.Column('unit', sa.String(length=16), nullable=False),
    sa.Column('unit_price', sa.BigInteger(), nullable=False),
    sa.Column('list_price', sa.BigInteger(), nullable=True),
    sa.Column('list_included', sa.Boolean(), nullable=False),
    sa.Column('discount', sa.Integer(), nullable=False),
    sa.Column('tax_rate', sa.Integer(), nullable=False),
    sa.Column('tax_included', sa.Boolean(), nullable=False),
    sa.Column('rule_id', sa.Integer(), nullable=True),
    sa.Column('price_source', sa.String(length=8), nullable=False),
    sa.Column('approved_by', sa.String(length=64), nullable=True),
    sa.Column('list_amount', sa.BigInteger(), nullable=False),
    sa.Column('discount_amount', sa.BigInteger(), nullable=False),
    sa.Column('net', sa.BigInteger(), nullable=False),
    sa.Column('tax', sa.BigInteger(), nullable=False),
    sa.Column('total', sa.BigInteger(), nullable=False),
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('quote_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['product_id'], ['products.id'], ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['quote_id'], ['quotes.id'], ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['rule_id'], ['price_rules.id'], ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id')
    )
    op.create_index(('ix_quote_lines_product_id'), 'quote_lines', ['product_id'], unique=False)
    op.create_index('ix_quote_lines_quote', 'quote_lines', ['quote_id', 'position'], unique=False)
    op.create_table('order_instalments',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('order_id', sa.Integer(), nullable=False),
    sa.Column('seq', sa.Integer(), nullable=False),
    sa.Column('due_on', sa.Date(), nullable=False),
    sa.Column('amount', sa.BigInteger(), nullable=False),
    sa.Column('paid', sa.BigInteger(), nullable=False),
    sa.ForeignKeyConstraint(['order_id'], ['orders.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id')
    )
    op.create_index('ix_instalments_due', 'order_instalments', ['due_on'], unique=False)
    op.create_index('ix_instalments_order_seq', 'order_instalments', ['order_id', 'seq', 'id', 'due_on', 'amount', 'paid'],
                    unique=False)
    op.create_table('order_lines',
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=8), nullable=False),
    sa.Column('product_id', sa.Integer(), nullable=True),
    sa.Column('sku', sa.String(length=64), nullable=True),
    sa.Column('description', sa.String(length=300), nullable=False),
    sa.Column('qty', sa.BigInteger(), nullable=False),
    sa.Column('unit', sa.String(length=16), nullable=False),
    sa.Column('unit_price', sa.BigInteger(), nullable=False),
    sa.Column('list_price', sa.BigInteger(), nullable=True),
    sa.Column('list_included', sa.Boolean(), nullable=False),
    sa.Column('discount', sa.Integer(), nullable=False),
    sa.Column('tax_rate', sa.Integer(), nullable=False),
    sa.Column('tax_included', sa.Boolean(), nullable=False),
    sa.Column('rule_id', sa.Integer(), nullable=True),
    sa.Column('price_source', sa.String(length=8), nullable=False),
    sa.Column('approved_by', sa.String(length=64), nullable=True),
    sa.Column('list_amount', sa.BigInteger(), nullable=False),
    sa.Column('discount_amount', sa.BigInteger(), nullable=False),
    sa.Column('net', sa.BigInteger(), nullable=False),
    sa.Column('tax', sa.BigInteger(), nullable=False),
    sa.Column('total', sa.BigInteger(), nullable=False),
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('order_id', sa.Integer(), nullable=False),
    sa.Column('delivered', sa.BigInteger(), nullable=False),
    sa.Column('returned', sa.BigInteger(), nullable=False),
    sa.Column('returned_amount', sa.BigInteger(), nullable=False),
    sa.ForeignKeyConstraint(['order_id'], ['orders.id'], ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['product_id'], ['products.id'], ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['rule_id'], ['price_rules.id'], ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id')
    )
    op.create_index('ix_order_lines_order', 'order_lines', ['order_id', 'position'], unique=False)
    op.create_index(('ix_order_lines_product_id'), 'order_lines', ['product_id'], unique=False)
    op.create_table('order_payments',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('order_id', sa.Integer(), nullable=False),
    sa.Column('amount', sa.BigInteger(), nullable=False),
    sa.Column('paid_on', sa.Date(), nullable=False),
    sa.Column('method', sa.String(length=32), nullable=True),
    sa.Column('reference', sa.String(length=100), nullable=True),
    sa.Column('at', sa.DateTime(), nullable=False),
    sa.Column('user', sa.String(length=64), nullable=True),
    sa.ForeignKeyConstraint(['order_id'], ['orders.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id')
    )
    op.create_index(('ix_order_payments_order_id'), 'order_payments', ['order_id'], unique=False)
    op.create_table('order_deliveries',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('order_id', sa.Integer(), nullable=False),
    sa.Column('line_id', sa.Integer(), nullable=False),
    sa.Column('qty', sa.BigInteger(), nullable=False),
    sa.Column('amount', sa.BigInteger(), nullable=False),
    sa.Column('reason', sa.String(length=300), nullable=True),
    sa.Column('at', sa.DateTime(), nullable=False),
    sa.Column('user', sa.String(length=64), nullable=True),
    sa.ForeignKeyConstraint(['line_id'], ['order_lines.id'], ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['order_id'], ['orders.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id')
    )
    op.create_index(('ix_order_deliveries_order_id'), 'order_deliveries', ['order_id'], unique=False)

    op.create_index("ix_quotes_trashed", "quotes", ["deleted_at"], sqlite_where=TRASHED, postgresql_where=TRASHED)
    op.create_index("ix_orders_trashed", "orders", ["deleted_at"], sqlite_where=TRASHED, postgresql_where=TRASHED)
    present = sa.text("external_id IS NOT NULL")
    op.create_index("ix_orders_external_id_present", "orders", ["external_id"], unique=True, sqlite_where=present,
                    postgresql_where=present)


def downgrade() -> None:
    for table in ("order_deliveries", "order_payments", "order_lines", "order_instalments", "quote_lines",
                  "orders", "quotes", "document_counters"):
        op.drop_table(table)
