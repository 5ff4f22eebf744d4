"""The entity registry and the import structure (docs/architecture.md), seen through the CLI where possible."""

import importlib
import subprocess
import sys
from datetime import datetime, timezone
from zoneinfo import ZoneInfo

from crm_cli import registry

HEAVY = ("sqlalchemy", "sqlmodel", "pydantic", "questionary", "tabulate", "alembic", "typer")


def _modules_after(statement: str) -> list[str]:
    code = (f"import sys\n{statement}\n"
            "print(','.join(sorted(m for m in sys.modules if m.split('.')[0] in ('crm_cli',) + HEAVY)))")
    out = subprocess.run([sys.executable, "-c", f"HEAVY={HEAVY!r}\n" + code], capture_output=True, text=True,
                         check=True).stdout
    return out.strip().split(",")


def test_registry_imports_nothing_from_crm_nor_anything_heavy():
    assert _modules_after("import crm_cli.registry") == ["crm_cli", "crm_cli.registry"]


def test_dates_do_not_import_the_context():
    assert _modules_after("import crm_cli.core.dates") == ["crm_cli", "crm_cli.core", "crm_cli.core.dates",
                                                           "crm_cli.core.errors"]


def test_dates_take_now_and_timezone_as_arguments():
    from crm_cli.core import dates

    base = datetime(2026, 11, 23, 1, 0, tzinfo=timezone.utc)  # Monday 09:00 in Shanghai, Sunday 20:00 in New York
    sh, ny = ZoneInfo("Asia/Shanghai"), ZoneInfo("America/New_York")
    assert dates.parse_datetime("tomorrow 9am", base=base, tz=sh) == datetime(2026, 11, 24, 9, 0, tzinfo=sh)
    assert dates.parse_datetime("tomorrow 9am", base=base, tz=ny) == datetime(2026, 11, 23, 9, 0, tzinfo=ny)
    assert dates.parse_range("today..today", base=base, tz=sh) == (datetime(2026, 11, 23, tzinfo=sh),
                                                                    datetime(2026, 11, 24, tzinfo=sh))
    assert dates.iso(base, tz=ny) == "2026-11-22T20:00:00-05:00"
    assert dates.human(base, tz=sh) == "2026-11-23 09:00"


def test_help_lists_the_registry_commands_in_order(run):
    out = run("--help", check=True).stdout
    listed = [line.split()[0] for line in out.split("Commands:\n", 1)[1].splitlines() if line.startswith("  ")]
    assert listed == ["history", "agenda", "remind", "demo", "shell", "batch", "customer", "contact", "lead", "opp",
                      "pipeline", "stage", "competitor", "currency", "activity", "product", "price", "quote", "order",
                      "ticket", "kb", "sla", "report", "user", "field", "import", "trash", "config", "db"]
    report = run("report", "--help", check=True).stdout.split("Commands:\n", 1)[1]
    assert [line.split()[0] for line in report.splitlines() if line.startswith("  ")] == [
        "funnel", "forecast", "winloss", "activity", "receivables", "service"]


def test_every_registered_entity_has_a_history_and_counts_in_db_info(cli):
    r = cli("history", "planet", "1")
    assert r.exit_code == 2 and ("one of activity, competitor, contact, customer, kb, lead, opp, order, pipeline, price-rule, product, "
                                 "quote, sla-calendar, sla-policy, stage, ticket, user"
                                 in r.stderr)
    info = cli.json("db", "info")
    assert [k for k in info if k.endswith("_count")] == [
        "user_count", "customer_count", "contact_count", "opp_count", "pipeline_count", "stage_count",
        "competitor_count", "lead_count", "activity_count", "product_count", "price_rule_count", "quote_count",
        "order_count", "sla_calendar_count", "sla_policy_count", "ticket_count", "kb_count"]


def test_demo_data_is_in_the_audit_history(run, cli):
    p = run("demo")
    assert p.returncode == 0, p.stderr
    hist = cli.json("history", "customer", "2")
    assert hist[0]["action"] == "create" and '"name": "华强电子"' in hist[0]["new"]


def test_registry_entries_name_modules_of_the_right_layer():
    from crm_cli import models

    assert list(models.ENTITIES) == [e.name for e in registry.ENTITIES]
    for e in registry.ENTITIES:
        model = models.ENTITIES[e.name]
        assert e.model.startswith("crm_cli.models.") and model.__entity__ == e.name
        assert ("deleted_at" in model.__table__.c) == e.trash
        assert getattr(models, model.__name__) is model
        for spec, layer in ((e.section, "crm_cli.services."), (e.demo, "crm_cli.services."),
                            (e.adapter, "crm_cli.importer."), (e.remind, "crm_cli.services.")):
            if spec:
                module, attr = registry.split(spec)
                assert module.startswith(layer) and callable(getattr(importlib.import_module(module), attr))
    for name, module in registry.command_groups():
        assert importlib.import_module(f"crm_cli.commands.{module}").app is not None, name
    for command in registry.COMMANDS:
        module, func = registry.split(command.function)
        assert callable(getattr(importlib.import_module(f"crm_cli.commands.{module}"), func))
    assert len({name for name, _ in registry.command_groups()} | {c.name for c in registry.COMMANDS}) == 29


def _models_loaded_by(crm_env, *args: str) -> list[str]:
    """The crm_cli.models modules a `crm ARGS` process imports (and its exit code must be 0)."""
    code = ("import sys\nfrom crm_cli.__main__ import main\n"
            f"sys.argv = ['crm', *{list(args)!r}]\n"
            "try:\n    main()\nexcept SystemExit as e:\n    assert not e.code, e.code\n"
            "print('MODELS:' + ','.join(sorted(m.rsplit('.', 1)[1] for m in sys.modules "
            "if m.startswith('crm_cli.models.'))))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=crm_env, timeout=120)
    assert out.returncode == 0, out.stderr
    return out.stdout.splitlines()[-1].removeprefix("MODELS:").split(",")


def test_remind_imports_only_the_models_its_sources_read(cli, crm_env):
    """`crm remind` reads activities, contacts (birthdays), order instalments and tickets: their models,
    and not those their foreign keys point at (leads, opportunities, products): start-up (issue 14)."""
    cli("customer", "add", "Acme", ok=True)
    cli("activity", "add", "Call", "--customer", "Acme", "--due", "yesterday 10:00", ok=True)
    assert _models_loaded_by(crm_env, "remind", "--owner", "me") == [
        "activity", "base", "contact", "customer", "document", "system", "ticket", "user"]
    assert _models_loaded_by(crm_env, "customer", "list", "--limit", "50") == ["base", "contact", "customer", "system", "user"]


def test_a_flush_imports_the_models_its_foreign_keys_point_at(crm_env, run):
    """A process that imported only the activity model still writes activities: the tables of
    leads, opportunities... are registered before the flush (SQLAlchemy sorts a table's foreign keys)."""
    run("customer", "add", "Acme", check=True)
    for args in (("activity", "add", "Call", "--customer", "Acme", "-q"), ("activity", "done", "1"),
                 ("activity", "delete", "1", "--yes"), ("contact", "add", "Ann", "--customer", "Acme", "-q"),
                 ("contact", "delete", "1", "--yes"), ("customer", "delete", "Acme", "--yes")):
        r = run(*args)
        assert r.returncode == 0, (args, r.stderr)


def test_every_table_is_in_the_table_map():
    code = ("from crm_cli import models\nfrom sqlmodel import SQLModel\nmodels.load_all()\n"
            "bad = [n for n, t in SQLModel.metadata.tables.items() if not any(cls.__table__ is t and "
            "cls.__module__ == 'crm_cli.models.' + models.TABLES.get(n, '?') for cls in "
            "[m.class_ for m in SQLModel._sa_registry.mappers])]\n"
            "extra = set(models.TABLES) - set(SQLModel.metadata.tables)\nprint(bad, sorted(extra))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.splitlines()[-1] == "[] []"


def test_each_model_module_flushes_alone():
    """Importing one model module and loading the targets of its tables is enough to sort its flush."""
    from crm_cli.models import TABLES

    code = ("import importlib, sys\nfrom sqlalchemy.orm import class_mapper\nfrom crm_cli import models\n"
            "mod = importlib.import_module('crm_cli.models.' + sys.argv[1])\n"
            "for cls in [v for v in vars(mod).values() if isinstance(v, type) and getattr(v, '__module__', '') "
            "== mod.__name__ and hasattr(v, '__table__')]:\n"
            "    models.load_targets(cls.__table__)\n    class_mapper(cls)._sorted_tables\nprint('ok')")
    for module in sorted(set(TABLES.values())):
        out = subprocess.run([sys.executable, "-c", code, module], capture_output=True, text=True)
        assert out.stdout == "ok\n", (module, out.stderr[-600:])
