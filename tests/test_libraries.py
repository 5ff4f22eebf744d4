"""Bugs fixed by phonenumbers (phone keys, one phone rule), tomli-w (the config file) and babel
(ISO 4217 currencies): each test fails on the hand-written code they replaced."""

import os
import stat

import pytest


def phone_keys(table: str) -> list:
    from sqlalchemy import text

    from crm_cli.core import db

    with db.session_scope() as s:
        return [r[0] for r in s.execute(text(f"SELECT phone_key FROM {table} ORDER BY id"))]


# ---- phone keys: phonenumbers for the countries the hand-written rule got wrong -------------------

@pytest.mark.parametrize("region,international,national", [
    ("GB", "+44 20 7946 0958", "020 7946 0958"),
    ("DE", "+49 30 1234 5678", "030 1234 5678"),
    ("FR", "+33 1 23 45 67 89", "01 23 45 67 89"),
])
def test_national_and_international_forms_are_one_number_in_the_configured_region(
        cli, region, international, national):
    cli("config", "set", "region", region.lower(), ok=True)
    cli("customer", "add", "First", "--phone", international, ok=True)
    r = cli("customer", "add", "Second", "--phone", national)
    assert r.exit_code == 4 and "customer 1 'First' already has this phone" in r.stderr
    for search in (national, national[:8], international):  # the whole number, or its start
        assert [c["name"] for c in cli.json("customer", "list", "--search", search)] == ["First"]


def test_region_comes_from_the_environment_too(cli, monkeypatch):
    monkeypatch.setenv("CRM_REGION", "GB")
    cli("customer", "add", "London", "--phone", "020 7946 0958", ok=True)
    r = cli("customer", "add", "Again", "--phone", "+44 (0)20 7946 0958")
    assert r.exit_code == 4 and "already has this phone" in r.stderr
    monkeypatch.setenv("CRM_REGION", "Narnia")
    r = cli("customer", "add", "Paris", "--phone", "01 23 45 67 89")
    assert r.exit_code == 2 and r.stderr.startswith("crm: error: env CRM_REGION: unknown region 'Narnia'")


def test_unknown_region_is_refused(cli):
    r = cli("config", "set", "region", "ZZ")
    assert r.exit_code == 2 and "unknown region 'ZZ'" in r.stderr


@pytest.mark.parametrize("first,second", [
    ("+86 138-0013-8000", "13800138000"),
    ("0755-2345 6789", "+86 755 2345 6789"),
    ("１３８００１３８０００", "0086 138 0013 8000"),
    ("010-6552 1234 转 801", "+86 10 6552 1234"),
    ("(+86) 139 0013 9000 ext. 12", "139-0013-9000"),
])
def test_chinese_forms_still_match(cli, first, second):
    cli("customer", "add", "First", "--phone", first, ok=True)
    r = cli("customer", "add", "Second", "--phone", second)
    assert r.exit_code == 4 and "already has this phone" in r.stderr


def test_stored_keys_of_chinese_numbers_do_not_change_and_phone_search_works(cli):
    for name, phone in (("A", "+86 138-0013-8000"), ("B", "0755-2345 6789"), ("C", "+1 415 555 0100"),
                        ("D", "+44 20 7946 0958")):
        cli("customer", "add", name, "--phone", phone, ok=True)
    # the keys the hand-written rule stored: national numbers for +86 and +1, country code first otherwise
    assert phone_keys("customers") == ["13800138000", "75523456789", "4155550100", "442079460958"]
    assert [c["name"] for c in cli.json("customer", "list", "--search", "138 0013")] == ["A"]
    assert [c["name"] for c in cli.json("customer", "list", "--search", "0755-2345")] == ["B"]
    assert [c["name"] for c in cli.json("customer", "list", "--search", "+44 20 7946")] == ["D"]


def test_contact_and_lead_keys_use_the_region(cli):
    cli("config", "set", "region", "GB", ok=True)
    cli("customer", "add", "Acme", ok=True)
    cli("contact", "add", "Ann", "--customer", "Acme", "--mobile", "07700 900123", ok=True)
    assert phone_keys("contacts") == ["447700900123"]
    assert [c["name"] for c in cli.json("contact", "list", "--search", "07700 900")] == ["Ann"]
    assert [c["name"] for c in cli.json("contact", "list", "--search", "900123")] == ["Ann"]
    r = cli("lead", "add", "Ann B", "--company", "Other", "--mobile", "+44 7700 900123")
    assert r.exit_code == 4 and "contact" in r.stderr


# ---- one phone rule for every phone field -------------------------------------------------------

def test_customer_contact_and_lead_refuse_what_is_not_a_phone_number(cli):
    r = cli("customer", "add", "P", "--phone", "not a phone at all")
    assert (r.exit_code, r.stderr) == (2, "crm: error: --phone 'not a phone at all' is not a phone number\n")
    cli("customer", "add", "Acme", ok=True)
    r = cli("contact", "add", "X", "--customer", "Acme", "--mobile", "call me maybe")
    assert (r.exit_code, r.stderr) == (2, "crm: error: --mobile 'call me maybe' is not a phone number\n")
    r = cli("contact", "add", "X", "--customer", "Acme", "--phone", "call 13800138000")
    assert r.exit_code == 2 and "--phone 'call 13800138000' is not a phone number" in r.stderr
    r = cli("lead", "add", "L", "--company", "C", "--phone", "call me maybe")
    assert (r.exit_code, r.stderr) == (2, "crm: error: --phone 'call me maybe' is not a phone number\n")
    r = cli("customer", "edit", "Acme", "--phone", "+999 1234 5678")  # no such country code
    assert r.exit_code == 2 and "is not a phone number" in r.stderr
    assert [c["name"] for c in cli.json("customer", "list")] == ["Acme"]
    assert cli.json("contact", "list") == [] and cli.json("lead", "list") == []


def test_good_numbers_pass_the_rule(cli):
    cli("customer", "add", "Acme", ok=True)
    for i, number in enumerate(["13800138000", "+86 755 2345 6789", "010-6552 1234 转 801", "138.0013.8001",
                                "tel:+44 20 7946 0958", "95588", "+1 650 356 451"]):
        cli("contact", "add", f"C{i}", "--customer", "Acme", "--phone", number, ok=True)
    assert len(cli.json("contact", "list")) == 7


def test_imports_use_the_same_rule(cli, tmp_path):
    cli("customer", "add", "Acme", ok=True)
    f = tmp_path / "contacts.csv"
    f.write_text("name,company,mobile\nGood,Acme,13800138000\nBad,Acme,call me maybe\n", encoding="utf-8")
    r = cli("contact", "import", str(f), "--allow-rejects")
    assert r.exit_code == 0 and "mobile 'call me maybe' is not a phone number" in r.stderr
    assert [c["name"] for c in cli.json("contact", "list")] == ["Good"]
    f = tmp_path / "customers.csv"
    f.write_text("name,phone\nOne,010-6552 1234\nTwo,n/a\n", encoding="utf-8")
    r = cli("customer", "import", str(f), "--allow-rejects")
    assert r.exit_code == 0 and "phone 'n/a' is not a phone number" in r.stderr
    f = tmp_path / "leads.csv"
    f.write_text("name,company,phone\nL1,C1,+86 138 0013 8002\nL2,C2,call me\n", encoding="utf-8")
    r = cli("lead", "import", str(f), "--allow-rejects")
    assert r.exit_code == 0 and "phone 'call me' is not a phone number" in r.stderr
    assert [x["name"] for x in cli.json("lead", "list")] == ["L1"]


# ---- the config file: tomli-w, validation on set and on read, secrets ---------------------------

def config_file() -> str:
    return os.environ["CRM_CONFIG"]


def test_newlines_and_control_characters_are_refused_and_the_file_stays_valid(cli):
    r = cli("config", "set", "default_pipeline", "a\nb")
    assert r.exit_code == 2 and r.stderr.count("\n") == 1 and "newlines or control characters" in r.stderr
    r = cli("config", "set", "user", "bob\x1b[31m")
    assert r.exit_code == 2
    cli("config", "set", "default_pipeline", 'Sales "EU" \\ 2', ok=True)
    assert cli("config", "get", "default_pipeline", ok=True).stdout == 'Sales "EU" \\ 2\n'
    cli("customer", "list", ok=True)


@pytest.mark.parametrize("key,value,message", [
    ("lead_sources", "", "config lead_sources: needs at least one value"),
    ("lead_sources", " , ", "config lead_sources: needs at least one value"),
    ("committed_probability", "500", "config committed_probability: must be between 0 and 100, not 500"),
    ("committed_probability", "-1", "config committed_probability: must be between 0 and 100, not -1"),
    ("committed_probability", "abc", "config committed_probability: must be a whole number, not 'abc'"),
    ("currency", "XYZ", "config currency: 'XYZ' is not an ISO 4217 currency code"),
    ("default_pipeline", "  ", "config default_pipeline: must not be empty"),
])
def test_bad_values_are_refused_on_set(cli, key, value, message):
    r = cli("config", "set", "--", key, value)
    assert r.exit_code == 2 and r.stderr.startswith(f"crm: error: {message}")
    assert not os.path.exists(config_file())
    cli("lead", "add", "Still works", "--company", "C", "--source", "web", ok=True)


def test_a_wrong_value_in_the_file_names_the_file_and_key(cli):
    with open(config_file(), "w", encoding="utf-8") as fh:
        fh.write('committed_probability = "abc"\n')
    for args in (["report", "forecast"], ["customer", "list"]):
        r = cli(*args)
        assert r.exit_code == 2 and r.stderr == (
            f"crm: error: config file {config_file()}: committed_probability: must be a whole number, not 'abc' "
            "(fix it with 'crm config set committed_probability VALUE' or 'crm config unset committed_probability')\n")
    cli("config", "unset", "committed_probability", ok=True)
    cli("report", "forecast", ok=True)


def test_a_broken_file_is_an_error_for_every_command(cli):
    with open(config_file(), "w", encoding="utf-8") as fh:
        fh.write('lead_sources = "web\n')
    r = cli("customer", "list")
    assert r.exit_code == 2 and r.stderr.startswith(f"crm: error: config file {config_file()} is not valid TOML")
    with open(config_file(), "w", encoding="utf-8") as fh:
        fh.write("lead_sources = []\n")
    r = cli("lead", "add", "X", "--company", "C")
    assert r.exit_code == 2 and "lead_sources: needs at least one value" in r.stderr


def test_database_password_is_masked_and_the_file_is_private(cli, monkeypatch):
    monkeypatch.delenv("CRM_DATABASE_URL", raising=False)  # the PostgreSQL run's URL would win over the file
    with open(config_file(), "w", encoding="utf-8") as fh:
        fh.write('user = "tester"\n')
    os.chmod(config_file(), 0o644)
    url = "postgresql+psycopg://crm:S3cret@db.example/crm"
    r = cli("config", "set", "database_url", url, ok=True)
    assert "S3cret" not in r.stdout + r.stderr
    assert "database_url = postgresql+psycopg://crm:***@db.example/crm" in r.stderr
    assert stat.S_IMODE(os.stat(config_file()).st_mode) == 0o600
    assert cli("config", "get", "database_url", ok=True).stdout == "postgresql+psycopg://crm:***@db.example/crm\n"
    listed = {row["key"]: row["value"] for row in cli.json("config", "list")}
    assert listed["database_url"] == "postgresql+psycopg://crm:***@db.example/crm"
    with open(config_file(), encoding="utf-8") as fh:
        assert f'database_url = "{url}"' in fh.read()  # the file keeps it: crm connects with it
    cli("config", "set", "currency", "eur", ok=True)
    assert stat.S_IMODE(os.stat(config_file()).st_mode) == 0o600


# ---- money: babel's ISO 4217 codes and digits; the default currency comes from config -----------

def test_unknown_currency_codes_are_refused(cli):
    cli("customer", "add", "Acme", ok=True)
    r = cli("config", "set", "currency", "XYZ")
    assert r.exit_code == 2 and r.stderr.count("\n") == 1
    r = cli("currency", "rate", "NaN", "7")
    assert (r.exit_code, r.stderr) == (2, "crm: error: 'NaN' is not an ISO 4217 currency code (e.g. CNY, USD, EUR)\n")
    r = cli("opp", "add", "Deal", "--customer", "Acme", "--amount", "5 BTC")
    assert (r.exit_code, r.stderr) == (2, "crm: error: 'BTC' is not an ISO 4217 currency code (e.g. CNY, USD, EUR)\n")
    assert cli.json("opp", "list") == []


def test_a_bad_currency_in_the_environment_is_a_one_line_error(cli, monkeypatch):
    cli("customer", "add", "Acme", ok=True)
    monkeypatch.setenv("CRM_CURRENCY", "XYZ")
    r = cli("opp", "add", "Deal", "--customer", "Acme", "--amount", "5")
    assert r.exit_code == 2 and r.stderr.startswith("crm: error: env CRM_CURRENCY: 'XYZ' is not an ISO 4217")


def test_thousands_separators_only_in_groups_of_three(cli):
    cli("customer", "add", "Acme", ok=True)
    for bad in ("1,2,3", "12,34", "1,2345.00", "1234,567"):
        r = cli("opp", "add", "Deal", "--customer", "Acme", "--amount", bad)
        assert r.exit_code == 2 and f"cannot read '{bad}' as an amount" in r.stderr
    cli("opp", "add", "Deal", "--customer", "Acme", "--amount", "1,234,567.89", ok=True)
    assert cli.json("opp", "show", "1")["amount"] == "1234567.89"


@pytest.mark.parametrize("amount,shown", [
    ("XOF 5000", "5000"),        # CFA franc: no minor unit (was read as 5000.00)
    ("CLF 1.2345", "1.2345"),    # Chilean unit of account: 4 digits (was refused: 'more than 2 decimal places')
    ("LYD 1.005", "1.005"),      # Libyan dinar: 3 digits
    ("HUF 12.50", "12.50"),      # ISO 4217 says 2 digits, where CLDR shows 0
])
def test_minor_units_come_from_iso_4217(cli, amount, shown):
    cli("customer", "add", "Acme", ok=True)
    cli("opp", "add", "Deal", "--customer", "Acme", "--amount", amount, ok=True)
    assert cli.json("opp", "show", "1")["amount"] == shown


def test_stored_amounts_of_currencies_with_other_digits_are_rescaled_by_the_migration(cli):
    """5000 XOF was stored as 500000 (two digits assumed), 1.005 LYD could not be stored, 1.25 LYD was 125."""
    from alembic import command
    from sqlalchemy import text

    from crm_cli.core import db

    cli("customer", "add", "Acme", "--credit-limit", "XOF 7,000", ok=True)
    for amount in ("XOF 5000", "LYD 1.25", "KWD 1.234", "CNY 12.50", "XOF 1"):
        cli("opp", "add", "Deal", "--customer", "Acme", "--amount", amount, ok=True)
    engine = db.get_engine()
    command.downgrade(db.alembic_config(engine), "0006_lean_import_indexes")  # as the old code stored them
    with engine.connect() as conn:
        assert [r[0] for r in conn.execute(text("SELECT amount FROM opportunities ORDER BY id"))] == [
            500000, 125, 1234, 1250, 100]
        assert conn.execute(text("SELECT credit_limit FROM customers")).scalar() == 700000
    db.dispose_all()
    assert [o["amount"] for o in cli.json("opp", "list", "--sort", "id")] == [
        "5000", "1.250", "1.234", "12.50", "1"]
    assert cli.json("customer", "show", "Acme")["credit_limit"] == "7000"


def test_an_empty_phone_still_clears_the_number(cli):
    cli("customer", "add", "Acme", "--phone", "13800138000", ok=True)
    cli("customer", "edit", "Acme", "--phone", "", ok=True)
    assert cli.json("customer", "show", "Acme")["phone"] == ""
    cli("customer", "add", "Other", "--phone", "138 0013 8000", ok=True)  # no longer a duplicate
