"""crm customer: parse options, call services.customers, print through the output layer."""

from __future__ import annotations

from typing import Annotated, List, Optional

import typer

from crm_cli.core.options import (FormatOpt, JsonOpt, QuietOpt, SetOpt, WhereOpt, YesOpt, OwnerOpt, LimitOpt,
                                  OffsetOpt, search_opt, sort_opt)
from crm_cli.core.output import Col

app = typer.Typer(help="Customers (accounts): add, list, show a 360° view, merge, transfer.",
                  no_args_is_help=True)

Ref = Annotated[str, typer.Argument(help="Customer id or unambiguous name.")]
SearchOpt = search_opt("Name, phone or email.")
SortOpt = sort_opt("id|name|status|tier|created|updated")

LIST_COLUMNS = [Col("id", "ID", "right"), Col("name", "Name"), Col("status", "Status"), Col("tier", "Tier"),
                Col("industry", "Industry"), Col("region", "Region"), Col("phone", "Phone"),
                Col("owner", "Owner"), Col("tags", "Tags")]


@app.command("add")
def add(
    name: Annotated[Optional[str], typer.Argument(help="Customer name.", show_default=False)] = None,
    status: Annotated[Optional[str], typer.Option(help="prospect|active|churned")] = None,
    tier: Annotated[Optional[str], typer.Option(help="A|B|C|D")] = None,
    industry: Optional[str] = None,
    region: Optional[str] = None,
    phone: Optional[str] = None,
    email: Optional[str] = None,
    website: Optional[str] = None,
    address: Optional[str] = None,
    parent: Annotated[Optional[str], typer.Option(help="Parent customer (id or name).")] = None,
    owner: Annotated[Optional[str], typer.Option(help="Owner handle (default: you).")] = None,
    credit_limit: Annotated[Optional[str], typer.Option(help="e.g. 500000, ¥50万, 'USD 20k'.")] = None,
    payment_terms: Annotated[Optional[int], typer.Option(help="Payment terms in days.")] = None,
    tag: Annotated[Optional[List[str]], typer.Option("--tag", help="Tag (repeatable).")] = None,
    notes: Optional[str] = None,
    set_: SetOpt = None,
    force: Annotated[bool, typer.Option("--force", help="Add even if it looks like a duplicate.")] = False,
    quiet: QuietOpt = False,
) -> None:
    """Add a customer (refused when its name, email or phone matches an existing one)."""
    from crm_cli.core import db, prompts
    from crm_cli.core.config import default_currency
    from crm_cli.core.money import parse_money
    from crm_cli.services import customers, customfields, identity, resolve
    from crm_cli.core import validation

    name = prompts.require(name, "NAME", "Customer name")
    data = validation.validate(customers.CustomerIn, name=name, status=status, tier=tier, industry=industry,
                              region=region, phone=phone, email=email, website=website, address=address,
                              payment_terms=payment_terms, notes=notes)
    limit = parse_money(credit_limit, default=default_currency(), option="--credit-limit") if credit_limit else None
    with db.session_scope() as s:
        parent_c = resolve.get(s, customers.Customer, parent) if parent else None
        own = identity.user_ref(s, owner)
        custom = customfields.parse_sets(s, "customer", set_)

        def confirm(matches):
            c, why = matches[0]
            return prompts.ask_yes_no(f"Customer {c.id} '{c.name}' has the same {why}. Add anyway?")

        c = customers.add(s, data, owner=own, parent=parent_c, credit_limit=limit, tags=tag, custom=custom,
                          force=force, confirm=confirm)
        from crm_cli.core.output import created

        created("customer", c.id, c.name, quiet)


@app.command("list")
def list_(
    owner: OwnerOpt = "all",
    status: Optional[str] = None,
    tier: Optional[str] = None,
    industry: Optional[str] = None,
    region: Optional[str] = None,
    tag: Optional[str] = None,
    search: SearchOpt = None,
    where: WhereOpt = None,
    sort: SortOpt = "name",
    limit: LimitOpt = None,
    offset: OffsetOpt = 0,
    fmt: FormatOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """List customers."""
    from crm_cli.core import db
    from crm_cli.core.output import emit, shown_fields
    from crm_cli.services import customers, identity

    with db.session_scope() as s:
        rows, csv_keys = customers.stream_customers(
            s, fields=shown_fields(fmt, as_json, LIST_COLUMNS), owner_id=identity.owner_filter(s, owner),
            status=status, tier=tier, industry=industry, region=region, tag=tag, search=search, where=where,
            sort=sort, limit=limit, offset=offset)
        emit(rows, LIST_COLUMNS, fmt, as_json, csv_keys=csv_keys)


@app.command("show")
def show(ref: Ref, fmt: FormatOpt = None, as_json: JsonOpt = False) -> None:
    """A 360° view: details, contacts, and every section other modules plug in."""
    from crm_cli.services import sections
    from crm_cli.core import db
    from crm_cli.core.output import emit_record
    from crm_cli.services import customers, resolve

    with db.session_scope() as s:
        c = resolve.get(s, customers.Customer, ref)
        rec = customers.show_record(s, c)
        parts = sections.customer_sections(s, c)
        emit_record(rec, fmt, as_json, sections=parts)


@app.command("edit")
def edit(
    ref: Ref,
    name: Annotated[Optional[str], typer.Option("--name")] = None,
    status: Optional[str] = None,
    tier: Optional[str] = None,
    industry: Optional[str] = None,
    region: Optional[str] = None,
    phone: Optional[str] = None,
    email: Optional[str] = None,
    website: Optional[str] = None,
    address: Optional[str] = None,
    parent: Annotated[Optional[str], typer.Option(help="Parent customer; 'none' to clear.")] = None,
    credit_limit: Optional[str] = None,
    payment_terms: Optional[int] = None,
    notes: Optional[str] = None,
    set_: SetOpt = None,
    force: Annotated[bool, typer.Option("--force", help="Save even if it looks like a duplicate.")] = False,
) -> None:
    """Change a customer's fields."""
    from crm_cli.core import db
    from crm_cli.core.config import default_currency
    from crm_cli.core.money import parse_money
    from crm_cli.core.output import info
    from crm_cli.services import customers, customfields, resolve
    from crm_cli.core import validation

    data = validation.validate(customers.CustomerIn, name=name, status=status, tier=tier, industry=industry,
                              region=region, phone=phone, email=email, website=website, address=address,
                              payment_terms=payment_terms, notes=notes)
    limit = parse_money(credit_limit, default=default_currency(), option="--credit-limit") if credit_limit else None
    with db.session_scope() as s:
        c = resolve.get(s, customers.Customer, ref)
        parent_c = False if parent is None else (None if parent.lower() == "none"
                                                  else resolve.get(s, customers.Customer, parent))
        custom = customfields.parse_sets(s, "customer", set_, c.custom) if set_ else None
        customers.edit(s, c, data, parent=parent_c, credit_limit=limit, custom=custom, force=force)
        info(f"updated customer {c.id}: {c.name}")


@app.command("delete")
def delete(ref: Ref, yes: YesOpt = False) -> None:
    """Move a customer (with its contacts and opportunities) to the trash; `crm customer restore` brings it back."""
    from crm_cli.core import context, db, prompts
    from crm_cli.core.output import info
    from crm_cli.services import customers, resolve

    with db.session_scope() as s:
        c = resolve.get(s, customers.Customer, ref)
        prompts.confirm(f"Delete customer {c.id} '{c.name}'?", yes)
        moved = customers.soft_delete(s, c, context.now())
        info(f"customer {c.id} '{c.name}' and {customers.describe_moved(moved)} moved to the trash "
             f"(crm customer restore {c.id})")


@app.command("restore")
def restore(ref: Annotated[str, typer.Argument(help="Customer id.")]) -> None:
    """Bring a deleted customer (and the contacts and opportunities deleted with it) back from the trash."""
    from crm_cli.core import db
    from crm_cli.core.errors import Conflict
    from crm_cli.core.output import info
    from crm_cli.services import customers, resolve

    with db.session_scope() as s:
        c = resolve.get(s, customers.Customer, ref, include_deleted=True)
        if c.deleted_at is None:
            raise Conflict(f"customer {c.id} is not in the trash")
        moved = customers.restore(s, c)
        info(f"restored customer {c.id} '{c.name}' and {customers.describe_moved(moved)}")


@app.command("tag")
def tag(ref: Ref, tags: Annotated[List[str], typer.Argument(help="Tags to add.")]) -> None:
    """Add tags to a customer."""
    from crm_cli.core import db
    from crm_cli.core.output import info
    from crm_cli.services import customers, resolve

    with db.session_scope() as s:
        c = resolve.get(s, customers.Customer, ref)
        added = [t for t in tags if customers.add_tag(s, c, t)]
        info(f"customer {c.id}: tagged {', '.join(added) if added else 'nothing new'}")


@app.command("untag")
def untag(ref: Ref, tags: Annotated[List[str], typer.Argument(help="Tags to remove.")]) -> None:
    """Remove tags from a customer."""
    from crm_cli.core import db
    from crm_cli.core.output import info
    from crm_cli.services import customers, resolve

    with db.session_scope() as s:
        c = resolve.get(s, customers.Customer, ref)
        removed = [t for t in tags if customers.remove_tag(s, c, t)]
        info(f"customer {c.id}: removed {', '.join(removed) if removed else 'nothing'}")


@app.command("assign")
def assign(refs: Annotated[List[str], typer.Argument(help="Customers (ids or names).")],
           to: Annotated[str, typer.Option("--to", help="User handle.")]) -> None:
    """Give customers to a rep."""
    from crm_cli.core import db
    from crm_cli.core.output import info
    from crm_cli.services import customers, identity, resolve

    with db.session_scope() as s:
        user = identity.user_ref(s, to, option="--to")
        customers.assign(s, [resolve.get(s, customers.Customer, ref) for ref in refs], user)
        info(f"assigned {len(refs)} customer(s) to {user.handle}")


WithOpt = Annotated[List[str], typer.Option("--with", help="User handle (repeatable).")]


@app.command("share")
def share(ref: Ref, with_: WithOpt) -> None:
    """Let users see a customer and the records under it (see docs/visibility.md)."""
    from crm_cli.core import db
    from crm_cli.core.output import info
    from crm_cli.services import customers, identity, resolve, sharing

    with db.session_scope() as s:
        c = resolve.get(s, customers.Customer, ref)
        users = [identity.user_ref(s, h, option="--with") for h in with_]
        added = sharing.share(s, c, users)
        info(f"shared customer {c.id} with {', '.join(added)}" if added
             else f"customer {c.id} was already visible to {', '.join(u.handle for u in users)}")


@app.command("unshare")
def unshare(ref: Ref, with_: WithOpt) -> None:
    """Stop sharing a customer with users."""
    from crm_cli.core import db
    from crm_cli.core.output import info
    from crm_cli.services import customers, identity, resolve, sharing

    with db.session_scope() as s:
        c = resolve.get(s, customers.Customer, ref)
        users = [identity.user_ref(s, h, option="--with") for h in with_]
        removed = sharing.unshare(s, c, users)
        info(f"customer {c.id} is no longer shared with {', '.join(removed)}" if removed
             else f"customer {c.id} was not shared with {', '.join(u.handle for u in users)}")


@app.command("transfer")
def transfer(src: Annotated[str, typer.Option("--from", help="The rep who is leaving.")],
             dst: Annotated[str, typer.Option("--to", help="The rep who takes over.")],
             yes: YesOpt = False,
             fmt: FormatOpt = None, as_json: JsonOpt = False) -> None:
    """Move a rep's customers and open records to another rep, in one transaction.

    Moving more than 5 records asks first on a terminal, and needs --yes otherwise."""
    from crm_cli.core import context, db, prompts
    from crm_cli.core.output import emit
    from crm_cli.services import customers, identity

    with db.session_scope() as s:
        a, b = identity.user_ref(s, src, option="--from"), identity.user_ref(s, dst, option="--to")
        counts = customers.transfer(s, a, b, context.now())
        moved = sum(counts.values())
        if moved > 5 and not yes:
            s.rollback()  # ask holding no locks; after a yes the transfer is done again
            prompts.confirm(f"Transfer {moved} records from {a.handle} to {b.handle}?", yes)
            counts = customers.transfer(s, a, b, context.now())
    emit([{"entity": k, "moved": v} for k, v in counts.items()],
         [Col("entity", "Record"), Col("moved", "Moved", "right")], fmt, as_json)


@app.command("merge")
def merge(keep: Annotated[str, typer.Argument(help="Customer to keep (A).")],
          other: Annotated[str, typer.Argument(help="Duplicate to merge into A (B); it goes to the trash.")],
          yes: YesOpt = False) -> None:
    """Merge customer B into A: B's contacts and other records move to A; B goes to the trash."""
    from crm_cli.core import context, db, prompts
    from crm_cli.core.output import info
    from crm_cli.services import customers, resolve

    with db.session_scope() as s:
        a = resolve.get(s, customers.Customer, keep)
        b = resolve.get(s, customers.Customer, other)
        customers.check_merge(a, b)
        prompts.confirm(f"Merge customer {b.id} '{b.name}' into {a.id} '{a.name}'?", yes)
        moved = customers.merge(s, a, b, context.now())
        detail = ", ".join(f"{n} {t}" for t, n in moved.items()) or "no child records"
        info(f"merged customer {b.id} into {a.id}: moved {detail}; {b.id} is in the trash")


@app.command("tree")
def tree(ref: Ref, fmt: FormatOpt = None, as_json: JsonOpt = False) -> None:
    """Show the parent/subsidiary hierarchy a customer belongs to."""
    from crm_cli.core import db
    from crm_cli.core.output import Format, emit, emit_record, resolve_format
    from crm_cli.services import customers, resolve

    with db.session_scope() as s:
        c = resolve.get(s, customers.Customer, ref)
        root = customers.tree(s, c)
    f = resolve_format(fmt, as_json)
    if f is Format.json:
        emit_record(root, f)
        return
    flat = []

    def walk(node, depth, parent):
        flat.append({"id": node["id"], "name": node["name"], "status": node["status"], "parent_id": parent,
                     "depth": depth})
        for child in node["children"]:
            walk(child, depth + 1, node["id"])

    walk(root, 0, None)
    if f is Format.table:
        from rich.tree import Tree

        from crm_cli.core.output import console

        def build(node, branch):
            mark = " *" if node["id"] == c.id else ""
            sub = branch.add(f"{node['name']} (#{node['id']}, {node['status']}){mark}")
            for child in node["children"]:
                build(child, sub)

        top = Tree(f"{root['name']} (#{root['id']}, {root['status']}){' *' if root['id'] == c.id else ''}")
        for child in root["children"]:
            build(child, top)
        console().print(top)
        return
    if f is Format.plain:
        for r in flat:
            print(f"{r['id']}\t{'  ' * r['depth']}{r['name']}\t{r['status']}")
        return
    emit(flat, [Col("id"), Col("name"), Col("status"), Col("parent_id"), Col("depth")], f)


from crm_cli.commands.io import register_io  # noqa: E402

register_io(app, "customer")
