def _setup(cli):
    cli("customer", "add", "华强电子", ok=True)
    cli("customer", "add", "Acme", ok=True)
    ceo = cli.id("contact", "add", "周总", "--customer", "华强电子", "--title", "总经理", "--role", "decision-maker",
                 "--mobile", "13800138000", "--birthday", "1975-03-14")
    cto = cli.id("contact", "add", "陈工", "--customer", "1", "--title", "技术总监", "--role", "technical",
                 "--reports-to", str(ceo))
    buyer = cli.id("contact", "add", "林小姐", "--customer", "1", "--role", "user", "--reports-to", str(cto))
    return ceo, cto, buyer


def test_contact_add_show_list(cli):
    ceo, cto, buyer = _setup(cli)
    shown = cli.json("contact", "show", str(ceo))
    assert shown["customer"] == "华强电子" and shown["birthday"] == "1975-03-14" and shown["decision_role"] == "decision-maker"
    assert set(shown) >= {"id", "customer_id", "customer", "name", "title", "phone", "mobile", "email", "birthday",
                          "reports_to_id", "decision_role", "notes", "custom", "created_at", "updated_at"}
    assert [c["name"] for c in cli.json("contact", "list", "--customer", "华强电子")] == ["周总", "林小姐", "陈工"]
    assert [c["name"] for c in cli.json("contact", "list", "--search", "138 0013 8000")] == ["周总"]
    assert [c["name"] for c in cli.json("customer", "show", "1")["contacts"]] == ["周总", "林小姐", "陈工"]


def test_contact_tree(cli, run):
    _setup(cli)
    p = run("contact", "tree", "华强电子", check=True)
    assert p.stdout == "1\t周总\t总经理\tdecision-maker\n2\t  陈工\t技术总监\ttechnical\n3\t    林小姐\t\tuser\n"
    tree = cli.json("contact", "tree", "1")
    assert tree[0]["name"] == "周总" and tree[0]["reports"][0]["reports"][0]["name"] == "林小姐"


def test_reports_to_cycle_and_other_customer_refused(cli):
    ceo, cto, buyer = _setup(cli)
    r = cli("contact", "edit", str(ceo), "--reports-to", str(buyer))
    assert r.exit_code == 2 and "cycle" in r.stderr and r.stderr.count("\n") == 1
    other = cli.id("contact", "add", "Jane", "--customer", "Acme")
    r = cli("contact", "edit", str(other), "--reports-to", str(ceo))
    assert r.exit_code == 2 and "same customer" in r.stderr
    assert cli.json("contact", "show", str(ceo))["reports_to_id"] is None


def test_contact_bad_input(cli):
    cli("customer", "add", "Acme", ok=True)
    r = cli("contact", "add", "Jane", "--customer", "Acme", "--email", "not-an-email")
    assert r.exit_code == 2 and "not an email address" in r.stderr
    r = cli("contact", "add", "Jane", "--customer", "Acme", "--birthday", "someday")
    assert r.exit_code == 2 and "--birthday" in r.stderr
    r = cli("contact", "add", "Jane", "--customer", "Nope")
    assert r.exit_code == 3
    r = cli("contact", "add", "Jane", "--customer", "Acme", "--role", "boss")
    assert r.exit_code == 2 and "--role" in r.stderr
    assert cli.json("contact", "list") == []


def test_contact_edit_history_and_customer_delete_takes_contacts(cli):
    _setup(cli)
    cli("contact", "edit", "周总", "--title", "董事长", ok=True)
    hist = cli.json("history", "contact", "1")
    assert [(h["action"], h["field"], h["old"], h["new"]) for h in hist][1:] == [("update", "title", "总经理", "董事长")]
    cli("customer", "delete", "华强电子", "--yes", ok=True)
    assert cli.json("contact", "list") == []
    r = cli("trash", "restore", "contact", "1")
    assert r.exit_code == 4 and "crm customer restore 1" in r.stderr
    cli("customer", "restore", "1", ok=True)
    assert len(cli.json("contact", "list")) == 3


def test_contact_show_names_customer_and_manager(cli):
    cli("customer", "add", "Acme", ok=True)
    boss = cli.id("contact", "add", "Ann", "--customer", "Acme")
    jo = cli.id("contact", "add", "Jo", "--customer", "Acme", "--reports-to", str(boss))
    shown = cli.json("contact", "show", str(jo))
    assert (shown["customer"], shown["reports_to_id"], shown["reports_to"]) == ("Acme", boss, "Ann")
    assert "reports_to" not in cli.json("contact", "show", str(boss))
    cli("contact", "delete", "Jo", "--yes", ok=True)
    assert [c["name"] for c in cli.json("contact", "list")] == ["Ann"]
    assert [(t["entity"], t["label"]) for t in cli.json("trash", "list")] == [("contact", "Jo")]
