"""crm lead: capture, qualify, assign and convert leads; import/export through the one engine."""

from __future__ import annotations

from typing import Annotated, List, Optional

import typer

from crm_cli.core.options import (FormatOpt, JsonOpt, QuietOpt, SetOpt, WhereOpt, YesOpt, OwnerOpt, LimitOpt,
                                  OffsetOpt, search_opt, sort_opt)
from crm_cli.core.output import Col

app = typer.Typer(help="Leads: add, qualify, assign (round-robin), convert to customer + contact + opp, "
                       "import/export.", no_args_is_help=True)

Ref = Annotated[str, typer.Argument(help="Lead id or unambiguous name.")]
SearchOpt = search_opt("Name, company, phone or email.")
SortOpt = sort_opt("id|name|company|status|source|created|updated")

LIST_COLUMNS = [Col("id", "ID", "right"), Col("name", "Name"), Col("company", "Company"), Col("status", "Status"),
                Col("source", "Source"), Col("campaign", "Campaign"), Col("mobile", "Mobile"),
                Col("email", "Email"), Col("owner", "Owner")]


@app.command("add")
def add(
    name: Annotated[Optional[str], typer.Argument(help="The person's name.", show_default=False)] = None,
    company: Optional[str] = None,
    title: Annotated[Optional[str], typer.Option(help="Job title.")] = None,
    email: Optional[str] = None,
    phone: Optional[str] = None,
    mobile: Optional[str] = None,
    source: Annotated[Optional[str], typer.Option(help="web|referral|trade-show|phone-in|campaign|list|other "
                                                  "(configurable: lead_sources)")] = None,
    campaign: Optional[str] = None,
    city: Optional[str] = None,
    region: Optional[str] = None,
    industry: Optional[str] = None,
    notes: Optional[str] = None,
    status: Annotated[Optional[str], typer.Option(help="new|working|qualified")] = None,
    owner: Annotated[Optional[str], typer.Option(help="Owner handle (default: you).")] = None,
    external_id: Annotated[Optional[str], typer.Option(help="Id in another system (import upsert key).")] = None,
    set_: SetOpt = None,
    force: Annotated[bool, typer.Option("--force", help="Add even if it looks like a duplicate.")] = False,
    quiet: QuietOpt = False,
) -> None:
    """Add a lead (refused when its email/phone matches a lead, contact or customer)."""
    from crm_cli.core import db, prompts
    from crm_cli.core.output import created, info
    from crm_cli.services import customfields, identity, leads

    name = prompts.require(name, "NAME", "The lead's name")
    data = leads.validate(name=name, company=company, title=title, email=email, phone=phone, mobile=mobile,
                          source=source, campaign=campaign, city=city, region=region, industry=industry,
                          notes=notes, status=status, external_id=external_id)
    with db.session_scope() as s:
        own = identity.user_ref(s, owner)
        custom = customfields.parse_sets(s, "lead", set_)

        def confirm(matches):
            entity, ident, label, why = matches[0]
            return prompts.ask_yes_no(f"{entity.capitalize()} {ident} '{label}' has the same {why}. Add anyway?")

        lead = leads.add(s, data, owner=own, custom=custom, force=force, confirm=confirm)
        created("lead", lead.id, f"{lead.name}" + (f" ({lead.company})" if lead.company else ""), quiet)
        for c, why in leads.customer_matches(s, lead)[:1]:
            info(f"note: customer {c.id} '{c.name}' has the same {why}; "
                 f"'crm lead convert {lead.id} --customer {c.id}' attaches the lead to it")


@app.command("list")
def list_(
    owner: OwnerOpt = "all",
    status: Annotated[Optional[str], typer.Option(help="new,working,qualified,disqualified,converted or "
                                                  "'open' (comma-separated)")] = None,
    source: Optional[str] = None,
    campaign: Optional[str] = None,
    region: Optional[str] = None,
    industry: Optional[str] = None,
    batch: Annotated[Optional[int], typer.Option(help="Only leads created by this import batch.")] = None,
    search: SearchOpt = None,
    where: WhereOpt = None,
    sort: SortOpt = "id",
    limit: LimitOpt = None,
    offset: OffsetOpt = 0,
    fmt: FormatOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """List leads."""
    from crm_cli.core import db
    from crm_cli.core.output import emit, shown_fields
    from crm_cli.services import identity, leads

    with db.session_scope() as s:
        rows, csv_keys = leads.stream_leads(s, fields=shown_fields(fmt, as_json, LIST_COLUMNS),
                                            owner_id=identity.owner_filter(s, owner), status=status, source=source,
                                            campaign=campaign, region=region, industry=industry, batch=batch,
                                            search=search, where=where, sort=sort, limit=limit, offset=offset)
        emit(rows, LIST_COLUMNS, fmt, as_json, csv_keys=csv_keys)


@app.command("show")
def show(ref: Ref, fmt: FormatOpt = None, as_json: JsonOpt = False) -> None:
    """Show a lead, what it converted into, and possible duplicates."""
    from crm_cli.core import db
    from crm_cli.core.output import emit_record
    from crm_cli.services import leads, resolve

    with db.session_scope() as s:
        lead = resolve.get(s, leads.Lead, ref)
        rec = leads.record(lead, leads.owner_handle(s, lead.owner_id))
        dups = leads.possible_duplicates(s, lead)
        emit_record(rec, fmt, as_json, sections=[("possible_duplicates", dups,
                                                   [Col("entity"), Col("id"), Col("name"), Col("same")])])


@app.command("edit")
def edit(
    ref: Ref,
    name: Annotated[Optional[str], typer.Option("--name")] = None,
    company: Optional[str] = None, title: Optional[str] = None, email: Optional[str] = None,
    phone: Optional[str] = None, mobile: Optional[str] = None, source: Optional[str] = None,
    campaign: Optional[str] = None, city: Optional[str] = None, region: Optional[str] = None,
    industry: Optional[str] = None, notes: Optional[str] = None,
    status: Annotated[Optional[str], typer.Option(help="new|working|qualified")] = None,
    owner: Optional[str] = None, external_id: Optional[str] = None, set_: SetOpt = None,
    force: Annotated[bool, typer.Option("--force", help="Save even if it looks like a duplicate.")] = False,
) -> None:
    """Change a lead's fields."""
    from crm_cli.core import db
    from crm_cli.core.output import info
    from crm_cli.services import customfields, identity, leads, resolve

    data = leads.validate(name=name, company=company, title=title, email=email, phone=phone, mobile=mobile,
                          source=source, campaign=campaign, city=city, region=region, industry=industry,
                          notes=notes, status=status, external_id=external_id)
    with db.session_scope() as s:
        lead = resolve.get(s, leads.Lead, ref)
        custom = customfields.parse_sets(s, "lead", set_, lead.custom) if set_ else None
        own = identity.user_ref(s, owner, default_me=False)
        leads.edit(s, lead, data, custom=custom, owner=own, force=force)
        info(f"updated lead {lead.id}: {lead.name}")


@app.command("delete")
def delete(ref: Ref, yes: YesOpt = False) -> None:
    """Move a lead to the trash (crm trash restore lead ID brings it back)."""
    from crm_cli.core import context, db, prompts
    from crm_cli.core.output import info
    from crm_cli.services import leads, resolve

    with db.session_scope() as s:
        lead = resolve.get(s, leads.Lead, ref)
        prompts.confirm(f"Delete lead {lead.id} '{lead.name}'?", yes)
        leads.soft_delete(s, lead, context.now())
        info(f"lead {lead.id} '{lead.name}' moved to the trash (crm trash restore lead {lead.id})")


@app.command("assign")
def assign(
    refs: Annotated[Optional[List[str]], typer.Argument(help="Leads (ids or names); or use filters.")] = None,
    to: Annotated[Optional[str], typer.Option("--to", help="User handle.")] = None,
    round_robin: Annotated[Optional[str], typer.Option("--round-robin", help="Deal the leads out in turn: "
                                                       "alice,bob,carol")] = None,
    status: Annotated[Optional[str], typer.Option(help="Filter (default for filters: open).")] = None,
    source: Optional[str] = None,
    campaign: Optional[str] = None,
    region: Optional[str] = None,
    batch: Annotated[Optional[int], typer.Option(help="Leads created by this import batch.")] = None,
    unassigned: Annotated[bool, typer.Option("--unassigned", help="Only leads without an owner.")] = False,
    owner: Annotated[Optional[str], typer.Option(help="Only leads of this owner (me|HANDLE).")] = None,
    fmt: FormatOpt = None, as_json: JsonOpt = False,
) -> None:
    """Give leads to a rep (--to), or spread them over reps (--round-robin a,b,c)."""
    from crm_cli.core import db
    from crm_cli.core.errors import UsageError
    from crm_cli.core.output import emit, info
    from crm_cli.services import identity, leads, resolve

    if bool(to) == bool(round_robin):
        raise UsageError("give exactly one of --to HANDLE or --round-robin a,b,c")
    filtered = any(x is not None for x in (status, source, campaign, region, batch, owner)) or unassigned
    if not refs and not filtered:
        raise UsageError("name the leads, or select them with a filter",
                         "e.g. --unassigned, --status new, --campaign X, --batch N")
    with db.session_scope() as s:
        handles = (round_robin or to).split(",")  # an empty entry is an error, not skipped
        users = [identity.user_ref(s, h, option="--round-robin" if round_robin else "--to") for h in handles]
        if refs:
            chosen = [resolve.get(s, leads.Lead, r) for r in refs]
        else:
            chosen = leads.select_for_assign(s, owner_id=identity.owner_filter(s, owner), status=status,
                                             source=source, campaign=campaign, region=region, batch=batch,
                                             unassigned=unassigned)
        counts = leads.assign(s, chosen, users)
        info(f"assigned {len(chosen)} lead(s)")
    emit([{"owner": h, "leads": n} for h, n in counts.items()],
         [Col("owner", "Owner"), Col("leads", "Leads", "right")], fmt, as_json)


@app.command("qualify")
def qualify(ref: Ref) -> None:
    """Mark a lead as qualified (ready to convert)."""
    from crm_cli.core import db
    from crm_cli.core.output import info
    from crm_cli.services import leads, resolve

    with db.session_scope() as s:
        lead = resolve.get(s, leads.Lead, ref)
        leads.qualify(s, lead)
        info(f"lead {lead.id} '{lead.name}' is qualified")


@app.command("disqualify")
def disqualify(ref: Ref, reason: Annotated[Optional[str], typer.Option("--reason", "-r",
                                                                        help="Why (required).")] = None) -> None:
    """Disqualify a lead, with a reason."""
    from crm_cli.core import db, prompts
    from crm_cli.core.output import info
    from crm_cli.services import leads, resolve

    reason = prompts.require(reason, "--reason", "Why is the lead disqualified?")
    with db.session_scope() as s:
        lead = resolve.get(s, leads.Lead, ref)
        leads.disqualify(s, lead, reason)
        info(f"lead {lead.id} '{lead.name}' is disqualified: {lead.disqualify_reason}")


@app.command("convert")
def convert(
    ref: Ref,
    customer: Annotated[Optional[str], typer.Option("--customer", "-c", help="Attach to this existing customer.")]
    = None,
    new_customer: Annotated[bool, typer.Option("--new-customer", help="Create a new customer even if one "
                                               "matches.")] = False,
    opp: Annotated[Optional[str], typer.Option("--opp", help="Also create an opportunity with this title.")] = None,
    amount: Annotated[Optional[str], typer.Option(help="Opportunity amount, e.g. 120000, ¥12万, 'USD 20k'.")]
    = None,
    owner: Annotated[Optional[str], typer.Option(help="Owner of the new records (default: the lead's).")] = None,
    fmt: FormatOpt = None, as_json: JsonOpt = False,
) -> None:
    """Convert a lead into a customer (new or existing) and a contact, optionally an opportunity."""
    from crm_cli.core import context, db, prompts
    from crm_cli.core.config import default_currency
    from crm_cli.core.money import parse_money
    from crm_cli.core.output import emit_record, info
    from crm_cli.services import customers, identity, leads, resolve

    money = parse_money(amount, default=default_currency(), option="--amount") if amount else None
    with db.session_scope() as s:
        lead = resolve.get(s, leads.Lead, ref)
        cust = resolve.get(s, customers.Customer, customer) if customer else None
        own = identity.user_ref(s, owner, default_me=False)
        def ask(c, why):
            return prompts.ask_yes_no(f"Customer {c.id} '{c.name}' matches this lead ({why}). "
                                      "Attach the lead to it? (no = create a new customer)")

        confirm = ask if context.interactive() else None
        result = leads.convert(s, lead, customer=cust, new_customer=new_customer, opp_title=opp, amount=money,
                               owner=own, confirm=confirm)
        parts = [f"customer {result['customer_id']}" + (" (new)" if result["customer_created"] else ""),
                 f"contact {result['contact_id']}" + (" (new)" if result["contact_created"] else "")]
        if result["opportunity_id"]:
            parts.append(f"opportunity {result['opportunity_id']}")
        info(f"converted lead {lead.id} '{lead.name}' into " + ", ".join(parts))
    if fmt is not None or as_json:
        emit_record(result, fmt, as_json)


@app.command("reopen")
def reopen(ref: Ref) -> None:
    """Bring a disqualified lead back to 'working'."""
    from crm_cli.core import db
    from crm_cli.core.output import info
    from crm_cli.services import leads, resolve

    with db.session_scope() as s:
        lead = resolve.get(s, leads.Lead, ref)
        leads.reopen(s, lead)
        info(f"lead {lead.id} '{lead.name}' is working again")


from crm_cli.commands.io import register_io  # noqa: E402

register_io(app, "lead")
