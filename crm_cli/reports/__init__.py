"""Sales reports: SQL aggregate queries (GROUP BY in the database) and their renderers.

Each module returns small lists of dicts (one per stage / period / group); money sums are
aggregated per currency in SQL and converted afterwards with `services.currency.Converter`.
"""


def percent(num, den, digits: int = 1):
    """num/den as a percentage rounded to `digits`, or None when den is 0."""
    if not den:
        return None
    return round(100.0 * num / den, digits)
