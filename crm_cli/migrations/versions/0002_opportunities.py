"""opportunities, pipelines, stages, competitors, currency rates

Revision ID: 0002_opportunities
Revises: 0001_foundation
"""

from datetime import datetime, timezone

from alembic import op
import sqlalchemy as sa

revision = "0002_opportunities"
down_revision = "0001_foundation"
branch_labels = None
depends_on = None

DEFAULT_STAGES = [("Prospecting", 10, "open"), ("Qualification", 20, "open"), ("Proposal", 50, "open"),
                  ("Negotiation", 80, "open"), ("Won", 100, "won"), ("Lost", 0, "lost")]


def upgrade() -> None:
    op.create_table('competitors',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('updated_at', sa.DateTime(), nullable=False),
    sa.Column('created_by', sa.String(length=64), nullable=True),
    sa.Column('deleted_at', sa.DateTime(), nullable=True),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('website', sa.String(length=300), nullable=True),
    sa.Column('strengths', sa.String(), nullable=True),
    sa.Column('weaknesses', sa.String(), nullable=True),
    sa.Column('notes', sa.String(), nullable=True),
    sa.PrimaryKeyConstraint('id')
    )
    op.create_index(op.f('ix_competitors_deleted_at'), 'competitors', ['deleted_at'], unique=False)
    op.create_index(op.f('ix_competitors_name'), 'competitors', ['name'], unique=False)
    op.create_table('currency_rates',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('currency', sa.String(length=3), nullable=False),
    sa.Column('base', sa.String(length=3), nullable=False),
    sa.Column('rate', sa.String(length=40), nullable=False),
    sa.Column('updated_at', sa.DateTime(), nullable=False),
    sa.Column('updated_by', sa.String(length=64), nullable=True),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('currency', 'base')
    )
    op.create_table('pipelines',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('updated_at', sa.DateTime(), nullable=False),
    sa.Column('created_by', sa.String(length=64), nullable=True),
    sa.Column('deleted_at', sa.DateTime(), nullable=True),
    sa.Column('name', sa.String(length=100), nullable=False),
    sa.Column('description', sa.String(), nullable=True),
    sa.PrimaryKeyConstraint('id')
    )
    op.create_index(op.f('ix_pipelines_deleted_at'), 'pipelines', ['deleted_at'], unique=False)
    op.create_index(op.f('ix_pipelines_name'), 'pipelines', ['name'], unique=False)
    op.create_table('stages',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('updated_at', sa.DateTime(), nullable=False),
    sa.Column('created_by', sa.String(length=64), nullable=True),
    sa.Column('deleted_at', sa.DateTime(), nullable=True),
    sa.Column('pipeline_id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=100), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('probability', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=8), nullable=False),
    sa.Column('quota', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['pipeline_id'], ['pipelines.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id')
    )
    op.create_index(op.f('ix_stages_deleted_at'), 'stages', ['deleted_at'], unique=False)
    op.create_index('ix_stages_pipeline_position', 'stages', ['pipeline_id', 'position'], unique=False)
    op.create_table('opportunities',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('updated_at', sa.DateTime(), nullable=False),
    sa.Column('created_by', sa.String(length=64), nullable=True),
    sa.Column('deleted_at', sa.DateTime(), nullable=True),
    sa.Column('title', sa.String(length=300), nullable=False),
    sa.Column('customer_id', sa.Integer(), nullable=False),
    sa.Column('pipeline_id', sa.Integer(), nullable=False),
    sa.Column('stage_id', sa.Integer(), nullable=False),
    sa.Column('owner_id', sa.Integer(), nullable=True),
    sa.Column('status', sa.String(length=8), nullable=False),
    sa.Column('amount', sa.BigInteger(), nullable=True),
    sa.Column('currency', sa.String(length=3), nullable=True),
    sa.Column('probability', sa.Integer(), nullable=False),
    sa.Column('probability_set', sa.Boolean(), nullable=False),
    sa.Column('expected_close', sa.Date(), nullable=True),
    sa.Column('closed_at', sa.DateTime(), nullable=True),
    sa.Column('closed_on', sa.Date(), nullable=True),
    sa.Column('cycle_days', sa.Integer(), nullable=True),
    sa.Column('stage_changed_at', sa.DateTime(), nullable=True),
    sa.Column('lost_reason', sa.String(length=64), nullable=True),
    sa.Column('lost_to_id', sa.Integer(), nullable=True),
    sa.Column('lead_id', sa.Integer(), nullable=True),
    sa.Column('source', sa.String(length=64), nullable=True),
    sa.Column('campaign', sa.String(length=100), nullable=True),
    sa.Column('next_step', sa.String(length=300), nullable=True),
    sa.Column('notes', sa.String(), nullable=True),
    sa.Column('custom', sa.JSON(), nullable=False),
    sa.Column('external_id', sa.String(length=200), nullable=True),
    sa.Column('import_batch_id', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['customer_id'], ['customers.id'], ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['lost_to_id'], ['competitors.id'], ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['owner_id'], ['users.id'], ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['pipeline_id'], ['pipelines.id'], ),
    sa.ForeignKeyConstraint(['stage_id'], ['stages.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    op.create_index(op.f('ix_opportunities_amount'), 'opportunities', ['amount'], unique=False)
    op.create_index(op.f('ix_opportunities_closed_on'), 'opportunities', ['closed_on'], unique=False)
    op.create_index(op.f('ix_opportunities_customer_id'), 'opportunities', ['customer_id'], unique=False)
    op.create_index(op.f('ix_opportunities_deleted_at'), 'opportunities', ['deleted_at'], unique=False)
    op.create_index(op.f('ix_opportunities_external_id'), 'opportunities', ['external_id'], unique=True)
    op.create_index(op.f('ix_opportunities_import_batch_id'), 'opportunities', ['import_batch_id'], unique=False)
    op.create_index(op.f('ix_opportunities_expected_close'), 'opportunities', ['expected_close'], unique=False)
    op.create_index(op.f('ix_opportunities_lead_id'), 'opportunities', ['lead_id'], unique=False)
    op.create_index(op.f('ix_opportunities_lost_reason'), 'opportunities', ['lost_reason'], unique=False)
    op.create_index(op.f('ix_opportunities_lost_to_id'), 'opportunities', ['lost_to_id'], unique=False)
    op.create_index(op.f('ix_opportunities_owner_id'), 'opportunities', ['owner_id'], unique=False)
    op.create_index(op.f('ix_opportunities_source'), 'opportunities', ['source'], unique=False)
    op.create_index(op.f('ix_opportunities_stage_changed_at'), 'opportunities', ['stage_changed_at'], unique=False)
    op.create_index(op.f('ix_opportunities_stage_id'), 'opportunities', ['stage_id'], unique=False)
    op.create_index(op.f('ix_opportunities_status'), 'opportunities', ['status'], unique=False)
    op.create_index(op.f('ix_opportunities_title'), 'opportunities', ['title'], unique=False)
    op.create_index('ix_opps_forecast', 'opportunities', ['deleted_at', 'status', 'expected_close', 'currency', 'amount', 'probability'], unique=False)
    op.create_index('ix_opps_funnel', 'opportunities', ['pipeline_id', 'deleted_at', 'status', 'stage_id', 'currency', 'amount', 'probability'], unique=False)
    op.create_index('ix_opps_owner_status', 'opportunities', ['owner_id', 'status'], unique=False)
    op.create_table('opportunity_competitors',
    sa.Column('opportunity_id', sa.Integer(), nullable=False),
    sa.Column('competitor_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['competitor_id'], ['competitors.id'], ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['opportunity_id'], ['opportunities.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('opportunity_id', 'competitor_id')
    )
    op.create_index(op.f('ix_opportunity_competitors_competitor_id'), 'opportunity_competitors', ['competitor_id'], unique=False)
    op.create_table('opportunity_contacts',
    sa.Column('opportunity_id', sa.Integer(), nullable=False),
    sa.Column('contact_id', sa.Integer(), nullable=False),
    sa.Column('role', sa.String(length=32), nullable=True),
    sa.ForeignKeyConstraint(['contact_id'], ['contacts.id'], ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['opportunity_id'], ['opportunities.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('opportunity_id', 'contact_id')
    )
    op.create_index(op.f('ix_opportunity_contacts_contact_id'), 'opportunity_contacts', ['contact_id'], unique=False)
    op.create_table('opportunity_stage_history',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('opportunity_id', sa.Integer(), nullable=False),
    sa.Column('stage_id', sa.Integer(), nullable=False),
    sa.Column('from_stage_id', sa.Integer(), nullable=True),
    sa.Column('action', sa.String(length=16), nullable=False),
    sa.Column('at', sa.DateTime(), nullable=False),
    sa.Column('left_at', sa.DateTime(), nullable=True),
    sa.Column('seconds', sa.Integer(), nullable=True),
    sa.Column('user', sa.String(length=64), nullable=True),
    sa.ForeignKeyConstraint(['opportunity_id'], ['opportunities.id'], ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['stage_id'], ['stages.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    op.create_index(op.f('ix_opportunity_stage_history_stage_id'), 'opportunity_stage_history', ['stage_id'], unique=False)
    op.create_index('ix_stage_history_opp', 'opportunity_stage_history', ['opportunity_id', 'at'], unique=False)

    # the default pipeline a new (or upgraded) database starts with
    now = datetime.now(timezone.utc).replace(microsecond=0, tzinfo=None)
    pipelines = sa.table("pipelines", sa.column("id", sa.Integer), sa.column("name", sa.String),
                         sa.column("description", sa.Text), sa.column("created_at", sa.DateTime),
                         sa.column("updated_at", sa.DateTime), sa.column("created_by", sa.String))
    stages = sa.table("stages", sa.column("id", sa.Integer), sa.column("pipeline_id", sa.Integer),
                      sa.column("name", sa.String), sa.column("position", sa.Integer),
                      sa.column("probability", sa.Integer), sa.column("kind", sa.String),
                      sa.column("created_at", sa.DateTime), sa.column("updated_at", sa.DateTime),
                      sa.column("created_by", sa.String))
    op.bulk_insert(pipelines, [dict(id=1, name="Sales", description="New business", created_at=now,
                                    updated_at=now, created_by="system")])
    op.bulk_insert(stages, [dict(id=i + 1, pipeline_id=1, name=n, position=i + 1, probability=p, kind=k,
                                 created_at=now, updated_at=now, created_by="system")
                            for i, (n, p, k) in enumerate(DEFAULT_STAGES)])
    bind = op.get_bind()
    if bind.dialect.name == "postgresql":  # explicit ids above: move the sequences past them
        bind.exec_driver_sql("SELECT setval(pg_get_serial_sequence('pipelines', 'id'), 1)")
        bind.exec_driver_sql("SELECT setval(pg_get_serial_sequence('stages', 'id'), %d)" % len(DEFAULT_STAGES))


def downgrade() -> None:
    op.drop_table('opportunity_stage_history')
    op.drop_table('opportunity_contacts')
    op.drop_table('opportunity_competitors')
    op.drop_table('opportunities')
    op.drop_table('stages')
    op.drop_table('pipelines')
    op.drop_table('currency_rates')
    op.drop_table('competitors')
