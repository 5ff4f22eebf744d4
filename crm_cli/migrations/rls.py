"""PostgreSQL row-level security for the visibility rule (docs/visibility.md), for migrations.

The policies are keyed on `current_user`: the login role of a user made with `crm user add HANDLE
--db-role` (users.db_role). They give that role the rows `services/visibility.py` shows the user in
the CLI. The tables' owner (the role crm itself connects as, which ran the migrations) and superusers
bypass row-level security, so crm's own connection is not limited by them; crm applies the rule itself.

Every function here takes the alembic `op` and does nothing on a database other than PostgreSQL, so a
migration calls them unconditionally. A later migration adding a record table calls:

    rls.protect_owned(op, "tickets", owner="assignee_id", customer="customer_id")   # the table itself
    rls.protect_customers(op, rls.CHILDREN_0013 + (("tickets", "assignee_id"),))    # its customer
    rls.protect_detail(op, "ticket_comments", "ticket_id", "tickets")               # rows of a ticket

Arguments are explicit (no list read from the models) so an old migration replays the same SQL later.
"""

from __future__ import annotations

POLICY = "crm_visible"

# (table, owner column) of the record tables under a customer, as of 0013_visibility
CHILDREN_0013 = (("opportunities", "owner_id"), ("activities", "owner_id"), ("quotes", "owner_id"),
                 ("orders", "owner_id"))

_ADMIN = "crm_admin(current_user)"


def _pg(op) -> bool:
    return op.get_bind().dialect.name == "postgresql"


def _policy(op, table: str, using: str) -> None:
    op.execute(f'ALTER TABLE "{table}" ENABLE ROW LEVEL SECURITY')
    op.execute(f'DROP POLICY IF EXISTS {POLICY} ON "{table}"')
    # only the role of an active crm user sees anything (a deactivated user's role: no rows at all)
    op.execute(f'CREATE POLICY {POLICY} ON "{table}" FOR ALL USING (crm_active(current_user) AND ({using}))')


def install_functions(op) -> None:
    """The SQL functions the policies call. SECURITY DEFINER: they read users and customer_shares as the
    tables' owner (so row-level security on those does not recurse); `who` is the caller's role."""
    if not _pg(op):
        return
    schema = op.get_bind().exec_driver_sql("SELECT current_schema()").scalar()
    head = (f"LANGUAGE sql STABLE SECURITY DEFINER SET search_path = \"{schema}\", pg_temp AS $$")
    op.execute(f"""CREATE OR REPLACE FUNCTION crm_active(who name) RETURNS boolean {head}
        SELECT EXISTS (SELECT 1 FROM users v WHERE v.db_role = who AND v.active AND v.deleted_at IS NULL) $$""")
    op.execute(f"""CREATE OR REPLACE FUNCTION crm_admin(who name) RETURNS boolean {head}
        SELECT EXISTS (SELECT 1 FROM users v WHERE v.db_role = who AND v.role = 'admin'
                       AND v.active AND v.deleted_at IS NULL) $$""")
    # mine(owner): the owner is the user, or a user of a manager's team
    op.execute(f"""CREATE OR REPLACE FUNCTION crm_mine(owner integer, who name) RETURNS boolean {head}
        SELECT EXISTS (SELECT 1 FROM users v WHERE v.db_role = who AND v.active AND v.deleted_at IS NULL
                       AND (v.id = owner OR (v.role = 'manager' AND v.team IS NOT NULL AND EXISTS
                            (SELECT 1 FROM users o WHERE o.id = owner AND o.team = v.team)))) $$""")
    op.execute(f"""CREATE OR REPLACE FUNCTION crm_shared(customer integer, who name) RETURNS boolean {head}
        SELECT EXISTS (SELECT 1 FROM customer_shares s JOIN users v ON v.id = s.user_id
                       WHERE s.customer_id = customer AND v.db_role = who AND v.active
                       AND v.deleted_at IS NULL) $$""")
    # what the records under a customer follow: its owner is mine, or it is shared with me
    op.execute(f"""CREATE OR REPLACE FUNCTION crm_customer_direct(customer integer, who name) RETURNS boolean
        {head}
        SELECT EXISTS (SELECT 1 FROM customers c WHERE c.id = customer AND c.owner_id IS NOT NULL
                       AND crm_mine(c.owner_id, who)) OR crm_shared(customer, who) $$""")


# the SQL functions install_functions() creates (a restore drops them with crm's tables)
FUNCTIONS = ("crm_customer_direct(integer, name)", "crm_shared(integer, name)", "crm_mine(integer, name)",
             "crm_admin(name)", "crm_active(name)")


def drop_functions(op) -> None:
    if not _pg(op):
        return
    for sig in FUNCTIONS:
        op.execute(f"DROP FUNCTION IF EXISTS {sig}")


def protect_customers(op, children=CHILDREN_0013) -> None:
    """customers: mine, shared, unowned, or with a live record under it that is mine (`children`:
    (table, owner column) of every record table with a customer_id)."""
    if not _pg(op):
        return
    under = " OR ".join(
        f"EXISTS (SELECT 1 FROM \"{t}\" x WHERE x.customer_id = customers.id AND x.deleted_at IS NULL "
        f"AND x.{owner} IS NOT NULL AND crm_mine(x.{owner}, current_user))" for t, owner in children)
    _policy(op, "customers", f"{_ADMIN} OR owner_id IS NULL OR crm_mine(owner_id, current_user) "
                             f"OR crm_shared(id, current_user)" + (f" OR {under}" if under else ""))


def protect_owned(op, table: str, owner: str = "owner_id", customer: str | None = None) -> None:
    """A record table with an owner column (and maybe a customer it follows)."""
    if not _pg(op):
        return
    if customer:
        using = (f"{_ADMIN} OR ({owner} IS NOT NULL AND crm_mine({owner}, current_user)) "
                 f"OR ({customer} IS NOT NULL AND crm_customer_direct({customer}, current_user)) "
                 f"OR ({owner} IS NULL AND {customer} IS NULL)")
    else:
        using = f"{_ADMIN} OR {owner} IS NULL OR crm_mine({owner}, current_user)"
    _policy(op, table, using)


def protect_detail(op, table: str, column: str, parent: str) -> None:
    """Rows that belong to a record (contacts of a customer, lines of an order): seen with it. The
    subquery runs under the parent's own policy."""
    if not _pg(op):
        return
    _policy(op, table, f"{_ADMIN} OR EXISTS (SELECT 1 FROM \"{parent}\" p WHERE p.id = \"{table}\".{column})")


def unprotect(op, table: str) -> None:
    if not _pg(op):
        return
    op.execute(f'DROP POLICY IF EXISTS {POLICY} ON "{table}"')
    op.execute(f'ALTER TABLE "{table}" DISABLE ROW LEVEL SECURITY')
