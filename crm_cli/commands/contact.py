"""crm contact: people at customers, and the org chart."""

from __future__ import annotations

from typing import Annotated, Optional

import typer

from crm_cli.core.options import FormatOpt, JsonOpt, QuietOpt, SetOpt, WhereOpt, YesOpt, LimitOpt, OffsetOpt, SearchOpt
from crm_cli.core.output import Col

app = typer.Typer(help="Contacts: people at customers, reporting lines, decision roles.", no_args_is_help=True)
Ref = Annotated[str, typer.Argument(help="Contact id or unambiguous name.")]


@app.command("add")
def add(
    name: Annotated[Optional[str], typer.Argument(help="Contact name.", show_default=False)] = None,
    customer: Annotated[Optional[str], typer.Option("--customer", "-c", help="Customer id or name.")] = None,
    title: Optional[str] = None, phone: Optional[str] = None, mobile: Optional[str] = None,
    email: Optional[str] = None,
    birthday: Annotated[Optional[str], typer.Option(help="e.g. 1985-03-14")] = None,
    reports_to: Annotated[Optional[str], typer.Option(help="Contact (same customer) they report to.")] = None,
    role: Annotated[Optional[str], typer.Option(help="decision-maker|user|technical|coach|other")] = None,
    notes: Optional[str] = None, set_: SetOpt = None, quiet: QuietOpt = False,
) -> None:
    """Add a contact to a customer."""
    from crm_cli.core import db, prompts
    from crm_cli.core.dates import parse_date
    from crm_cli.core.output import created
    from crm_cli.services import contacts, customers, customfields, resolve
    from crm_cli.core import validation

    name = prompts.require(name, "NAME", "Contact name")
    customer = prompts.require(customer, "--customer", "Customer")
    bday = parse_date(birthday, option="--birthday") if birthday else None
    data = validation.validate(contacts.ContactIn, name=name, title=title, phone=phone, mobile=mobile,
                              email=email, birthday=bday, decision_role=role, notes=notes)
    with db.session_scope() as s:
        cust = resolve.get(s, customers.Customer, customer)
        boss = resolve.get(s, contacts.Contact, reports_to) if reports_to else None
        c = contacts.add(s, cust, data, boss, customfields.parse_sets(s, "contact", set_))
        created("contact", c.id, f"{c.name} at {cust.name}", quiet)


@app.command("list")
def list_(customer: Annotated[Optional[str], typer.Option("--customer", "-c")] = None,
          search: SearchOpt = None,
          role: Optional[str] = None,
          where: WhereOpt = None,
          limit: LimitOpt = None,
          offset: OffsetOpt = 0,
          fmt: FormatOpt = None, as_json: JsonOpt = False) -> None:
    """List contacts."""
    from crm_cli.core import db
    from crm_cli.core.output import emit, shown_fields
    from crm_cli.services import contacts, customers, resolve

    with db.session_scope() as s:
        cid = resolve.get(s, customers.Customer, customer).id if customer else None
        rows, csv_keys = contacts.stream_contacts(s, fields=shown_fields(fmt, as_json, contacts.COLUMNS),
                                                  customer_id=cid, search=search, role=role, where=where,
                                                  limit=limit, offset=offset)
        emit(rows, contacts.COLUMNS, fmt, as_json, csv_keys=csv_keys)


@app.command("show")
def show(ref: Ref, fmt: FormatOpt = None, as_json: JsonOpt = False) -> None:
    """Show a contact."""
    from crm_cli.core import db
    from crm_cli.core.output import emit_record
    from crm_cli.services import contacts, resolve

    with db.session_scope() as s:
        c = resolve.get(s, contacts.Contact, ref)
        emit_record(contacts.show_record(s, c), fmt, as_json)


@app.command("edit")
def edit(ref: Ref, name: Annotated[Optional[str], typer.Option("--name")] = None,
         title: Optional[str] = None, phone: Optional[str] = None, mobile: Optional[str] = None,
         email: Optional[str] = None, birthday: Optional[str] = None,
         reports_to: Annotated[Optional[str], typer.Option(help="Contact id; 'none' to clear.")] = None,
         role: Optional[str] = None, notes: Optional[str] = None, set_: SetOpt = None) -> None:
    """Change a contact."""
    from crm_cli.core import db
    from crm_cli.core.dates import parse_date
    from crm_cli.core.output import info
    from crm_cli.services import contacts, customfields, resolve
    from crm_cli.core import validation

    bday = parse_date(birthday, option="--birthday") if birthday else None
    data = validation.validate(contacts.ContactIn, name=name, title=title, phone=phone, mobile=mobile,
                              email=email, birthday=bday, decision_role=role, notes=notes)
    with db.session_scope() as s:
        c = resolve.get(s, contacts.Contact, ref)
        boss = False if reports_to is None else (None if reports_to.lower() == "none"
                                                  else resolve.get(s, contacts.Contact, reports_to))
        custom = customfields.parse_sets(s, "contact", set_, c.custom) if set_ else None
        contacts.edit(s, c, data, boss, custom)
        info(f"updated contact {c.id}: {c.name}")


@app.command("delete")
def delete(ref: Ref, yes: YesOpt = False) -> None:
    """Move a contact to the trash."""
    from crm_cli.core import context, db, prompts
    from crm_cli.core.output import info
    from crm_cli.services import contacts, resolve

    with db.session_scope() as s:
        c = resolve.get(s, contacts.Contact, ref)
        prompts.confirm(f"Delete contact {c.id} '{c.name}'?", yes)
        contacts.soft_delete(s, c, context.now())
        info(f"contact {c.id} '{c.name}' moved to the trash (crm trash restore contact {c.id})")


@app.command("tree")
def tree(customer: Annotated[str, typer.Argument(help="Customer id or name.")],
         fmt: FormatOpt = None, as_json: JsonOpt = False) -> None:
    """Draw a customer's org chart (who reports to whom)."""
    from crm_cli.core import db
    from crm_cli.core.output import Format, emit, resolve_format
    from crm_cli.services import contacts, customers, resolve

    with db.session_scope() as s:
        cust = resolve.get(s, customers.Customer, customer)
        roots = contacts.tree(s, cust)
    f = resolve_format(fmt, as_json)
    if f is Format.json:
        emit(roots, fmt=f)
        return

    def label(n):
        extra = ", ".join(x for x in (n["title"], n["decision_role"]) if x)
        return f"{n['name']} (#{n['id']}{', ' + extra if extra else ''})"

    if f is Format.table:
        from rich.tree import Tree

        from crm_cli.core.output import console

        top = Tree(f"{cust.name}")

        def build(n, branch):
            sub = branch.add(label(n))
            for k in n["reports"]:
                build(k, sub)

        for n in roots:
            build(n, top)
        console().print(top)
        return
    flat = []

    def walk(n, depth, boss):
        flat.append({"id": n["id"], "name": n["name"], "title": n["title"], "decision_role": n["decision_role"],
                     "reports_to_id": boss, "depth": depth})
        for k in n["reports"]:
            walk(k, depth + 1, n["id"])

    for n in roots:
        walk(n, 0, None)
    if f is Format.plain:
        for r in flat:
            print(f"{r['id']}\t{'  ' * r['depth']}{r['name']}\t{r['title'] or ''}\t{r['decision_role'] or ''}")
        return
    emit(flat, [Col("id"), Col("name"), Col("title"), Col("decision_role"), Col("reports_to_id"), Col("depth")], f)


from crm_cli.commands.io import register_io  # noqa: E402

register_io(app, "contact")
