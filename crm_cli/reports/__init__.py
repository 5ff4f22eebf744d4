"""Sales reports: SQL aggregate queries (GROUP BY in the database) and their renderers.

Each module returns small lists of dicts (one per stage / period / group); money sums are
aggregated per currency in SQL and converted afterwards with `services.currency.Converter`.
"""


def percent(num, den, digits: int = 1):
    """num/den as a percentage rounded to `digits`, or None when den is 0."""
    if not den:
        return None
    return round(100.0 * num / den, digits)


def live_opportunities():
    """SQL: opportunities whose customer is not in the trash (trashing a customer trashes its
    opportunities too; this keeps any left behind out of the reports as well)."""
    from crm_cli.models.opportunity import Opportunity
    from crm_cli.services.listing import parents_not_trashed

    return parents_not_trashed(Opportunity.customer_id)


class Conversion:
    """Converts minor units to `target` where an exchange rate exists. Amounts in a currency without
    one are not converted (that would fail the whole report): the caller keeps them apart, adds
    them to `unconverted` ({currency: minor units}) and `warn()` says so on stderr."""

    def __init__(self, session, target: str):
        from crm_cli.services.currency import Converter

        self.target = target
        self.conv = Converter(session)
        self.unconverted: dict[str, int] = {}
        self._ok: dict[str, bool] = {}

    def convertible(self, currency: str | None) -> bool:
        from crm_cli.core.errors import ValidationError

        cur = currency or self.target
        if cur not in self._ok:
            try:
                self.conv.factor(cur, self.target)
                self._ok[cur] = True
            except ValidationError:
                self._ok[cur] = False
        return self._ok[cur]

    def convert(self, minor, currency: str | None) -> int:
        return self.conv.convert(int(minor), currency, self.target) if minor is not None else 0

    def set_aside(self, minor, currency: str) -> None:
        self.unconverted[currency] = self.unconverted.get(currency, 0) + int(minor or 0)

    def warn(self, what: str = "amounts") -> None:
        """One line on stderr naming the currencies (and sums) left out of the `target` totals."""
        if not self.unconverted:
            return
        from crm_cli.core.money import Money
        from crm_cli.core.output import info

        parts = ", ".join(f"{c} {Money(v, c).plain()}" for c, v in sorted(self.unconverted.items()))
        first = sorted(self.unconverted)[0]
        info(f"crm: warning: no exchange rate to {self.target} for {', '.join(sorted(self.unconverted))}: "
             f"{parts} left out of the {self.target} {what} and shown apart "
             f"(set a rate with 'crm currency rate {first} RATE --base {self.target}')")
