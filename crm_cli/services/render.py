"""Documents to send: a quote rendered as plain text, Markdown or print-ready HTML (UTF-8, CJK fonts).

The company's name and address come from config (`company_name`, `company_address`); everything
else from the quote. Text is escaped for the target format; amounts are shown with the currency.
"""

from __future__ import annotations

import html

from crm_cli.core.money import Money
from crm_cli.models import Contact, Customer


def _data(session, q) -> dict:
    from crm_cli.core import config
    from crm_cli.models.document import QuoteLine
    from crm_cli.services import documents, quotes

    customer = session.get(Customer, q.customer_id)
    contact = session.get(Contact, q.contact_id) if q.contact_id else None
    lines = documents.lines_of(session, QuoteLine, "quote_id", q.id)
    return {
        "company": str(config.get("company_name") or ""), "address": str(config.get("company_address") or ""),
        "title": f"Quote {quotes.label(q)}", "customer": customer.name if customer else "",
        "customer_address": (customer.address or "") if customer else "", "contact": contact.name if contact else "",
        "date": q.issued_on.isoformat(), "valid_until": q.valid_until.isoformat(),
        "terms": f"{q.payment_terms} days" if q.payment_terms is not None else "",
        "status": quotes.status_of(q), "notes": q.notes or "", "currency": q.currency,
        "lines": [{"no": str(x.position), "item": (f"{x.sku} " if x.sku else "") + x.description,
                   "qty": f"{documents.qty_text(x.qty)} {x.unit}",
                   "price": Money(x.unit_price, q.currency).display(),
                   "discount": (documents.docmoney.percent_text(documents.d6(x.discount)) + "%") if x.discount else "",
                   "tax": documents.docmoney.percent_text(documents.d6(x.tax_rate)) + "%"
                   + (" incl." if x.tax_included else ""),
                   "amount": Money(x.total, q.currency).display()} for x in lines],
        "totals": [("Subtotal", Money(q.subtotal, q.currency).display()),
                   ("Discount", Money(-q.discount if q.discount else 0, q.currency).display()),
                   ("Tax", Money(q.tax, q.currency).display()),
                   ("Total", Money(q.total, q.currency).display())],
    }


HEAD = ("#", "Item", "Qty", "Unit price", "Discount", "Tax", "Amount")
KEYS = ("no", "item", "qty", "price", "discount", "tax", "amount")


def quote(session, q, kind: str) -> str:
    d = _data(session, q)
    if kind == "html":
        return _html(d)
    if kind == "markdown":
        return _markdown(d)
    return _text(d)


def _clean(text: str) -> str:
    """No control characters in a document (a stored value cannot restyle a terminal or a page)."""
    return "".join(ch if ch.isprintable() or ch in "\n" else " " for ch in text)


def _text(d: dict) -> str:
    from rich.cells import cell_len

    def pad(text: str, width: int, right: bool = False) -> str:
        gap = " " * max(width - cell_len(text), 0)
        return gap + text if right else text + gap

    out = [x for x in (d["company"], d["address"]) if x]
    out += ["", d["title"], "", f"To: {d['customer']}" + (f" ({d['contact']})" if d["contact"] else "")]
    if d["customer_address"]:
        out.append(f"    {d['customer_address']}")
    out += [f"Date: {d['date']}    Valid until: {d['valid_until']}" + (f"    Payment terms: {d['terms']}"
                                                                        if d["terms"] else ""), ""]
    rows = [HEAD] + [tuple(_clean(line[k]) for k in KEYS) for line in d["lines"]]
    widths = [max(cell_len(r[i]) for r in rows) for i in range(len(HEAD))]
    right = {0, 2, 3, 4, 5, 6}
    for n, r in enumerate(rows):
        out.append("  ".join(pad(r[i], widths[i], i in right) for i in range(len(HEAD))).rstrip())
        if n == 0:
            out.append("  ".join("-" * w for w in widths))
    width = max(cell_len(x) for x in out) if out else 40
    out.append("")
    for name, value in d["totals"]:
        out.append(pad(f"{name}: {value}", width, True))
    if d["notes"]:
        out += ["", _clean(d["notes"])]
    return "\n".join(_clean(x) for x in out) + "\n"


def _md(text: str) -> str:
    return _clean(text).replace("\\", "\\\\").replace("|", "\\|").replace("\n", " ")


def _markdown(d: dict) -> str:
    out = []
    if d["company"]:
        out.append(f"**{_md(d['company'])}**" + (f"  \n{_md(d['address'])}" if d["address"] else ""))
        out.append("")
    out += [f"# {_md(d['title'])}", "",
            f"- To: {_md(d['customer'])}" + (f" ({_md(d['contact'])})" if d["contact"] else ""),
            f"- Date: {d['date']}", f"- Valid until: {d['valid_until']}"]
    if d["terms"]:
        out.append(f"- Payment terms: {d['terms']}")
    out += ["", "| " + " | ".join(HEAD) + " |", "|---:|---|---:|---:|---:|---:|---:|"]
    for line in d["lines"]:
        out.append("| " + " | ".join(_md(line[k]) for k in KEYS) + " |")
    out += ["", "| | |", "|---|---:|"] + [f"| {n} | {v} |" for n, v in d["totals"]]
    if d["notes"]:
        out += ["", _md(d["notes"])]
    return "\n".join(out) + "\n"


def _html(d: dict) -> str:
    e = lambda s: html.escape(_clean(s))  # noqa: E731
    rows = "\n".join("<tr>" + "".join(f'<td class="{k}">{e(line[k])}</td>' for k in KEYS) + "</tr>"
                     for line in d["lines"])
    totals = "\n".join(f"<tr><th>{e(n)}</th><td>{e(v)}</td></tr>" for n, v in d["totals"])
    terms = f"<p>Payment terms: {e(d['terms'])}</p>" if d["terms"] else ""
    notes = f'<p class="notes">{e(d["notes"])}</p>' if d["notes"] else ""
    return f"""<!DOCTYPE html>
<html lang="zh-CN">
<head>
<meta charset="utf-8">
<title>{e(d['title'])}</title>
<style>
  @page {{ size: A4; margin: 18mm; }}
  body {{ font-family: "Noto Sans CJK SC", "Source Han Sans SC", "PingFang SC", "Microsoft YaHei",
         "WenQuanYi Micro Hei", "Helvetica Neue", Arial, sans-serif; font-size: 10.5pt; color: #111; }}
  header {{ display: flex; justify-content: space-between; border-bottom: 2px solid #333; padding-bottom: 6pt; }}
  h1 {{ font-size: 16pt; margin: 12pt 0 6pt; }}
  table.lines {{ width: 100%; border-collapse: collapse; margin-top: 10pt; }}
  table.lines th, table.lines td {{ border-bottom: 1px solid #ccc; padding: 4pt; vertical-align: top; }}
  table.lines td.no, td.qty, td.price, td.discount, td.tax, td.amount {{ text-align: right; white-space: nowrap; }}
  table.totals {{ margin-left: auto; margin-top: 8pt; }}
  table.totals th {{ text-align: left; padding-right: 16pt; }}
  table.totals td {{ text-align: right; }}
  table.totals tr:last-child {{ font-weight: bold; border-top: 2px solid #333; }}
  tr {{ page-break-inside: avoid; }}
</style>
</head>
<body>
<header><div><strong>{e(d['company'])}</strong><br>{e(d['address'])}</div>
<div>{e(d['title'])}<br>Date: {e(d['date'])}<br>Valid until: {e(d['valid_until'])}</div></header>
<h1>{e(d['title'])}</h1>
<p>To: <strong>{e(d['customer'])}</strong>{(' (' + e(d['contact']) + ')') if d['contact'] else ''}<br>
{e(d['customer_address'])}</p>
<table class="lines">
<thead><tr>{''.join(f'<th>{e(h)}</th>' for h in HEAD)}</tr></thead>
<tbody>
{rows}
</tbody>
</table>
<table class="totals">
{totals}
</table>
{terms}
{notes}
</body>
</html>
"""
