"""`import` and `export` subcommands for an entity's command group (the one import engine).

Placeholder until the import issue lands.
"""


def register_io(app, entity: str) -> None:
    """Add `crm ENTITY import` and `crm ENTITY export` to `app`."""
