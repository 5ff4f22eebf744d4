"""Every file in ../shared/data with lead/contact/account-like rows imports, or fails with one clear line."""

import json

import pytest

TABLES = None


def _tables(shared_data):
    return sorted(p for p in shared_data.rglob("*") if p.suffix in (".csv", ".tsv")
                  and "date_parsing" not in p.parts)


def test_every_table_imports_or_fails_cleanly(cli, shared_data):
    files = _tables(shared_data)
    assert len(files) > 60
    outcomes = {}
    for f in files:
        for entity in ("lead", "customer", "contact"):
            r = cli(entity, "import", str(f), "--allow-rejects", "--dry-run")
            assert r.exit_code in (0, 2), (f, entity, r.exit_code, r.stderr)
            assert "Traceback" not in r.stderr and "internal error" not in r.stderr, (f, r.stderr)
            if r.exit_code:
                assert r.stderr.startswith("crm: error: ") and r.stderr.count("\n") == 1, (f, r.stderr)
            outcomes[(f.name, entity)] = r.exit_code
    assert outcomes[("accountData.csv", "customer")] == 0
    assert outcomes[("crm_lead_import_template_DERIVED.csv", "lead")] == 0
    assert cli.json("lead", "list") == [] and cli.json("customer", "list") == []


def test_salesforce_accounts_cp1252(cli, shared_data):
    f = shared_data / "crm_templates/salesforce_dataloader/samples/accountData.csv"
    out = json.loads(cli("customer", "import", str(f), "--json", ok=True).stdout)
    assert out["encoding"] == "cp1252" and out["read"] == 423
    assert out["created"] + out["skipped"] == 423 and out["rejected"] == 0
    names = {c["name"] for c in cli.json("customer", "list", "--limit", "1000")}
    assert "Gravity Investments" in names
    assert any("\u00e9" in n or "\u00fc" in n or "\u00f6" in n for n in names)  # cp1252 letters decoded


def test_odoo_lead_template(cli, shared_data):
    f = shared_data / "odoo17_crm/crm_lead_import_template_DERIVED.csv"
    out = json.loads(cli("lead", "import", str(f), "--json", ok=True).stdout)
    assert out["rejected"] == 0 and out["created"] >= 3
    lead = cli.json("lead", "list", "--search", "Henry")[0]
    assert (lead["company"], lead["email"], lead["title"], lead["external_id"]) == (
        "E-light Industry", "henry@elight.com", "CEO", "crm_lead_1")
    again = json.loads(cli("lead", "import", str(f), "--json", ok=True).stdout)
    assert again["created"] == 0 and again["updated"] == 0


def test_orocrm_demo_leads_bom(cli, shared_data):
    f = shared_data / "crm_templates/orocrm/src/Oro/Bundle/DemoDataBundle/Migrations/Data/Demo/ORM/dictionaries/leads.csv"
    out = json.loads(cli("lead", "import", str(f), "--json", ok=True).stdout)
    assert out["created"] == 100
    first = cli.json("lead", "show", "1")
    assert first["name"] == "Ramona C Venters" and first["company"] == "Sure Save"
    assert first["email"] == "ramonacventers@gustr.com"


def test_gbk_chinese_file(cli, shared_data):
    f = shared_data / "csv_edge_cases/chinese/fisherx_qx_gbk.csv"
    out = json.loads(cli("customer", "import", str(f), "--json", ok=True).stdout)
    assert out["encoding"] == "gb18030" and out["created"] == 20
    assert "中国宝安" in {c["name"] for c in cli.json("customer", "list")}


@pytest.mark.parametrize("name,encoding", [("csvtext_BOM_UTF8.csv", "utf-8-sig"),
                                           ("csvtext_BOM_UTF16LE.csv", "utf-16"),
                                           ("csvtext_BOM_UTF16BE.csv", "utf-16")])
def test_salesforce_bom_files(cli, shared_data, name, encoding):
    f = shared_data / "crm_templates/salesforce_dataloader/testfiles" / name
    out = json.loads(cli("customer", "import", str(f), "--map", "column1=name", "--json", ok=True).stdout)
    assert out["encoding"] == encoding and out["created"] == 2 and out["rejected"] == 0
    assert sorted(c["name"] for c in cli.json("customer", "list")) == ["row1-1", "row2-1"]


@pytest.mark.parametrize("name", ["csvtext_BOM_UTF32LE.csv", "csvtext_BOM_UTF32BE.csv"])
def test_salesforce_broken_utf32_files_are_refused(cli, shared_data, name):
    # these test files carry a UTF-16 BOM (FE FF / FF FE) in front of UTF-32 text: not decodable as either
    f = shared_data / "crm_templates/salesforce_dataloader/testfiles" / name
    r = cli("customer", "import", str(f), "--map", "column1=name")
    assert r.exit_code == 2 and r.stderr.count("\n") == 1 and "does not look like CSV text" in r.stderr
    assert cli.json("customer", "list") == []


def test_header_only_and_csvkit_null_byte(cli, shared_data):
    r = cli("lead", "import", str(shared_data / "crm_templates/hubspot/hubspot_deals_export_HEADER_ONLY.csv"))
    assert r.exit_code == 2 and r.stderr.count("\n") == 1
    r = cli("lead", "import", str(shared_data / "csv_edge_cases/csvkit_examples/null_byte.csv"))
    assert r.exit_code == 2 and "NUL" in r.stderr
