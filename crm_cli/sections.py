"""Sections of `crm customer show` that other modules plug in, without editing the customer command.

Each provider is "module:function"; the function takes (session, customer) and returns
(name, records, columns) or None. Add a line here to add a section.
"""

from __future__ import annotations

import importlib

CUSTOMER_SECTIONS: list[str] = [
    "crm_cli.services.contacts:customer_section",
    "crm_cli.services.opportunities:customer_section",
    "crm_cli.services.activities:customer_section",
    "crm_cli.services.quotes:customer_section",
    "crm_cli.services.orders:customer_section",
    "crm_cli.services.orders:credit_section",
]


def customer_sections(session, customer) -> list[tuple]:
    out = []
    for spec in CUSTOMER_SECTIONS:
        module, func = spec.split(":")
        result = getattr(importlib.import_module(module), func)(session, customer)
        if result:
            out.append(result)
    return out
