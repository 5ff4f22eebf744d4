"""SQLModel tables, imported as they are needed: a command maps only the models it uses.

`from crm_cli.models import Customer` imports the module of that model alone (PEP 562 module
`__getattr__`, from the registry's "module:Class" strings). ENTITIES maps the user-facing entity name
(`crm history customer 3`) to its table model, in the registry's order; reading it imports every
model (history, trash, `db info`, merge and transfer walk all tables), as does `load_all()`, which
registers every table on SQLModel.metadata (migrations, the schema-drift test).

A model module does not import the models its foreign keys point at (`foreign_key="leads.id"` is a
string SQLAlchemy resolves when first asked): `crm remind` maps the activity, contact, order and ticket
tables without the lead, opportunity and product ones. What does follow a foreign key asks for its
target first: `load_table(name)` imports the model of a table, `load_targets(table)` those of every
table a table points at. A flush needs the targets of the tables it writes (SQLAlchemy sorts a
mapper's tables by their foreign keys), so every Session loads them before it flushes and before an
ORM-enabled INSERT/UPDATE/DELETE (the listeners below). Code that walks the whole schema
(`SQLModel.metadata.sorted_tables`: trash, merge, dump, integrity) calls `load_all()` first.
"""

import importlib

from crm_cli import registry
from crm_cli.models.base import Record, UTCDateTime  # noqa: F401
from crm_cli.models.system import CustomField, History  # noqa: F401

_BY_CLASS = {registry.split(e.model)[1]: e.model for e in registry.ENTITIES}
_BY_CLASS["CustomerTag"] = "crm_cli.models.customer:CustomerTag"
_BY_CLASS["CustomerShare"] = "crm_cli.models.customer:CustomerShare"


# table name -> the module under crm_cli.models that declares it (a test checks it against load_all())
TABLES: dict[str, str] = {
    "users": "user", "customers": "customer", "customer_tags": "customer", "customer_shares": "customer",
    "contacts": "contact", "activities": "activity",
    "leads": "lead", "import_batches": "lead",
    "pipelines": "opportunity", "stages": "opportunity", "competitors": "opportunity",
    "opportunities": "opportunity", "opportunity_contacts": "opportunity", "opportunity_competitors": "opportunity",
    "opportunity_stage_history": "opportunity", "currency_rates": "opportunity",
    "products": "product", "price_rules": "product",
    "document_counters": "document", "quotes": "document", "quote_lines": "document", "orders": "document",
    "order_lines": "document", "order_deliveries": "document", "order_instalments": "document",
    "order_payments": "document",
    "sla_calendars": "sla", "sla_holidays": "sla", "sla_policies": "sla",
    "ticket_queues": "ticket", "tickets": "ticket", "ticket_events": "ticket",
    "kb_articles": "kb", "kb_links": "kb",
    "history": "system", "custom_fields": "system",
}


def load_table(name: str):
    """The Table `name`, its model module imported when it is not yet."""
    from sqlmodel import SQLModel

    table = SQLModel.metadata.tables.get(name)
    if table is None:
        importlib.import_module(f"crm_cli.models.{TABLES[name]}")
        table = SQLModel.metadata.tables[name]
    return table


def load_targets(table) -> None:
    """Import the models of every table `table`'s foreign keys point at (not further)."""
    if table.info.get("crm_targets_loaded"):
        return
    from sqlmodel import SQLModel

    for fk in table.foreign_keys:
        name = fk.target_fullname.split(".")[0]
        if name not in SQLModel.metadata.tables:
            load_table(name)
    table.info["crm_targets_loaded"] = True


def _before_flush(session, _ctx, _instances) -> None:
    for cls in {type(obj) for objs in (session.new, session.dirty, session.deleted) for obj in objs}:
        table = getattr(cls, "__table__", None)
        if table is not None:
            load_targets(table)


def _before_orm_dml(state) -> None:
    if state.is_insert or state.is_update or state.is_delete:
        table = getattr(state.statement, "table", None)
        if table is not None and hasattr(table, "foreign_keys"):
            load_targets(table)


def _listen() -> None:
    from sqlalchemy import event
    from sqlalchemy.orm import Session

    if not event.contains(Session, "before_flush", _before_flush):
        event.listen(Session, "before_flush", _before_flush)
        event.listen(Session, "do_orm_execute", _before_orm_dml)


_listen()


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
