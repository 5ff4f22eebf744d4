"""The sample data of `crm demo`: each entity's loader is named in the registry (`Entity.demo`).

A loader is a function (session, ids) where `ids` collects what earlier loaders created (e.g.
ids["users"], ids["customers"]); loaders run in the registry's entity order, in one transaction.
"""

from __future__ import annotations

import importlib

from crm_cli import registry


def load_all(session) -> dict:
    """Run every entity's demo loader; returns the ids they collected."""
    ids: dict = {}
    for entity in registry.ENTITIES:
        if entity.demo:
            module, func = registry.split(entity.demo)
            getattr(importlib.import_module(module), func)(session, ids)
    return ids


def load_core(session, ids: dict) -> None:
    from crm_cli.core.money import Money
    from crm_cli.services import contacts, customers, identity, users

    me = identity.current_user(session)
    alice = users.add(session, users.UserIn(handle="alice", name="Alice Wang 王丽", email="alice@example.com",
                                            role="rep", team="east"))
    bob = users.add(session, users.UserIn(handle="bob", name="Bob Li 李波", role="rep", team="east"))
    users.add(session, users.UserIn(handle="carol", name="Carol Zhang 张静", role="manager", team="east"))
    ids["users"] = {"me": me, "alice": alice, "bob": bob}
    C = customers.CustomerIn
    group = customers.add(session, C(name="华强集团", status="active", tier="A", industry="电子", region="深圳",
                                     phone="+86 755 8888 0000", website="https://huaqiang.example.cn"),
                          owner=alice, credit_limit=Money(500_000_00, "CNY"), tags=["key-account"])
    hq = customers.add(session, C(name="华强电子", status="active", tier="A", industry="电子", region="深圳",
                                  phone="0755-2345 6789", email="info@hqe.example.cn"),
                       owner=alice, parent=group, credit_limit=Money(200_000_00, "CNY"), tags=["key-account", "电子"])
    customers.add(session, C(name="华强物流", status="prospect", tier="B", industry="物流", region="深圳"),
                  owner=bob, parent=group)
    acme = customers.add(session, C(name="Acme Trading Ltd", status="active", tier="B", industry="trading",
                                    region="Shanghai", phone="+86 21 6000 1234", email="sales@acme.example.com"),
                         owner=bob, credit_limit=Money(50_000_00, "USD"))
    bj = customers.add(session, C(name="北京远航科技有限公司", status="prospect", tier="C", industry="软件",
                                  region="北京", phone="010-6552 1234"), owner=me)
    customers.add(session, C(name="Old Mill Bakery", status="churned", tier="D", industry="food",
                             region="Hangzhou"), owner=me)
    K = contacts.ContactIn
    ceo = contacts.add(session, hq, K(name="周总", title="总经理", mobile="13800138000",
                                      decision_role="decision-maker", email="zhou@hqe.example.cn"))
    cto = contacts.add(session, hq, K(name="陈工", title="技术总监", mobile="13900139000", decision_role="technical"),
                       reports_to=ceo)
    contacts.add(session, hq, K(name="林小姐", title="采购", mobile="13700137000", decision_role="user"),
                 reports_to=cto)
    contacts.add(session, acme, K(name="Jane Smith", title="Procurement Manager", email="jane@acme.example.com",
                                  decision_role="decision-maker"))
    contacts.add(session, bj, K(name="刘洋", title="CTO", mobile="+86 186 0000 1111", decision_role="coach"))
    ids["customers"] = {"group": group, "hq": hq, "acme": acme, "bj": bj}


def load_documents(session, ids: dict) -> None:
    """`crm demo`: two products, a tier-A discount, a quote to 华强电子 accepted and converted into an
    order, confirmed, partly delivered and partly paid."""
    from decimal import Decimal

    from crm_cli.core import context
    from crm_cli.core.money import Money
    from crm_cli.services import documents, identity, orders, pricing, products, quotes

    hq = (ids.get("customers") or {}).get("hq")
    if hq is None:
        return
    rep = (ids.get("users") or {}).get("alice") or identity.current_user(session)
    acting = identity.current_user(session)
    router = products.add(session, products.ProductIn(sku="HQ-R100", name="工业路由器 R100", unit="台",
                                                      category="network"),
                          list_price=Money(1000_00, "CNY"), cost=Money(600_00, "CNY"), tax_rate=Decimal("0.13"))
    cable = products.add(session, products.ProductIn(sku="CAB-5", name="网线 5m", unit="条", category="network"),
                         list_price=Money(250, "CNY"), tax_rate=Decimal("0.13"))
    pricing.add_rule(session, pricing.RuleIn(category="network", tier="A", discount=Decimal("0.05")))
    now, day = context.now(), documents.today()
    q = quotes.create(session, hq, owner=rep, currency="CNY", issued_on=day)
    quotes.add_line(session, q, documents.LineSpec(product=router, qty=Decimal(12)), acting)
    quotes.add_line(session, q, documents.LineSpec(product=cable, qty=Decimal(40)), acting)
    quotes.send(session, q, now)
    quotes.accept(session, q, now)
    o = quotes.convert(session, q, now)
    orders.confirm(session, o, now, acting)
    orders.deliver(session, o, 1, Decimal(8), now)
    orders.pay(session, o, Money(5000_00, "CNY"), day, now, "bank")
