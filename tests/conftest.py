"""Test fixtures: every test gets its own migrated database (SQLite file, or a PostgreSQL
database cloned from a template when CRM_TEST_DATABASE_URL is set) and a clean environment.

`cli(...)` runs the Typer app in-process (CliRunner); `run(...)` runs the installed `crm`
entry point in a subprocess with no TTY.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import uuid
from pathlib import Path

import pytest
from typer.testing import CliRunner

PG_URL = os.environ.get("CRM_TEST_DATABASE_URL")
SHARED_DATA = Path(__file__).resolve().parents[2] / "shared" / "data"
CRM_BIN = str(Path(sys.executable).with_name("crm"))
FIXED_NOW = "2026-11-23T09:00:00+08:00"


def _pg_admin():
    from sqlalchemy import create_engine

    return create_engine(PG_URL, isolation_level="AUTOCOMMIT")


def _pg_url_for(dbname: str) -> str:
    from sqlalchemy.engine import make_url

    return make_url(PG_URL).set(database=dbname).render_as_string(hide_password=False)


def pytest_addoption(parser):
    parser.addoption("--run-slow", action="store_true", default=False,
                     help="also run the tests marked slow (or set CRM_SLOW=1); see docs/testing.md")


def slow_enabled(config) -> bool:
    return bool(config.getoption("--run-slow")) or os.environ.get("CRM_SLOW") == "1"


def pytest_collection_modifyitems(config, items):
    """Tests marked @pytest.mark.slow are skipped unless --run-slow or CRM_SLOW=1."""
    if slow_enabled(config):
        return
    skip = pytest.mark.skip(reason="slow: run with --run-slow or CRM_SLOW=1 (docs/testing.md)")
    for item in items:
        if "slow" in item.keywords:
            item.add_marker(skip)


BACKENDS = ["sqlite"] + (["pg"] if PG_URL else [])


@pytest.fixture(scope="session", params=BACKENDS)
def template_db(request, tmp_path_factory):
    """A database migrated to head once per session and backend; each test gets a copy.

    The suite runs on SQLite always, and again on PostgreSQL when CRM_TEST_DATABASE_URL is set.
    """
    from crm_cli.core import db

    os.environ.pop("CRM_NOW", None)
    if request.param == "pg":
        name = f"crm_tmpl_{uuid.uuid4().hex[:10]}"
        admin = _pg_admin()
        with admin.connect() as conn:
            conn.exec_driver_sql(f'CREATE DATABASE "{name}"')
        url = _pg_url_for(name)
        db.get_engine(url)
        db.dispose_all()
        yield ("pg", name)
        with admin.connect() as conn:
            conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.dispose()
    else:
        path = tmp_path_factory.mktemp("template") / "template.db"
        db.get_engine("sqlite:///" + str(path))
        db.dispose_all()
        yield ("sqlite", str(path))


@pytest.fixture
def crm_env(template_db, tmp_path, monkeypatch):
    """A clean environment pointing at a fresh database; yields the env dict for subprocesses."""
    from crm_cli.core import config, context, db

    for key in list(os.environ):
        if key.startswith("CRM_") and key != "CRM_TEST_DATABASE_URL":
            monkeypatch.delenv(key, raising=False)
    monkeypatch.setenv("CRM_CONFIG", str(tmp_path / "config.toml"))
    monkeypatch.setenv("CRM_USER", "tester")
    monkeypatch.setenv("CRM_TIMEZONE", "Asia/Shanghai")
    monkeypatch.setenv("CRM_CURRENCY", "CNY")
    monkeypatch.setenv("NO_COLOR", "1")
    monkeypatch.setenv("COLUMNS", "200")
    kind, where = template_db
    dbname = None
    if kind == "pg":
        dbname = f"crm_t_{uuid.uuid4().hex[:12]}"
        admin = _pg_admin()
        with admin.connect() as conn:
            conn.exec_driver_sql(f'CREATE DATABASE "{dbname}" TEMPLATE "{where}"')
        admin.dispose()
        monkeypatch.setenv("CRM_DATABASE_URL", _pg_url_for(dbname))
    else:
        target = tmp_path / "crm.db"
        shutil.copyfile(where, target)
        os.chmod(target, 0o600)
        monkeypatch.setenv("CRM_DB", str(target))
    config.reset()
    context.reset()
    yield dict(os.environ)
    db.dispose_all()
    config.reset()
    context.reset()
    if dbname:
        admin = _pg_admin()
        with admin.connect() as conn:
            conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{dbname}" WITH (FORCE)')
        admin.dispose()


class Cli:
    def __init__(self, env):
        self.env = env
        self.runner = CliRunner()

    def __call__(self, *args, input: str | None = None, ok: bool | None = None):
        """Run `crm ARGS` in-process. ok=True asserts exit 0; ok=False asserts non-zero."""
        from crm_cli.app import app

        result = self.runner.invoke(app, [str(a) for a in args], input=input, catch_exceptions=False)
        if ok is True:
            assert result.exit_code == 0, f"exit {result.exit_code}\nstdout:{result.stdout}\nstderr:{result.stderr}"
        if ok is False:
            assert result.exit_code != 0, f"unexpected success\nstdout:{result.stdout}"
        return result

    def json(self, *args):
        import json

        result = self(*args, "--format", "json", ok=True)
        return json.loads(result.stdout)

    def id(self, *args) -> int:
        """Run a creating command with -q and return the new id."""
        result = self(*args, "-q", ok=True)
        return int(result.stdout.strip())


@pytest.fixture
def cli(crm_env):
    return Cli(crm_env)


@pytest.fixture
def run(crm_env):
    """Run the installed `crm` entry point in a subprocess (stdin not a TTY, stdout a pipe)."""

    def _run(*args, input: str | None = None, env: dict | None = None, check: bool | None = None):
        full_env = dict(crm_env)
        full_env.update(env or {})
        proc = subprocess.run([CRM_BIN, *[str(a) for a in args]], input=input, capture_output=True, text=True,
                              env=full_env, timeout=120)
        if check is True:
            assert proc.returncode == 0, f"exit {proc.returncode}\nstderr:{proc.stderr}"
        return proc

    return _run


@pytest.fixture
def shared_data():
    if not SHARED_DATA.exists():
        pytest.skip("../shared/data is not present")
    return SHARED_DATA
