"""The one registry: every entity, command group, single command and report module, declared once.

Everything here is a plain string ("module:attribute"), resolved by whoever needs it, so this module
imports nothing from crm_cli and nothing heavy: `crm --help` reads it without touching the database
layer. Readers:

  crm_cli.app                     the `crm` command groups and single commands, in --help order
  crm_cli.models                  ENTITIES: entity name -> table model (`crm history customer 3`)
  crm_cli.services.sections       the sections of `crm customer show`
  crm_cli.services.demo           the `crm demo` loaders
  crm_cli.importer.adapters       the import/export adapter of each entity
  crm_cli.commands.report         the `crm report` subcommands
  crm_cli.commands.io             the plural an entity's messages use

Adding an entity is: a model (crm_cli/models), a service (crm_cli/services), a command module
(crm_cli/commands), a migration (crm_cli/migrations/versions) and one `Entity(...)` line below.
"""

from __future__ import annotations

from typing import NamedTuple


class Entity(NamedTuple):
    """A kind of record the user names on the command line (`crm history NAME ID`, `--entity NAME`)."""

    name: str                   # the user-facing name, also the `__entity__` of its model
    plural: str                 # used in messages ("moved 3 opportunities")
    model: str                  # its table model, "module:Class"
    command: str | None = None  # module under crm_cli.commands whose `app` is the `crm NAME` group
    section: str | None = None  # "module:function" adding a section to `crm customer show`
    adapter: str | None = None  # "module:Class": `crm NAME import` / `crm NAME export`
    demo: str | None = None     # "module:function" loading its part of the `crm demo` data
    remind: str | None = None   # "module:function" giving `crm remind` its items (see services.reminders)
    rows: str | None = None     # what one row of its import/export file is, when not one record
    history: bool = True        # every change is in `crm history NAME ID`
    trash: bool = True          # deletes go to `crm trash` (the model has deleted_at)
    # who sees its rows (services/visibility, docs/visibility.md): the owner column ("owner_id"), or
    # "customer" for rows without an owner that follow their customer; None: every user sees all
    visibility: str | None = None


class Group(NamedTuple):
    """A `crm NAME ...` command group that is not an entity's own."""

    name: str
    module: str                 # module under crm_cli.commands holding the Typer `app`


class Command(NamedTuple):
    """A single top-level command (`crm NAME`, no subcommands)."""

    name: str
    function: str               # "module:function", module under crm_cli.commands


# In this order: `crm db info` counts them in it, demo data is loaded in it, sections are shown in it.
ENTITIES: tuple[Entity, ...] = (
    Entity("user", "users", "crm_cli.models.user:User", command="user"),
    Entity("customer", "customers", "crm_cli.models.customer:Customer", command="customer", visibility="owner_id",
           adapter="crm_cli.importer.party_adapters:CustomerAdapter",
           demo="crm_cli.services.demo:load_core"),
    Entity("contact", "contacts", "crm_cli.models.contact:Contact", command="contact",
           section="crm_cli.services.contacts:customer_section",
           adapter="crm_cli.importer.party_adapters:ContactAdapter",
           remind="crm_cli.services.reminders:birthday_items", visibility="customer"),
    Entity("opp", "opportunities", "crm_cli.models.opportunity:Opportunity", command="opp",
           section="crm_cli.services.opportunities:customer_section",
           adapter="crm_cli.importer.opp_adapter:OppAdapter",
           demo="crm_cli.services.opportunities:demo_data", visibility="owner_id"),
    Entity("pipeline", "pipelines", "crm_cli.models.opportunity:Pipeline", command="pipeline"),
    Entity("stage", "stages", "crm_cli.models.opportunity:Stage", command="stage"),
    Entity("competitor", "competitors", "crm_cli.models.opportunity:Competitor", command="competitor"),
    Entity("lead", "leads", "crm_cli.models.lead:Lead", command="lead",
           adapter="crm_cli.importer.lead_adapter:LeadAdapter",
           demo="crm_cli.services.leads:demo_data", visibility="owner_id"),
    Entity("activity", "activities", "crm_cli.models.activity:Activity", command="activity",
           section="crm_cli.services.activities:customer_section",
           demo="crm_cli.services.activities:demo_data", remind="crm_cli.services.reminders:activity_items",
           visibility="owner_id"),
    Entity("product", "products", "crm_cli.models.product:Product", command="product",
           adapter="crm_cli.importer.product_adapter:ProductAdapter"),
    Entity("price-rule", "price rules", "crm_cli.models.product:PriceRule"),
    Entity("quote", "quotes", "crm_cli.models.document:Quote", command="quote",
           section="crm_cli.services.quotes:customer_section", visibility="owner_id"),
    Entity("order", "orders", "crm_cli.models.document:Order", command="order",
           section="crm_cli.services.orders:customer_sections", adapter="crm_cli.importer.order_adapter:OrderAdapter",
           demo="crm_cli.services.demo:load_documents", remind="crm_cli.services.orders:remind_instalments",
           rows="order lines", visibility="owner_id"),
    Entity("sla-calendar", "SLA calendars", "crm_cli.models.sla:SlaCalendar", trash=False),
    Entity("sla-policy", "SLA policies", "crm_cli.models.sla:SlaPolicy", trash=False),
    Entity("ticket", "tickets", "crm_cli.models.ticket:Ticket", command="ticket",
           section="crm_cli.services.tickets:customer_section", remind="crm_cli.services.tickets:remind_items",
           visibility="assignee_id"),
    Entity("kb", "articles", "crm_cli.models.kb:KbArticle", command="kb"),
)

# command groups that are not an entity's own
GROUPS: tuple[Group, ...] = (
    Group("price", "price"),
    Group("currency", "currency"),
    Group("sla", "sla"),
    Group("report", "report"),
    Group("field", "field"),
    Group("import", "imports"),
    Group("trash", "trash"),
    Group("config", "config"),
    Group("db", "db"),
)

# single commands, listed first in `crm --help`, in this order
COMMANDS: tuple[Command, ...] = (
    Command("history", "history:history"),
    Command("agenda", "activity:agenda"),
    Command("remind", "activity:remind"),
    Command("demo", "demo:demo"),
    Command("shell", "shell:shell"),
    Command("batch", "batch:batch"),
)

# `crm --help` lists the command groups (entities' and the ones above) in this order; a group not
# named here comes after them, in declaration order
HELP_ORDER: tuple[str, ...] = (
    "customer", "contact", "lead", "opp", "pipeline", "stage", "competitor", "currency", "activity",
    "product", "price", "quote", "order", "ticket", "kb", "sla", "report", "user", "field", "import", "trash", "config",
    "db",
)

# the entities that import/export (Entity.adapter) are named in this order (`crm import list --entity`);
# one not named here comes after them
ADAPTER_ORDER: tuple[str, ...] = ("lead", "customer", "contact", "opp")

# modules under crm_cli.commands whose register(app) adds subcommands to `crm report`, in this order
REPORTS: tuple[str, ...] = ("report_sales", "report_activity", "report_receivables", "report_service")


def entity(name: str) -> Entity | None:
    for e in ENTITIES:
        if e.name == name:
            return e
    return None


def plural(name: str) -> str:
    e = entity(name)
    return e.plural if e is not None else name + "s"


def _ordered(pairs: list[tuple[str, str]], order: tuple[str, ...]) -> list[tuple[str, str]]:
    """`pairs` (name, value) with the names in `order` first, in that order; the rest keep theirs."""
    rank = {name: i for i, name in enumerate(order)}
    return sorted(pairs, key=lambda pair: rank.get(pair[0], len(rank)))


def command_groups() -> list[tuple[str, str]]:
    """(group name, module under crm_cli.commands) of every `crm` group, in --help order."""
    groups = [(e.name, e.command) for e in ENTITIES if e.command] + [(g.name, g.module) for g in GROUPS]
    return _ordered(groups, HELP_ORDER)


def adapters() -> list[tuple[str, str]]:
    """(entity name, "module:Class") of every entity that imports and exports, in ADAPTER_ORDER."""
    return _ordered([(e.name, e.adapter) for e in ENTITIES if e.adapter], ADAPTER_ORDER)


def reminder_sources() -> list[str]:
    """"module:function" of every `crm remind` source, in entity order."""
    return [e.remind for e in ENTITIES if e.remind]


def private_entities() -> list[Entity]:
    """The entities whose rows only some users see (Entity.visibility), in entity order."""
    return [e for e in ENTITIES if e.visibility]


def split(spec: str) -> tuple[str, str]:
    """"module:attribute" -> (module, attribute)."""
    module, _, attr = spec.partition(":")
    return module, attr
