"""leads and import batches; external_id and import_batch_id on customers and contacts

Revision ID: 0003_leads
Revises: 0002_opportunities
"""

from alembic import op
import sqlalchemy as sa

revision = "0003_leads"
down_revision = "0002_opportunities"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('import_batches',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('entity', sa.String(length=32), nullable=False),
    sa.Column('file_name', sa.String(length=500), nullable=True),
    sa.Column('user', sa.String(length=64), nullable=True),
    sa.Column('started_at', sa.DateTime(), nullable=False),
    sa.Column('finished_at', sa.DateTime(), nullable=True),
    sa.Column('read', sa.Integer(), nullable=False),
    sa.Column('created', sa.Integer(), nullable=False),
    sa.Column('updated', sa.Integer(), nullable=False),
    sa.Column('unchanged', sa.Integer(), nullable=False),
    sa.Column('skipped', sa.Integer(), nullable=False),
    sa.Column('rejected', sa.Integer(), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('undone_at', sa.DateTime(), nullable=True),
    sa.PrimaryKeyConstraint('id')
    )
    op.create_index(op.f('ix_import_batches_entity'), 'import_batches', ['entity'], unique=False)
    op.create_table('leads',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('updated_at', sa.DateTime(), nullable=False),
    sa.Column('created_by', sa.String(length=64), nullable=True),
    sa.Column('deleted_at', sa.DateTime(), nullable=True),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('company', sa.String(length=300), nullable=True),
    sa.Column('title', sa.String(length=200), nullable=True),
    sa.Column('email', sa.String(length=320), nullable=True),
    sa.Column('phone', sa.String(length=64), nullable=True),
    sa.Column('mobile', sa.String(length=64), nullable=True),
    sa.Column('source', sa.String(length=32), nullable=True),
    sa.Column('campaign', sa.String(length=200), nullable=True),
    sa.Column('city', sa.String(length=100), nullable=True),
    sa.Column('region', sa.String(length=100), nullable=True),
    sa.Column('industry', sa.String(length=100), nullable=True),
    sa.Column('notes', sa.String(), nullable=True),
    sa.Column('owner_id', sa.Integer(), nullable=True),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('disqualify_reason', sa.String(length=300), nullable=True),
    sa.Column('external_id', sa.String(length=200), nullable=True),
    sa.Column('import_batch_id', sa.Integer(), nullable=True),
    sa.Column('custom', sa.JSON(), nullable=False),
    sa.Column('converted_at', sa.DateTime(), nullable=True),
    sa.Column('converted_customer_id', sa.Integer(), nullable=True),
    sa.Column('converted_contact_id', sa.Integer(), nullable=True),
    sa.Column('converted_opportunity_id', sa.Integer(), nullable=True),
    sa.Column('email_key', sa.String(length=320), nullable=True),
    sa.Column('phone_key', sa.String(length=32), nullable=True),
    sa.Column('company_key', sa.String(length=300), nullable=True),
    sa.ForeignKeyConstraint(['converted_contact_id'], ['contacts.id'], ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['converted_customer_id'], ['customers.id'], ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['converted_opportunity_id'], ['opportunities.id'], ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['owner_id'], ['users.id'], ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id')
    )
    op.create_index(op.f('ix_leads_campaign'), 'leads', ['campaign'], unique=False)
    op.create_index(op.f('ix_leads_company_key'), 'leads', ['company_key'], unique=False)
    op.create_index(op.f('ix_leads_converted_contact_id'), 'leads', ['converted_contact_id'], unique=False)
    op.create_index(op.f('ix_leads_converted_customer_id'), 'leads', ['converted_customer_id'], unique=False)
    op.create_index(op.f('ix_leads_converted_opportunity_id'), 'leads', ['converted_opportunity_id'], unique=False)
    op.create_index(op.f('ix_leads_deleted_at'), 'leads', ['deleted_at'], unique=False)
    op.create_index(op.f('ix_leads_email_key'), 'leads', ['email_key'], unique=False)
    op.create_index(op.f('ix_leads_external_id'), 'leads', ['external_id'], unique=True)
    op.create_index(op.f('ix_leads_import_batch_id'), 'leads', ['import_batch_id'], unique=False)
    op.create_index(op.f('ix_leads_industry'), 'leads', ['industry'], unique=False)
    op.create_index(op.f('ix_leads_name'), 'leads', ['name'], unique=False)
    op.create_index(op.f('ix_leads_owner_id'), 'leads', ['owner_id'], unique=False)
    op.create_index('ix_leads_owner_status', 'leads', ['owner_id', 'status'], unique=False)
    op.create_index(op.f('ix_leads_phone_key'), 'leads', ['phone_key'], unique=False)
    op.create_index(op.f('ix_leads_region'), 'leads', ['region'], unique=False)
    op.create_index(op.f('ix_leads_source'), 'leads', ['source'], unique=False)
    op.create_index(op.f('ix_leads_status'), 'leads', ['status'], unique=False)
    for table in ('contacts', 'customers'):
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.add_column(sa.Column('external_id', sa.String(length=200), nullable=True))
            batch_op.add_column(sa.Column('import_batch_id', sa.Integer(), nullable=True))
            batch_op.create_index(batch_op.f(f'ix_{table}_external_id'), ['external_id'], unique=True)
            batch_op.create_index(batch_op.f(f'ix_{table}_import_batch_id'), ['import_batch_id'], unique=False)


def downgrade() -> None:
    for table in ('customers', 'contacts'):
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.drop_index(batch_op.f(f'ix_{table}_import_batch_id'))
            batch_op.drop_index(batch_op.f(f'ix_{table}_external_id'))
            batch_op.drop_column('import_batch_id')
            batch_op.drop_column('external_id')
    op.drop_table('leads')
    op.drop_table('import_batches')
