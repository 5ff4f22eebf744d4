"""Alembic environment: migrations run on the engine crm hands over (batch mode for SQLite)."""

from alembic import context
import sqlmodel  # noqa: F401  (autogenerate renders sqlmodel types)

from sqlmodel import SQLModel

import crm_cli.models

crm_cli.models.load_all()  # registers every table

target_metadata = SQLModel.metadata
config = context.config


def run_migrations_online() -> None:
    engine = config.attributes.get("engine")
    if engine is None:
        from crm_cli.core.db import get_engine

        engine = get_engine(migrate=False)
    with engine.connect() as connection:
        context.configure(
            connection=connection,
            target_metadata=target_metadata,
            render_as_batch=connection.dialect.name == "sqlite",
            compare_type=True,
        )
        with context.begin_transaction():
            context.run_migrations()
        connection.commit()


run_migrations_online()
