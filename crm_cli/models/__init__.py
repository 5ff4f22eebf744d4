"""SQLModel tables. Importing this package registers every table on SQLModel.metadata.

ENTITIES maps the user-facing entity name (`crm history customer 3`) to its table model.
"""

from crm_cli.models.base import Record, UTCDateTime  # noqa: F401
from crm_cli.models.contact import Contact
from crm_cli.models.customer import Customer, CustomerTag  # noqa: F401
from crm_cli.models.system import CustomField, History  # noqa: F401
from crm_cli.models.user import User

ENTITIES: dict[str, type] = {
    "user": User,
    "customer": Customer,
    "contact": Contact,
}


def register(model: type) -> type:
    """Add a record model to ENTITIES under its `__entity__` name (used by later modules)."""
    ENTITIES[model.__entity__] = model
    return model


# later modules: each lists its record models in ENTITY_MODELS (models with __entity__)
from crm_cli.models import opportunity  # noqa: E402
from crm_cli.models import lead  # noqa: E402
from crm_cli.models import activity  # noqa: E402
from crm_cli.models import product  # noqa: E402
from crm_cli.models import document  # noqa: E402

for _module in (opportunity, lead, activity, product, document):
    for _model in getattr(_module, "ENTITY_MODELS", []):
        register(_model)


# Every record table also has a partial index on deleted_at (trashed rows only), named
# ix_<table>_trashed. It lives in the migrations only (0005_trash_indexes): declaring it here
# needs dialect-specific options, and validating those imports the PostgreSQL dialect
# (~50 ms) on every command. The same holds for the partial indexes on a lead's conversion links,
# ix_leads_converted_*_linked, and the partial unique indexes on external ids,
# ix_<table>_external_id_present (0006_lean_import_indexes). The schema-drift test skips them by name.
PARTIAL_INDEX_SUFFIXES = ("_trashed", "_linked", "_present")
