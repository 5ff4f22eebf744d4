"""Import/export adapter for opportunities (see the package docstring for the protocol).

Stage names map to the stages of the row's pipeline (column `pipeline`, else the default
pipeline: config default_pipeline / CRM_PIPELINE), case-insensitively. A row in a won or lost
stage is imported closed: closed on its close date, cycle length from its created (engage)
date. Owners match a user handle or a user's name ("Moses Frase"), case-insensitively.
Customers match by name; rows without any customer go to one customer named "(no account)"
(created on first need), so historic pipelines import whole. Amounts without a currency use
config `currency` (CRM_CURRENCY). Imported rows get no stage-history rows.
"""

from __future__ import annotations

from datetime import datetime, time, timezone
from typing import Iterator

from sqlalchemy import func, insert, select

from crm_cli.importer.base import Adapter, RowError
from crm_cli.models import Customer, User
from crm_cli.models.opportunity import Opportunity, Pipeline, Stage
from crm_cli.core import normalize

NO_ACCOUNT = "(no account)"


class OppAdapter(Adapter):
    entity = "opp"
    model = Opportunity
    fields = {
        "title": ["opportunity name", "deal name", "opportunity", "deal", "name", "subject", "商机", "商机名称"],
        "customer": ["account", "account name", "company", "company name", "customer name", "organization",
                     "客户", "客户名称", "公司"],
        "amount": ["close value", "deal amount", "deal value", "value", "expected revenue", "金额", "商机金额"],
        "currency": ["currency code", "币种", "货币"],
        "pipeline": ["sales pipeline", "pipeline name", "销售流程"],
        "stage": ["deal stage", "sales stage", "stage name", "阶段", "销售阶段"],
        "probability": ["probability (%)", "win probability", "赢率", "概率"],
        "expected_close": ["close date", "expected close date", "expected close", "closing date",
                           "预计成交日期", "成交日期"],
        "created": ["engage date", "created date", "create date", "created on", "opened", "创建日期"],
        "owner": ["sales agent", "opportunity owner", "assigned to", "salesperson", "sales rep", "负责人", "销售"],
        "source": ["lead source", "来源"],
        "campaign": ["campaign name", "活动"],
        "product": ["product name", "产品"],
        "next_step": ["next step", "下一步"],
        "lost_reason": ["loss reason", "lost reason", "reason lost", "输单原因"],
        "notes": ["description", "note", "comments", "备注"],
        "external_id": ["opportunity id", "deal id", "external id", "xml id", "商机编号"],
    }
    required = ("title", "external_id", "product")
    keys = ()
    label = "title"
    export_columns = ["id", "title", "customer", "pipeline", "stage", "status", "amount", "currency",
                      "probability", "expected_close", "created", "owner", "source", "campaign", "next_step",
                      "lost_reason", "external_id", "notes"]

    def prepare(self, session, opts) -> None:
        from crm_cli.core.config import default_currency
        from crm_cli.services import identity, pipelines

        self.currency = default_currency()

        self.users: dict[str, int] = {}
        for ident, handle, name in session.execute(select(User.id, User.handle, User.name)):
            self.users.setdefault(handle.lower(), ident)
            if name:
                self.users.setdefault(" ".join(name.split()).lower(), ident)
        self.default_owner = identity.user_ref(session, opts.defaults.get("owner")).id
        self.default_pipeline = pipelines.default_pipeline(session)
        self.pipelines: dict[str, tuple] = {}
        self.customers: dict[str, int | None] = {}
        self.no_account: int | None = None
        self._pipeline(None)

    def _pipeline(self, name: str | None):
        key = (name or "").lower()
        if key not in self.pipelines:
            from crm_cli.services import pipelines

            if name:
                rows = self.session.execute(select(Pipeline).where(func.lower(Pipeline.name) == key,
                                                                   Pipeline.deleted_at.is_(None))).scalars().all()
                if len(rows) != 1:
                    raise RowError(f"no pipeline '{name}'", "pipeline")
                p = rows[0]
            else:
                p = self.default_pipeline
            stages = pipelines.stage_lookup(self.session, p)
            first = pipelines.first_open_stage(self.session, p)
            self.pipelines[key] = (p, stages, first)
        return self.pipelines[key]

    def _customer(self, text: str | None) -> int:
        if not text:
            if self.no_account is None:
                conn = self.session.connection()
                hit = conn.execute(select(Customer.id).where(Customer.name == NO_ACCOUNT,
                                                             Customer.deleted_at.is_(None))).scalar()
                if hit is None:
                    from crm_cli.core import context

                    hit = conn.execute(insert(Customer).values(
                        name=NO_ACCOUNT, status="prospect", custom={}, name_key=normalize.name_key(NO_ACCOUNT),
                        created_at=context.now(), updated_at=context.now(), created_by=context.current_handle())
                        .returning(Customer.id)).scalar()
                self.no_account = hit
            return self.no_account
        from crm_cli.importer.base import customer_by_name

        return customer_by_name(self.session.connection(), self.customers, text)

    def _owner(self, text: str | None) -> int:
        if not text:
            return self.default_owner
        hit = self.users.get(" ".join(text.split()).lower())
        if hit is None:
            raise RowError(f"no user '{text}' (add it with 'crm user add HANDLE --name \"{text}\"')", "owner")
        return hit

    def clean(self, raw: dict) -> dict:
        from crm_cli.core.money import parse_money
        from crm_cli.core.validation import column_text
        from crm_cli.services import pipelines

        pipe, stages, first = self._pipeline(raw.get("pipeline"))
        stage = first
        if raw.get("stage"):
            stage = stages.get(raw["stage"].strip().lower())
            if stage is None:
                raise RowError(f"no stage '{raw['stage']}' in pipeline '{pipe.name}' "
                               f"(stages: {', '.join(s.name for s in stages.values())})", "stage")
        title = raw.get("title") or " ".join(x for x in (raw.get("product"), raw.get("customer")) if x) \
            or raw.get("external_id")
        if len(title) > 300:
            raise RowError("is longer than 300 characters", "title")
        for f in ("title", "lost_reason", "source", "campaign", "next_step", "notes"):  # as OppIn: length, control
            try:
                column_text(Opportunity, f, title if f == "title" else raw.get(f))
            except ValueError as exc:
                raise RowError(str(exc), f) from None
        money = parse_money(raw["amount"], raw.get("currency"), default=self.currency,
                            option="amount") if raw.get("amount") else None
        prob = stage.probability
        if raw.get("probability"):
            try:
                prob = int(float(raw["probability"].rstrip("%")))
            except ValueError:
                raise RowError(f"'{raw['probability']}' is not a number", "probability") from None
            pipelines.check_probability(prob, "probability")
        close = _date(raw.get("expected_close"), "expected_close")
        created = _date(raw.get("created"), "created")
        status = {"won": "won", "lost": "lost"}.get(stage.kind, "open")
        rec = {"title": title, "customer_id": self._customer(raw.get("customer")), "pipeline_id": pipe.id,
               "stage_id": stage.id, "owner_id": self._owner(raw.get("owner")), "status": status,
               "amount": money.minor if money else None,
               "currency": money.currency if money else (raw.get("currency") or "").upper() or None,
               "probability": 100 if status == "won" else 0 if status == "lost" else prob,
               "probability_set": bool(raw.get("probability")) and status == "open",
               "expected_close": close, "closed_at": None, "closed_on": None, "cycle_days": None,
               "lost_reason": raw.get("lost_reason") if status == "lost" else None,
               "source": raw.get("source"), "campaign": raw.get("campaign"), "next_step": raw.get("next_step"),
               "notes": raw.get("notes"), "lead_id": None, "lost_to_id": None}
        if created is not None:
            rec["created_at"] = _utc(created)
        if status in ("won", "lost"):
            if close is None:
                raise RowError(f"a {status} opportunity needs its close date", "expected_close")
            rec["closed_on"] = close
            rec["closed_at"] = _utc(close)
            if created is not None:
                rec["cycle_days"] = max(0, (close - created).days)
        rec["stage_changed_at"] = rec["closed_at"] or rec.get("created_at") or self.opts_now()
        if raw.get("product"):
            rec["custom"] = {"product": raw["product"]}
        return rec

    def opts_now(self):
        from crm_cli.core import context

        return context.now()

    def export_query(self, session, filters: dict):
        """The export as a Core select of the columns it writes, by id."""
        self.check_filters(filters, ())
        o = Opportunity.__table__.c
        return (select(o.id, o.title, o.status, o.amount, o.currency, o.probability, o.expected_close, o.created_at,
                       o.source, o.campaign, o.next_step, o.lost_reason, o.external_id, o.notes, o.custom,
                       Customer.name.label("customer"), Pipeline.name.label("pipeline"), Stage.name.label("stage"),
                       User.handle.label("owner"))
                .join(Customer, Customer.id == Opportunity.customer_id)
                .join(Pipeline, Pipeline.id == Opportunity.pipeline_id)
                .join(Stage, Stage.id == Opportunity.stage_id)
                .outerjoin(User, User.id == Opportunity.owner_id)
                .where(Opportunity.deleted_at.is_(None)).order_by(Opportunity.id))

    def export_rows(self, session, filters: dict) -> Iterator[dict]:
        from crm_cli.core.dates import to_local
        from crm_cli.core.money import Money
        from crm_cli.services.listing import stream_chunks

        for chunk in stream_chunks(session, self.export_query(session, filters)):
            for o in chunk:
                yield {"id": o.id, "title": o.title, "customer": o.customer, "pipeline": o.pipeline, "stage": o.stage,
                       "status": o.status,
                       "amount": Money(o.amount, o.currency).plain() if o.amount is not None else None,
                       "currency": o.currency, "probability": o.probability, "expected_close": o.expected_close,
                       "created": to_local(o.created_at).date(), "owner": o.owner, "source": o.source,
                       "campaign": o.campaign, "next_step": o.next_step, "lost_reason": o.lost_reason,
                       "external_id": o.external_id, "notes": o.notes, "custom": dict(o.custom or {})}


def _date(text: str | None, field: str):
    """The date in `text` (None when empty); one it cannot read rejects the row, about `field`."""
    from crm_cli.core.dates import parse_date
    from crm_cli.core.errors import ValidationError

    if not text:
        return None
    try:
        return parse_date(text, option=field)
    except ValidationError as exc:
        raise RowError(str(exc), field) from None


def _utc(d) -> datetime:
    """Local midnight of date `d`, as UTC."""
    from crm_cli.core import context

    return datetime.combine(d, time()).replace(tzinfo=context.tz()).astimezone(timezone.utc)
