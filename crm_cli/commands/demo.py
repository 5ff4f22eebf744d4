"""crm demo: load sample data into a demo database and show what crm does."""

from __future__ import annotations

from typing import Annotated

import typer


def demo(fresh: Annotated[bool, typer.Option("--fresh/--keep", help="Start from an empty demo database.")] = True
         ) -> None:
    """Load sample customers, contacts, leads, opportunities and activities, and show them.

    Uses the database given by --db/CRM_DB, or demo.db in the user data dir (never your crm.db).
    """
    from crm_cli import demo as demo_data

    demo_data.run(fresh)
