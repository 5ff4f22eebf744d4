"""crm demo: load sample data into a demo database and show what crm does.

The data comes from the loaders in crm_cli/services/demo.py; the tour below is a list of `crm`
commands run on it.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import Annotated

import typer

SHOWCASE: list[tuple[str, list[str]]] = [
    ("Customers", ["customer", "list"]),
    ("Org chart of 华强电子", ["contact", "tree", "华强电子"]),
    ("Leads", ["lead", "list"]),
    ("Funnel", ["report", "funnel"]),
    ("Orders", ["order", "list"]),
    ("Receivables", ["report", "receivables"]),
    ("Agenda", ["agenda", "--week"]),
    ("Reminders", ["remind", "--owner", "all"]),
]


def demo(fresh: Annotated[bool, typer.Option("--fresh/--keep", help="Start from an empty demo database.")] = True
         ) -> None:
    """Load sample customers, contacts, leads, opportunities and activities, and show them.

    Uses the database given by --db/CRM_DB, or demo.db in the user data dir (never your crm.db).
    """
    run(fresh)


def demo_path() -> str:
    from crm_cli.core import context

    if context.options.db or os.environ.get("CRM_DB") or os.environ.get("CRM_DATABASE_URL"):
        from crm_cli.core import db

        return db.database_url()
    from platformdirs import user_data_dir

    return str(Path(user_data_dir("crm", appauthor=False)) / "demo.db")


def run(fresh: bool = True) -> None:
    from crm_cli.core import context, db
    from crm_cli.core.errors import UsageError
    from crm_cli.core.output import info
    from crm_cli.services import demo as demo_data

    target = demo_path()
    if "://" not in target:
        if fresh:
            db.dispose_all()  # no open connection to the file removed below (`crm batch` keeps engines)
            for suffix in ("", "-wal", "-shm"):
                try:
                    os.remove(target + suffix)
                except FileNotFoundError:
                    pass
        context.options.db = target
    elif fresh and db.get_engine().connect().exec_driver_sql("SELECT count(*) FROM customers").scalar():
        raise UsageError("the database already has customers; the demo needs an empty one",
                         "run crm demo without --db/CRM_DB to use its own demo.db")
    with db.session_scope() as s:
        demo_data.load_all(s)
    info(f"demo data loaded into {db.describe(db.database_url())}")
    info(f"try: CRM_DB={db.describe(db.database_url())} crm customer show 华强电子")
    from crm_cli.app import app

    for title, args in SHOWCASE:
        sys.stdout.write(f"\n== {title} ==\n")
        sys.stdout.flush()
        try:
            app(args=["--db", target, *args], prog_name="crm", standalone_mode=False)
        except SystemExit:
            pass
