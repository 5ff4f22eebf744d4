"""leaner indexes for imports: partial indexes for external ids, lead conversion links and the
optional lead filters (campaign, region, industry); no separate index on leads.owner_id

A lead links to what it was converted into; most leads never are, so a full index on each link
holds a NULL for nearly every row. Partial indexes (linked rows only) still serve the lookups
(a deleted customer's leads: `converted_customer_id = ?` implies IS NOT NULL) and cost nothing on
insert. The same holds for external ids (only imported records have one): the unique index becomes
a partial unique index, which still refuses a second record with the same id. And for the lead
filters on columns many leads leave empty (campaign, region, industry): `--region X` is
`region = ?`, which a partial index on `region IS NOT NULL` serves.
ix_leads_owner_status (owner_id, status) already serves every owner_id lookup.

Revision ID: 0006_lean_import_indexes
Revises: 0005_trash_indexes
"""

from alembic import op
import sqlalchemy as sa

revision = "0006_lean_import_indexes"
down_revision = "0005_trash_indexes"
branch_labels = None
depends_on = None

LINKS = ("converted_customer_id", "converted_contact_id", "converted_opportunity_id")
OPTIONAL = ("campaign", "region", "industry")  # lead list filters on columns many leads leave empty
IMPORTABLE = ("leads", "customers", "contacts", "opportunities")


def upgrade() -> None:
    op.drop_index("ix_leads_owner_id", table_name="leads")
    present = sa.text("external_id IS NOT NULL")
    for table in IMPORTABLE:
        op.drop_index(f"ix_{table}_external_id", table_name=table)
        op.create_index(f"ix_{table}_external_id_present", table, ["external_id"], unique=True,
                        sqlite_where=present, postgresql_where=present)
    for column in LINKS:
        op.drop_index(f"ix_leads_{column}", table_name="leads")
        where = sa.text(f"{column} IS NOT NULL")
        op.create_index(f"ix_leads_{column.removesuffix('_id')}_linked", "leads", [column],
                        sqlite_where=where, postgresql_where=where)
    for column in OPTIONAL:
        op.drop_index(f"ix_leads_{column}", table_name="leads")
        where = sa.text(f"{column} IS NOT NULL")
        op.create_index(f"ix_leads_{column}_present", "leads", [column], sqlite_where=where,
                        postgresql_where=where)


def downgrade() -> None:
    for column in OPTIONAL:
        op.drop_index(f"ix_leads_{column}_present", table_name="leads")
        op.create_index(f"ix_leads_{column}", "leads", [column])
    for column in LINKS:
        op.drop_index(f"ix_leads_{column.removesuffix('_id')}_linked", table_name="leads")
        op.create_index(f"ix_leads_{column}", "leads", [column])
    op.create_index("ix_leads_owner_id", "leads", ["owner_id"])
    for table in IMPORTABLE:
        op.drop_index(f"ix_{table}_external_id_present", table_name=table)
        op.create_index(f"ix_{table}_external_id", table, ["external_id"], unique=True)
