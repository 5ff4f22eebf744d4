"""products and price rules

Revision ID: 0008_products
Revises: 0007_iso_minor_units
"""

from alembic import op
import sqlalchemy as sa

revision = "0008_products"
down_revision = "0007_iso_minor_units"
branch_labels = None
depends_on = None


def _record_columns():
    return [
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.Column("created_by", sa.String(length=64), nullable=True),
        sa.Column("deleted_at", sa.DateTime(), nullable=True),
    ]


def upgrade() -> None:
    op.create_table(
        "products",
        *_record_columns(),
        sa.Column("sku", sa.String(length=64), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("unit", sa.String(length=16), nullable=False),
        sa.Column("category", sa.String(length=100), nullable=True),
        sa.Column("list_price", sa.BigInteger(), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("cost", sa.BigInteger(), nullable=True),
        sa.Column("tax_rate", sa.Integer(), nullable=False),
        sa.Column("tax_included", sa.Boolean(), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("description", sa.String(length=2000), nullable=True),
        sa.Column("custom", sa.JSON(), nullable=False),
        sa.Column("external_id", sa.String(length=200), nullable=True),
        sa.Column("import_batch_id", sa.Integer(), nullable=True),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("sku"),
    )
    op.create_index("ix_products_name", "products", ["name"])
    op.create_index("ix_products_category", "products", ["category"])
    op.create_index("ix_products_active", "products", ["active"])
    op.create_index("ix_products_import_batch_id", "products", ["import_batch_id"])
    present = sa.text("external_id IS NOT NULL")
    op.create_index("ix_products_external_id_present", "products", ["external_id"], unique=True,
                    sqlite_where=present, postgresql_where=present)
    trashed = sa.text("deleted_at IS NOT NULL")
    op.create_index("ix_products_trashed", "products", ["deleted_at"], sqlite_where=trashed,
                    postgresql_where=trashed)

    op.create_table(
        "price_rules",
        *_record_columns(),
        sa.Column("name", sa.String(length=200), nullable=True),
        sa.Column("product_id", sa.Integer(), nullable=True),
        sa.Column("category", sa.String(length=100), nullable=True),
        sa.Column("customer_id", sa.Integer(), nullable=True),
        sa.Column("tier", sa.String(length=1), nullable=True),
        sa.Column("rep_id", sa.Integer(), nullable=True),
        sa.Column("min_qty", sa.BigInteger(), nullable=False),
        sa.Column("valid_from", sa.Date(), nullable=True),
        sa.Column("valid_to", sa.Date(), nullable=True),
        sa.Column("price", sa.BigInteger(), nullable=True),
        sa.Column("currency", sa.String(length=3), nullable=True),
        sa.Column("discount", sa.Integer(), nullable=True),
        sa.Column("tax_included", sa.Boolean(), nullable=True),
        sa.Column("priority", sa.Integer(), nullable=False),
        sa.Column("notes", sa.String(length=2000), nullable=True),
        sa.ForeignKeyConstraint(["product_id"], ["products.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["customer_id"], ["customers.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["rep_id"], ["users.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_price_rules_target", "price_rules", ["product_id", "category"])
    op.create_index("ix_price_rules_product_id", "price_rules", ["product_id"])
    op.create_index("ix_price_rules_customer_id", "price_rules", ["customer_id"])
    op.create_index("ix_price_rules_rep_id", "price_rules", ["rep_id"])
    op.create_index("ix_price_rules_trashed", "price_rules", ["deleted_at"], sqlite_where=trashed,
                    postgresql_where=trashed)


def downgrade() -> None:
    op.drop_table("price_rules")
    op.drop_table("products")
