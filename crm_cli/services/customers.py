"""Customer rules: validation, duplicate guard, listing, tags, merge, transfer, tree, 360 view."""

from __future__ import annotations

from datetime import datetime
from typing import Optional

from pydantic import field_validator
from sqlalchemy import func, insert, literal, or_, select, update
from sqlmodel import SQLModel

from crm_cli.core.errors import Conflict, Duplicate, ValidationError
from crm_cli.core.faults import kill_point
from crm_cli.models import Contact, Customer, CustomerTag, User
from crm_cli.core import normalize
from crm_cli.core.validation import column_text, email, one_of, phone

STATUSES = ("prospect", "active", "churned")
TIERS = ("A", "B", "C", "D")
EDITABLE = ("name", "status", "tier", "industry", "region", "phone", "email", "website", "address",
            "payment_terms", "notes")
SORTS = {"id": Customer.id, "name": Customer.name, "status": Customer.status, "tier": Customer.tier,
         "created": Customer.created_at, "updated": Customer.updated_at, "industry": Customer.industry,
         "region": Customer.region}


class CustomerIn(SQLModel):
    """Validated input for add/edit (the table model does not validate)."""

    name: Optional[str] = None
    status: Optional[str] = None
    tier: Optional[str] = None
    industry: Optional[str] = None
    region: Optional[str] = None
    phone: Optional[str] = None
    email: Optional[str] = None
    website: Optional[str] = None
    address: Optional[str] = None
    payment_terms: Optional[int] = None
    notes: Optional[str] = None

    @field_validator("*")
    @classmethod
    def _text_rules(cls, v, info):
        return column_text(Customer, info.field_name, v)  # length and control characters

    @field_validator("name")
    @classmethod
    def _name(cls, v):
        if v is not None and not v.strip():
            raise ValueError("--name must not be empty")
        return v.strip() if v else v

    @field_validator("status")
    @classmethod
    def _status(cls, v):
        return one_of(v, STATUSES, "--status")

    @field_validator("tier")
    @classmethod
    def _tier(cls, v):
        if v is not None:
            v = v.strip().upper()
            if v not in TIERS:
                raise ValueError(f"--tier must be one of A, B, C, D, not '{v}'")
        return v

    @field_validator("email")
    @classmethod
    def _email(cls, v):
        return email(v)

    @field_validator("phone")
    @classmethod
    def _phone(cls, v):
        return phone(v)

    @field_validator("payment_terms")
    @classmethod
    def _terms(cls, v):
        if v is not None and not 0 <= v <= 3650:
            raise ValueError("--payment-terms must be between 0 and 3650 days")
        return v


def _keys(c: Customer) -> None:
    c.name_key = normalize.name_key(c.name)
    c.email_key = normalize.email_key(c.email)
    c.phone_key = normalize.phone_key(c.phone)


def find_duplicates(session, name=None, email=None, phone=None, exclude_id=None,
                    lock: bool = False) -> list[tuple[Customer, str]]:
    """Live customers with the same name, email or phone. With `lock` the keys stay locked until the
    caller's transaction ends, so two processes adding the same customer at once cannot both find none."""
    from crm_cli.core.db import lock_keys

    conds = []
    nk, ek, pk = normalize.name_key(name), normalize.email_key(email), normalize.phone_key(phone)
    if lock:
        lock_keys(session, [nk and "name:" + nk, ek and "email:" + ek, pk and "phone:" + pk])
    if nk:
        conds.append(Customer.name_key == nk)
    if ek:
        conds.append(Customer.email_key == ek)
    if pk:
        conds.append(Customer.phone_key == pk)
    if not conds:
        return []
    q = select(Customer).where(or_(*conds), Customer.deleted_at.is_(None))
    if exclude_id:
        q = q.where(Customer.id != exclude_id)
    out = []
    for c in session.execute(q.limit(10)).scalars():
        why = "name" if nk and c.name_key == nk else "email" if ek and c.email_key == ek else "phone"
        out.append((c, why))
    return out


def duplicate_error(matches: list[tuple[Customer, str]]) -> Duplicate:
    c, why = matches[0]
    more = f" (and {len(matches) - 1} more)" if len(matches) > 1 else ""
    return Duplicate(f"customer {c.id} '{c.name}' already has this {why}{more}",
                     "use --force to add it anyway, or 'crm customer edit'")


def add(session, data: CustomerIn, *, owner: User, parent: Customer | None = None, credit_limit=None,
        tags: list[str] | None = None, custom: dict | None = None, force: bool = False,
        confirm=None) -> Customer:
    """Create a customer. `confirm(matches)` may approve a duplicate (TTY prompt)."""
    if not force:
        matches = find_duplicates(session, data.name, data.email, data.phone, lock=True)
        if matches and not (confirm and confirm(matches)):
            raise duplicate_error(matches)
    c = Customer(**data.model_dump(exclude_none=True), owner_id=owner.id,
                 parent_id=parent.id if parent else None, custom=custom or {})
    if not c.status:
        c.status = "prospect"
    if credit_limit is not None:
        c.credit_limit, c.currency = credit_limit.minor, credit_limit.currency
    _keys(c)
    session.add(c)
    session.flush()
    for tag in tags or []:
        add_tag(session, c, tag)
    return c


def edit(session, c: Customer, data: CustomerIn, *, parent: Customer | None | bool = False,
         credit_limit=None, custom: dict | None = None, owner: User | None = None,
         force: bool = False) -> Customer:
    changes = data.model_dump(exclude_none=True)
    if not force and any(k in changes for k in ("name", "email", "phone")):
        matches = find_duplicates(session, changes.get("name"), changes.get("email"), changes.get("phone"),
                                  exclude_id=c.id, lock=True)
        if matches:
            raise duplicate_error(matches)
    for k, v in changes.items():
        setattr(c, k, v)
    if parent is not False:
        set_parent(session, c, parent)
    if credit_limit is not None:
        c.credit_limit, c.currency = credit_limit.minor, credit_limit.currency
    if custom is not None:
        c.custom = custom
    if owner is not None:
        c.owner_id = owner.id
    _keys(c)
    return c


def set_parent(session, c: Customer, parent: Customer | None) -> None:
    if parent is not None:
        node = parent
        seen = set()
        while node is not None:
            if node.id == c.id:
                raise ValidationError(f"customer {parent.id} is below {c.id} in the tree; that would make a cycle")
            if node.id in seen:
                break
            seen.add(node.id)
            node = session.get(Customer, node.parent_id) if node.parent_id else None
    c.parent_id = parent.id if parent else None


def normalise_tag(tag: str) -> str:
    from crm_cli.core.validation import checked_text, column_limit, shown

    t = " ".join(tag.split()).strip()
    limit = column_limit(CustomerTag, "tag")
    if not t or len(t) > limit:
        raise ValidationError(f"bad tag '{shown(tag)}'", f"tags are 1 to {limit} characters")
    return checked_text(t, "--tag")


def tags_of(session, customer_id: int) -> list[str]:
    return list(session.execute(select(CustomerTag.tag).where(CustomerTag.customer_id == customer_id)
                                .order_by(CustomerTag.tag)).scalars())


def add_tag(session, c: Customer, tag: str) -> bool:
    from crm_cli.models import History
    from crm_cli.core import context

    tag = normalise_tag(tag)
    if session.get(CustomerTag, (c.id, tag)):
        return False
    session.add(CustomerTag(customer_id=c.id, tag=tag))
    session.add(History(entity="customer", entity_id=c.id, action="update", field="tags", old=None, new=tag,
                        user=context.current_handle(), at=context.now()))
    return True


def remove_tag(session, c: Customer, tag: str) -> bool:
    from crm_cli.models import History
    from crm_cli.core import context

    row = session.get(CustomerTag, (c.id, normalise_tag(tag)))
    if not row:
        return False
    session.delete(row)
    session.add(History(entity="customer", entity_id=c.id, action="update", field="tags", old=tag, new=None,
                        user=context.current_handle(), at=context.now()))
    return True


def list_customers(session, *, sort="name", limit=None, offset=0, **filters) -> list[dict]:
    return list(stream_customers(session, sort=sort, limit=limit, offset=offset, **filters)[0])


def stream_customers(session, *, fields=None, sort="name", limit=None, offset=0, **filters):
    """(records, csv_keys): the listing streamed (Core rows of the columns `fields` need, in chunks;
    the tags of each chunk in one query)."""
    from crm_cli.services.listing import csv_keys_with_custom, sort_and_page, stream_records

    page = None if limit is None else limit + (offset or 0)  # the rows needed: the index may not pay
    q = sort_and_page(query(session, page=page, **filters), SORTS, sort, Customer.id, limit, offset)
    tags: dict[int, list[str]] = {}

    def chunk_tags(rows) -> None:
        tags.clear()
        ids = [r.id for r in rows]
        for cid, t in session.execute(select(CustomerTag.customer_id, CustomerTag.tag)
                                      .where(CustomerTag.customer_id.in_(ids)).order_by(CustomerTag.tag)):
            tags.setdefault(cid, []).append(t)

    with_tags = fields is None or "tags" in fields
    rows = stream_records(session, q, Customer, extra={"owner": User.handle}, fields=fields,
                          record=lambda r: record(r, r.owner, tags.get(r.id, [])),
                          derived={"tags": (("id",), lambda r: tags.get(r.id, []))},
                          prepare=chunk_tags if with_tags else None)
    return rows, csv_keys_with_custom(session, q, Customer.custom, bool(limit is not None or offset))


def query(session, *, owner_id=None, status=None, tier=None, industry=None, region=None, tag=None,
          search=None, where=None, page=None):
    """The customers the list filters select (not in the trash), with their owner's handle."""
    from crm_cli.services import customfields

    q = select(Customer, User.handle).outerjoin(User, User.id == Customer.owner_id) \
        .where(Customer.deleted_at.is_(None))
    if owner_id is not None:
        q = q.where(Customer.owner_id == owner_id)
    if status:
        q = q.where(Customer.status == status)
    if tier:
        q = q.where(Customer.tier == tier.upper())
    if industry:
        q = q.where(func.lower(Customer.industry) == industry.lower())
    if region:
        q = q.where(func.lower(Customer.region) == region.lower())
    if tag:
        q = q.where(Customer.id.in_(select(CustomerTag.customer_id).where(CustomerTag.tag == tag)))
    from crm_cli.services.listing import check_search, contains, indexed, like_pattern

    check_search(search)
    if search and normalize.looks_like_phone(search):
        # a phone number: an indexed prefix range on the normalised key, not a table scan
        pk = normalize.phone_search_key(search)
        q = q.where(Customer.phone_key >= pk, Customer.phone_key < pk + ":")
    elif search:
        s = search.strip()
        conds = [contains(session, Customer.name, s), contains(session, Customer.email, s)]
        pk = normalize.phone_search_key(s, whole=False)
        pk = pk if pk and len(pk) >= 4 else None
        if pk:
            conds.append(Customer.phone_key.like(like_pattern(pk), escape="\\"))
        nk = normalize.name_key(s)
        if nk:
            conds.append(Customer.name_key.like(like_pattern(nk), escape="\\"))
        hit = indexed(session, "customer", Customer.id, s, pk, nk,
                      page=page)
        if hit is not None:
            q = q.where(hit)
        q = q.where(or_(*conds))
    for clause in customfields.where_clauses(session, Customer, where):
        q = q.where(clause)
    return q


def record(c: Customer, owner: str | None, tags: list[str]) -> dict:
    """The customer's JSON contract."""
    from crm_cli.core.money import Money

    return {
        "id": c.id, "name": c.name, "status": c.status, "tier": c.tier, "industry": c.industry,
        "region": c.region, "phone": c.phone, "email": c.email, "website": c.website, "address": c.address,
        "parent_id": c.parent_id, "owner": owner,
        "credit_limit": Money(c.credit_limit, c.currency) if c.credit_limit is not None else None,
        "currency": c.currency, "payment_terms": c.payment_terms, "tags": tags, "notes": c.notes,
        "custom": dict(c.custom or {}), "created_at": c.created_at, "updated_at": c.updated_at,
    }


def show_record(session, c: Customer) -> dict:
    """`crm customer show`: the record with its owner, tags and (when it has one) its parent's name."""
    from crm_cli.services import sharing

    rec = record(c, owner_handle(session, c.owner_id), tags_of(session, c.id))
    rec["shared_with"] = sharing.shared_with(session, c.id)
    if c.parent_id:
        parent = session.get(Customer, c.parent_id)
        rec["parent"] = parent.name if parent else None
    return rec


def owner_handle(session, user_id: int | None) -> str | None:
    if user_id is None:
        return None
    return session.execute(select(User.handle).where(User.id == user_id)).scalar_one_or_none()


def _owned_children():
    """(model, column) of every record table whose rows cannot live without their customer
    (a non-nullable customer_id: contacts, opportunities), later modules included."""
    from crm_cli.models import ENTITIES

    by_table = {m.__tablename__: m for m in ENTITIES.values()}
    for table, col in _child_columns():
        model = by_table.get(table.name)
        if model is not None and not col.nullable and "deleted_at" in table.c:
            yield model, getattr(model, col.name)


def assign(session, customers: list[Customer], user: User) -> None:
    """Give customers to a rep."""
    for c in customers:
        c.owner_id = user.id


def soft_delete(session, c: Customer, now: datetime) -> dict[str, int]:
    """The customer and the records that belong to it (contacts, opportunities) go to the trash
    together (same stamp): none of them stays live, and `restore` brings the same ones back."""
    c.deleted_at = now
    moved: dict[str, int] = {}
    for model, col in _owned_children():
        rows = session.execute(select(model).where(col == c.id, model.deleted_at.is_(None))).scalars().all()
        for row in rows:
            row.deleted_at = now
        moved[model.__entity__] = len(rows)
    return moved


def describe_moved(moved: dict[str, int]) -> str:
    """{'contact': 2, 'opp': 1} -> '2 contact(s), 1 opp(s)'."""
    return ", ".join(f"{n} {entity}(s)" for entity, n in moved.items() if n) or "nothing else"


def restore(session, c: Customer) -> dict[str, int]:
    stamp = c.deleted_at
    c.deleted_at = None
    moved: dict[str, int] = {}
    if stamp is not None:
        for model, col in _owned_children():
            rows = session.execute(select(model).where(col == c.id, model.deleted_at == stamp)).scalars().all()
            for row in rows:
                row.deleted_at = None
            moved[model.__entity__] = len(rows)
    return moved


def _child_columns(exclude_tables=("customer_tags",)):
    """Every column in the schema with a foreign key to customers.id (later modules included)."""
    from sqlmodel import SQLModel

    from crm_cli.models import load_all

    load_all()

    for table in SQLModel.metadata.sorted_tables:
        if table.name in exclude_tables:
            continue
        for fk in table.foreign_keys:
            if fk.column.table.name == "customers" and fk.column.name == "id":
                yield table, fk.parent


def check_merge(a: Customer, b: Customer) -> None:
    if a.id == b.id:
        raise ValidationError("cannot merge a customer into itself", "name two different customers")


def merge(session, a: Customer, b: Customer, now: datetime) -> dict[str, int]:
    """Move B's children to A, fill A's empty fields from B, send B to the trash."""
    from crm_cli.models import History
    from crm_cli.core import context

    check_merge(a, b)
    moved: dict[str, int] = {}
    session.flush()
    for table, col in _child_columns():
        if table.name == "customers" and col.name == "parent_id":
            stmt = update(table).where(col == b.id, table.c.id != a.id).values({col.name: a.id})
        else:
            stmt = update(table).where(col == b.id).values({col.name: a.id})
        n = session.connection().execute(stmt).rowcount
        if n:
            moved[table.name] = moved.get(table.name, 0) + n
            kill_point("merge.move")
    if a.parent_id == b.id:
        a.parent_id = b.parent_id if b.parent_id != a.id else None
    # tags: union
    for tag in tags_of(session, b.id):
        add_tag(session, a, tag)
    session.connection().execute(CustomerTag.__table__.delete().where(CustomerTag.customer_id == b.id))
    session.expire_all()
    a = session.get(Customer, a.id)
    b = session.get(Customer, b.id)
    for f in ("status", "tier", "industry", "region", "phone", "email", "website", "address", "parent_id",
              "owner_id", "credit_limit", "currency", "payment_terms", "notes"):
        if getattr(a, f) in (None, "") and getattr(b, f) not in (None, ""):
            if f == "parent_id" and b.parent_id == a.id:
                continue
            setattr(a, f, getattr(b, f))
    if b.custom:
        a.custom = {**b.custom, **(a.custom or {})}
    _keys(a)
    b.deleted_at = now
    session.add(History(entity="customer", entity_id=a.id, action="merge", field=None, old=str(b.id),
                        new=f"merged {b.id} '{b.name}' into this customer", user=context.current_handle(),
                        at=now))
    session.add(History(entity="customer", entity_id=b.id, action="merge", field=None, old=None,
                        new=f"merged into {a.id} '{a.name}'", user=context.current_handle(), at=now))
    return moved


def transfer(session, src: User, dst: User, now: datetime) -> dict[str, int]:
    """Move ownership of src's customers and open records to dst, in the caller's transaction.

    Every registered entity with an `owner_id` column takes part; a model may define
    `__open__` (a callable returning a SQL clause) to limit the move to its open records.
    """
    from crm_cli.models import ENTITIES, History
    from crm_cli.core import context

    if src.id == dst.id:
        raise ValidationError("--from and --to are the same user")
    if not dst.active:
        raise Conflict(f"user '{dst.handle}' is deactivated", "reactivate with 'crm user edit --active'")
    counts: dict[str, int] = {}
    conn = session.connection()
    session.flush()
    for entity, model in ENTITIES.items():
        if "owner_id" not in model.__table__.c:
            continue
        cond = [model.owner_id == src.id]
        if "deleted_at" in model.__table__.c:
            cond.append(model.deleted_at.is_(None))
        open_clause = getattr(model, "__open__", None)
        if open_clause is not None:
            cond.append(open_clause())
        ids = list(session.execute(select(model.id).where(*cond)).scalars())  # what the acting user sees
        if not ids:
            counts[entity] = 0
            continue
        for i in range(0, len(ids), 500):
            chunk = ids[i:i + 500]
            conn.execute(update(model.__table__).where(model.__table__.c.id.in_(chunk))
                         .values(owner_id=dst.id, updated_at=now))
        conn.execute(insert(History), [dict(entity=entity, entity_id=i, action="update", field="owner_id",
                                            old=str(src.id), new=str(dst.id), user=context.current_handle(),
                                            at=now) for i in ids])
        counts[entity] = len(ids)
        kill_point("transfer.entity")
    session.expire_all()
    return counts


def tree(session, c: Customer) -> dict:
    """The whole group `c` belongs to, from its root: {id, name, children: [...]}."""
    root, seen = c, {c.id}
    while root.parent_id and root.parent_id not in seen:
        parent = session.get(Customer, root.parent_id)
        if parent is None or parent.deleted_at is not None:
            break
        seen.add(parent.id)
        root = parent
    # the subtree under the root, by a recursive CTE (no full-table load)
    tree_cte = select(Customer.id, Customer.name, Customer.parent_id, Customer.status,
                      literal(0).label("depth")).where(Customer.id == root.id).cte("tree", recursive=True)
    child = select(Customer.id, Customer.name, Customer.parent_id, Customer.status,
                   (tree_cte.c.depth + 1).label("depth")) \
        .join(tree_cte, Customer.parent_id == tree_cte.c.id) \
        .where(Customer.deleted_at.is_(None), tree_cte.c.depth < 50)
    tree_cte = tree_cte.union_all(child)
    rows = session.execute(select(tree_cte.c.id, tree_cte.c.name, tree_cte.c.parent_id, tree_cte.c.status)).all()
    children: dict[int, list] = {}
    for r in rows:
        if r.parent_id:
            children.setdefault(r.parent_id, []).append(r)

    def build(cid, name, status, depth=0):
        kids = sorted(children.get(cid, []), key=lambda r: (r.name, r.id)) if depth < 50 else []
        return {"id": cid, "name": name, "status": status,
                "children": [build(k.id, k.name, k.status, depth + 1) for k in kids]}

    return build(root.id, root.name, root.status)
