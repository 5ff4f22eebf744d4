"""Database layer: choice of database, SQLite settings, migrations, db commands."""

import json
import os
import sqlite3
import stat

import pytest

from crm_cli.core import db


def test_db_path_precedence(cli, tmp_path, monkeypatch):
    expected = os.environ.get("CRM_DB") or db.describe(os.environ["CRM_DATABASE_URL"])
    assert cli("db", "path", ok=True).stdout.strip() == expected
    other = tmp_path / "other.db"
    out = cli("--db", str(other), "db", "path", ok=True).stdout.strip()
    assert out == str(other)


def test_new_sqlite_file_mode_0600_and_pragmas(cli, tmp_path):
    path = tmp_path / "new.db"
    cli("--db", str(path), "customer", "add", "Acme", ok=True)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    engine = db.get_engine("sqlite:///" + str(path))
    with engine.connect() as conn:
        assert conn.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
        assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        assert conn.exec_driver_sql("PRAGMA busy_timeout").scalar() == 30000
    db.dispose_all()


def test_db_status_info_upgrade(cli):
    st = cli.json("db", "status")
    assert st["revision"] == st["head"] == db.head_revision() and st["up_to_date"] is True
    cli("customer", "add", "Acme", ok=True)
    info = cli.json("db", "info")
    assert info["customer_count"] == 1 and info["backend"] in ("sqlite", "postgresql")
    assert info["size_bytes"] > 0
    r = cli("db", "upgrade", ok=True)
    assert "already at" in r.stderr


def test_upgrade_from_first_revision_keeps_data(tmp_path, monkeypatch):
    """A database at the first revision, with data in it, upgrades to head with nothing lost."""
    from sqlalchemy import text

    from crm_cli.core import context

    path = tmp_path / "old.db"
    engine = db.get_engine("sqlite:///" + str(path), migrate=False)
    db.upgrade(engine, "0001_foundation")
    with engine.begin() as conn:
        conn.execute(text("INSERT INTO users (id, handle, name, role, active, created_at, updated_at) "
                          "VALUES (1, 'alice', 'Alice', 'rep', 1, '2026-01-01 00:00:00', '2026-01-01 00:00:00')"))
        conn.execute(text("INSERT INTO customers (id, name, status, owner_id, custom, created_at, updated_at, name_key) "
                          "VALUES (1, '华强电子', 'active', 1, '{\"employees\": 50}', '2026-01-01 00:00:00', "
                          "'2026-01-01 00:00:00', '华强电子')"))
        conn.execute(text("INSERT INTO contacts (id, customer_id, name, custom, created_at, updated_at) "
                          "VALUES (1, 1, '周总', '{}', '2026-01-01 00:00:00', '2026-01-01 00:00:00')"))
        conn.execute(text("INSERT INTO customer_tags (customer_id, tag) VALUES (1, 'vip')"))
    assert db.current_revision(engine) == "0001_foundation"
    db.dispose_all()
    monkeypatch.setenv("CRM_DB", str(path))
    monkeypatch.delenv("CRM_DATABASE_URL", raising=False)
    context.reset()
    engine = db.get_engine()  # first use upgrades
    assert db.current_revision(engine) == db.head_revision()
    with engine.connect() as conn:
        assert conn.execute(text("SELECT name, status, owner_id, custom FROM customers")).one() == \
            ("华强电子", "active", 1, '{"employees": 50}')
        assert conn.execute(text("SELECT name FROM contacts WHERE customer_id = 1")).scalar() == "周总"
        assert conn.execute(text("SELECT tag FROM customer_tags")).scalar() == "vip"
        assert conn.execute(text("SELECT handle FROM users")).scalar() == "alice"
    db.dispose_all()


def test_migrations_match_models(crm_env):
    """The schema at head is exactly what the models describe (no drift between them)."""
    from alembic.autogenerate import compare_metadata
    from alembic.runtime.migration import MigrationContext
    from sqlmodel import SQLModel

    import crm_cli.models
    from crm_cli.core import search

    crm_cli.models.load_all()

    engine = db.get_engine()
    with engine.connect() as conn:
        def include(obj, name, type_, reflected, compare_to):
            # partial indexes are declared in migrations only (see crm_cli/models/__init__.py)
            if type_ == "table" and search.is_index_table(name):
                return False  # the substring index: FTS5 / tsvector tables, not models (core/search.py)
            return not (type_ == "index" and name and name.endswith(crm_cli.models.PARTIAL_INDEX_SUFFIXES))

        diff = compare_metadata(MigrationContext.configure(conn, opts={"compare_type": True,
                                                                       "include_object": include}),
                                SQLModel.metadata)
    db.dispose_all()
    assert diff == []
    with engine.connect() as conn:
        from sqlalchemy import inspect

        names = {ix["name"] for ix in inspect(conn).get_indexes("customers")}
        lead_indexes = {ix["name"] for ix in inspect(conn).get_indexes("leads")}
    db.dispose_all()
    assert "ix_customers_trashed" in names and "ix_customers_deleted_at" not in names
    assert {"ix_leads_converted_customer_linked", "ix_leads_converted_contact_linked",
            "ix_leads_converted_opportunity_linked", "ix_leads_owner_status"} <= lead_indexes
    assert "ix_leads_owner_id" not in lead_indexes and "ix_leads_converted_customer_id" not in lead_indexes
    assert "ix_leads_external_id_present" in lead_indexes and "ix_leads_external_id" not in lead_indexes
    assert {"ix_leads_campaign_present", "ix_leads_region_present", "ix_leads_industry_present"} <= lead_indexes


def test_newer_database_is_refused(cli, crm_env):
    from sqlalchemy import text

    engine = db.get_engine()
    with engine.begin() as conn:
        conn.execute(text("UPDATE alembic_version SET version_num = '9999_future'"))
    db.dispose_all()
    r = cli("customer", "list")
    assert r.exit_code == 1 and "newer than this crm knows" in r.stderr


def test_bad_database_url_is_one_line(cli, monkeypatch):
    monkeypatch.delenv("CRM_DB", raising=False)
    monkeypatch.setenv("CRM_DATABASE_URL", "postgresql+psycopg://nobody@127.0.0.1:1/none")
    r = cli("customer", "list")
    assert r.exit_code == 1 and r.stderr.startswith("crm: error: database:") and r.stderr.count("\n") == 1


def test_db_info_counts_live_rows_only_and_status_plain(cli):
    cli("customer", "add", "Acme", ok=True)
    cli("customer", "add", "Beta", ok=True)
    cli("contact", "add", "Jane", "--customer", "Acme", ok=True)
    cli("customer", "delete", "Beta", "--yes", ok=True)
    info = cli.json("db", "info")
    assert (info["customer_count"], info["contact_count"], info["lead_count"]) == (1, 1, 0)
    assert info["revision"] == info["head"] == db.head_revision()
    r = cli("db", "status", "--format", "plain", ok=True)
    lines = r.stdout.splitlines()
    assert lines[1:] == [f"revision\t{db.head_revision()}", f"head\t{db.head_revision()}", "up_to_date\ttrue"]
    assert lines[0].startswith("database\t")
