"""Registry of import adapters: entity -> "module:Class" (one line per entity; see the package docstring)."""

from __future__ import annotations

import importlib

ADAPTERS: dict[str, str] = {
    "lead": "crm_cli.importer.lead_adapter:LeadAdapter",
    "customer": "crm_cli.importer.party_adapters:CustomerAdapter",
    "contact": "crm_cli.importer.party_adapters:ContactAdapter",
    "opp": "crm_cli.importer.opp_adapter:OppAdapter",
    "product": "crm_cli.importer.product_adapter:ProductAdapter",
    "order": "crm_cli.importer.order_adapter:OrderAdapter",
}


def get(entity: str):
    """An adapter instance for `entity`; a clear error when there is none (yet)."""
    from crm_cli.core.errors import CrmError

    spec = ADAPTERS.get(entity)
    if spec is None:
        raise CrmError(f"import/export is not available for '{entity}'")
    module, cls = spec.split(":")
    try:
        mod = importlib.import_module(module)
    except ModuleNotFoundError as exc:
        if exc.name == module:
            raise CrmError(f"import/export is not available for '{entity}' yet") from None
        raise
    return getattr(mod, cls)()
