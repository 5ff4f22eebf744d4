"""Sections of `crm customer show` that other modules plug in, without editing the customer command.

Each entity may name a provider in the registry (`Entity.section`, "module:function"); the function
takes (session, customer) and returns (name, records, columns), a list of them, or None. Sections are shown in the
registry's entity order.
"""

from __future__ import annotations

import importlib

from crm_cli import registry


def customer_sections(session, customer) -> list[tuple]:
    out = []
    for entity in registry.ENTITIES:
        if not entity.section:
            continue
        module, func = registry.split(entity.section)
        result = getattr(importlib.import_module(module), func)(session, customer)
        if isinstance(result, list):  # a provider with several sections
            out.extend(r for r in result if r)
        elif result:
            out.append(result)
    return out
