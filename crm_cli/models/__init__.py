"""SQLModel tables, imported as they are needed: a command maps only the models it uses.

`from crm_cli.models import Customer` imports the module of that model alone (PEP 562 module
`__getattr__`, from the registry's "module:Class" strings). ENTITIES maps the user-facing entity name
(`crm history customer 3`) to its table model, in the registry's order; reading it imports every
model (history, trash, `db info`, merge and transfer walk all tables), as does `load_all()`, which
registers every table on SQLModel.metadata (migrations, the schema-drift test).
"""

import importlib

from crm_cli import registry
from crm_cli.models.base import Record, UTCDateTime  # noqa: F401
from crm_cli.models.system import CustomField, History  # noqa: F401

_BY_CLASS = {registry.split(e.model)[1]: e.model for e in registry.ENTITIES}
_BY_CLASS["CustomerTag"] = "crm_cli.models.customer:CustomerTag"
_BY_CLASS["CustomerShare"] = "crm_cli.models.customer:CustomerShare"


def _model(spec: str) -> type:
    module, cls = registry.split(spec)
    return getattr(importlib.import_module(module), cls)


def load_all() -> dict[str, type]:
    """Import every model; the entity name -> model map, in the registry's order."""
    entities = {e.name: _model(e.model) for e in registry.ENTITIES}
    globals().update({model.__name__: model for model in entities.values()}, ENTITIES=entities)
    return entities


def __getattr__(name: str):
    if name == "ENTITIES":
        return load_all()
    spec = _BY_CLASS.get(name)
    if spec is None:
        raise AttributeError(f"module 'crm_cli.models' has no attribute '{name}'")
    value = _model(spec)
    globals()[name] = value
    return value


# Every record table also has a partial index on deleted_at (trashed rows only), named
# ix_<table>_trashed. It lives in the migrations only (0005_trash_indexes): declaring it here
# needs dialect-specific options, and validating those imports the PostgreSQL dialect
# (~50 ms) on every command. The same holds for the partial indexes on a lead's conversion links,
# ix_leads_converted_*_linked, and the partial unique indexes on external ids,
# ix_<table>_external_id_present (0006_lean_import_indexes). The schema-drift test skips them by name.
PARTIAL_INDEX_SUFFIXES = ("_trashed", "_linked", "_present")
