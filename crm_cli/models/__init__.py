"""SQLModel tables. Importing this package registers every table on SQLModel.metadata.

ENTITIES maps the user-facing entity name (`crm history customer 3`) to its table model, in the
order of the registry (crm_cli/registry.py), which names every entity's model; the entity models
are also attributes of this package (`from crm_cli.models import Customer`).
"""

import importlib

from crm_cli import registry
from crm_cli.models.base import Record, UTCDateTime  # noqa: F401
from crm_cli.models.customer import CustomerTag  # noqa: F401
from crm_cli.models.system import CustomField, History  # noqa: F401


def _model(spec: str) -> type:
    module, cls = registry.split(spec)
    return getattr(importlib.import_module(module), cls)


ENTITIES: dict[str, type] = {e.name: _model(e.model) for e in registry.ENTITIES}
globals().update({model.__name__: model for model in ENTITIES.values()})


# Every record table also has a partial index on deleted_at (trashed rows only), named
# ix_<table>_trashed. It lives in the migrations only (0005_trash_indexes): declaring it here
# needs dialect-specific options, and validating those imports the PostgreSQL dialect
# (~50 ms) on every command. The same holds for the partial indexes on a lead's conversion links,
# ix_leads_converted_*_linked, and the partial unique indexes on external ids,
# ix_<table>_external_id_present (0006_lean_import_indexes). The schema-drift test skips them by name.
PARTIAL_INDEX_SUFFIXES = ("_trashed", "_linked", "_present")
