"""amounts in the currencies whose ISO 4217 minor unit crm got wrong, rescaled

Before babel's currency data, every currency but eleven was taken to have 2 decimal places, so
an amount of 5000 XOF (no minor unit) was stored as 500000 and 1.005 LYD (3 digits) could not be
entered. Stored minor units of those currencies are rescaled to the right number of digits
(to fewer digits: rounded half away from zero). The table is frozen here: old digits, new digits.

Revision ID: 0007_iso_minor_units
Revises: 0006_lean_import_indexes
"""

from alembic import op
import sqlalchemy as sa

revision = "0007_iso_minor_units"
down_revision = "0006_lean_import_indexes"
branch_labels = None
depends_on = None

DIGITS = {  # code: (digits before, ISO 4217 digits)
    "ADP": (2, 0), "BIF": (2, 0), "BYR": (2, 0), "CLF": (2, 4), "DJF": (2, 0), "ESP": (2, 0), "GNF": (2, 0),
    "IQD": (2, 3), "ITL": (2, 0), "KMF": (2, 0), "LUF": (2, 0), "LYD": (2, 3), "MGF": (2, 0), "MRO": (2, 0),
    "PYG": (2, 0), "RWF": (2, 0), "STD": (2, 0), "TMM": (2, 0), "TRL": (2, 0), "UGX": (2, 0), "UYI": (2, 0),
    "UYW": (2, 4), "VUV": (2, 0), "XAF": (2, 0), "XOF": (2, 0), "XPF": (2, 0), "ZMK": (2, 0), "ZWD": (2, 0),
}
MONEY = (("opportunities", "amount", "currency"), ("customers", "credit_limit", "currency"),
         ("activities", "cost", "cost_currency"))


def _rescale(direction: int) -> None:
    conn = op.get_bind()
    for table, amount, currency in MONEY:
        for code, (before, after) in DIGITS.items():
            shift = (after - before) * direction
            factor = 10 ** abs(shift)
            if shift > 0:
                expr = f"{amount} * {factor}"
            else:  # integer division truncates on both backends: add half first, away from zero
                half = factor // 2
                expr = (f"CASE WHEN {amount} >= 0 THEN ({amount} + {half}) / {factor} "
                        f"ELSE ({amount} - {half}) / {factor} END")
            conn.execute(sa.text(f"UPDATE {table} SET {amount} = {expr} WHERE {currency} = :code "
                                 f"AND {amount} IS NOT NULL"), {"code": code})


def upgrade() -> None:
    _rescale(1)


def downgrade() -> None:
    _rescale(-1)
