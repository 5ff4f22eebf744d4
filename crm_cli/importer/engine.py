"""The import engine: map, clean, dedupe, upsert and write in chunks, atomically, in constant memory.

One transaction: rows are inserted chunk by chunk with Core executemany (earlier chunks are then
visible to the duplicate checks of later ones through indexed lookups, so no key set grows with
the file). At the end the transaction commits, or rolls back on --dry-run, on rejects without
--allow-rejects, on any error and on Ctrl-C.
"""

from __future__ import annotations

import csv
import sys
from dataclasses import asdict, dataclass, field

from sqlalchemy import insert, literal, select, update

from crm_cli.errors import CrmError, UsageError, ValidationError
from crm_cli.importer.base import Adapter, Options, RowError, header_key

IGNORE = {"ignore", "-", "skip", ""}


@dataclass
class Summary:
    entity: str
    file: str
    batch: int | None = None
    encoding: str = ""
    delimiter: str = ""
    read: int = 0
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    skipped: int = 0
    rejected: int = 0
    written: bool = False
    dry_run: bool = False
    mapping: dict = field(default_factory=dict)
    unmapped: list = field(default_factory=list)
    rejects_file: str | None = None
    first_rejects: list = field(default_factory=list)

    def as_dict(self) -> dict:
        return asdict(self)


# ---- header mapping -------------------------------------------------------------------------------

def plan_columns(adapter: Adapter, header: list[str], opts: Options, name: str):
    """-> (field -> [column indexes by priority], custom key -> index, unmapped headers)."""
    seen: dict[str, int] = {}
    for i, h in enumerate(header):
        if not h:
            continue
        k = h.casefold()
        if k in seen:
            raise ValidationError(f"{name}: the column '{h}' appears twice (columns {seen[k] + 1} and {i + 1})",
                                  "rename one of them, or remove it")
        seen[k] = i
    aliases = adapter.alias_table()
    known_fields = set(adapter.fields) | {p for parts in adapter.combine.values() for p in parts}
    overrides: dict[int, str] = {}
    for src, dst in (opts.mapping or {}).items():
        idx = seen.get(src.strip().casefold())
        if idx is None:
            raise UsageError(f"--map: the file has no column '{src}'", "columns: " + ", ".join(h for h in header if h))
        dst = dst.strip()
        if dst.lower() in IGNORE:
            overrides[idx] = ""
        elif dst.startswith("custom."):
            overrides[idx] = dst
        else:
            target = aliases.get(header_key(dst), (None, 0))[0] if dst not in known_fields else dst
            if target is None:
                raise UsageError(f"--map: '{dst}' is not a {adapter.entity} field",
                                 "fields: " + ", ".join(sorted(known_fields)) + ", custom.KEY, ignore")
            overrides[idx] = target
    candidates: dict[str, list[tuple[int, int]]] = {}
    custom: dict[str, int] = {}
    unmapped: list[str] = []
    ignore = set(adapter.ignore)
    for i, h in enumerate(header):
        if not h and i not in overrides:
            continue
        if i in overrides:
            target = overrides[i]
            if not target:
                continue
            if target.startswith("custom."):
                custom[target[7:]] = i
                continue
            candidates.setdefault(target, []).append((-1, i))
            continue
        if h.lower().startswith("custom.") and len(h) > 7:
            custom[h[7:]] = i
            continue
        hk = header_key(h)
        hit = aliases.get(hk)
        if hit:
            candidates.setdefault(hit[0], []).append((hit[1], i))
        elif hk in ignore:
            continue
        elif opts.keep_extra:
            custom[h] = i
        else:
            unmapped.append(h)
    plan = {f: [i for _p, i in sorted(c)] for f, c in candidates.items()}
    if not plan:
        raise ValidationError(f"{name}: none of the columns is a {adapter.entity} field "
                              f"(columns: {', '.join(h for h in header if h)[:200]})",
                              "name them with --map 'Header=field'")
    parts_ok = {target for target, parts in adapter.combine.items() if any(p in plan for p in parts)}
    if adapter.required and not any(r in plan or r in parts_ok for r in adapter.required):
        raise ValidationError(f"{name}: no column for {' or '.join(adapter.required)} "
                              f"(columns: {', '.join(h for h in header if h)[:200]})",
                              "name one with --map 'Header=" + adapter.required[0] + "'")
    return plan, custom, unmapped


def _unquote(v: str) -> str:
    # the export layer protects cells starting with = + - @ by a leading quote; take it off again
    if len(v) > 1 and v[0] == "'" and v[1] in "=+-@\t\r":
        return v[1:]
    return v


# ---- the run ----------------------------------------------------------------------------------------

def run_import(entity: str, path: str, opts: Options) -> Summary:
    from crm_cli import context, db
    from crm_cli.importer import adapters, reader
    from crm_cli.models.lead import ImportBatch
    from crm_cli.models.system import History
    from crm_cli.models.base import UTCDateTime

    if opts.on_duplicate not in ("skip", "update", "error"):
        raise UsageError(f"--on-duplicate must be skip, update or error, not '{opts.on_duplicate}'")
    adapter = adapters.get(entity)
    table = reader.open_table(path, opts.encoding, opts.delimiter)
    plan, custom_cols, unmapped = plan_columns(adapter, table.header, opts, table.name)
    summary = Summary(entity=entity, file=table.name, encoding=table.encoding,
                      delimiter={"\t": "tab"}.get(table.delimiter, table.delimiter), dry_run=opts.dry_run,
                      mapping={f: [table.header[i] for i in idx] for f, idx in plan.items()}, unmapped=unmapped,
                      rejects_file=opts.rejects)
    ncols = len(table.header)
    model_t = adapter.model.__table__
    has_custom = "custom" in model_t.c
    now = context.now()
    user = context.current_handle()
    rejects_fh = rejects_writer = None
    if opts.rejects:
        try:
            rejects_fh = open(opts.rejects, "w", newline="", encoding="utf-8")
        except OSError as exc:
            raise CrmError(f"--rejects: cannot write {opts.rejects}: {exc.strerror}") from None
        rejects_writer = csv.writer(rejects_fh)
        rejects_writer.writerow(["line", *table.header, "reason"])

    def reject(line: int, row: list[str], reason: str) -> None:
        summary.rejected += 1
        if len(summary.first_rejects) < 5:
            summary.first_rejects.append(f"line {line}: {reason}")
        if rejects_writer:
            rejects_writer.writerow([line, *row, reason])

    combine = [(target, [p for p in parts if p in plan]) for target, parts in adapter.combine.items()]
    combine = [(t, ps) for t, ps in combine if ps]
    single = [(f, idx[0]) for f, idx in plan.items() if len(idx) == 1]
    multi = [(f, idx) for f, idx in plan.items() if len(idx) > 1]
    custom_items = list(custom_cols.items())
    keys = adapter.keys
    required = adapter.required
    base_row = {"created_at": now, "updated_at": now, "created_by": user}
    progress = opts.progress and sys.stderr.isatty()

    try:
        with db.session_scope() as session:
            conn = session.connection()
            batch_id = conn.execute(insert(ImportBatch.__table__).values(
                entity=entity, file_name=table.name[:500], user=user, started_at=now, read=0, created=0,
                updated=0, unchanged=0, skipped=0, rejected=0, status="done")).inserted_primary_key[0]
            summary.batch = batch_id
            base_row["import_batch_id"] = batch_id
            adapter.session, adapter.opts = session, opts
            adapter.prepare(session, opts)
            pending: list = []

            def flush():
                _flush(conn, adapter, pending, summary, reject, opts, base_row, has_custom, now, user, History)
                pending.clear()
                if progress:
                    sys.stderr.write(f"\r{table.name}: {summary.read} rows read, {summary.created} new, "
                                     f"{summary.rejected} rejected")
                    sys.stderr.flush()

            for line, row in table.rows:
                summary.read += 1
                n = len(row)
                if n != ncols:
                    if n > ncols:
                        if any(c.strip() for c in row[ncols:]):
                            reject(line, row, f"{n} fields, but the header has {ncols}")
                            continue
                        row = row[:ncols]
                    else:
                        row = row + [""] * (ncols - n)
                raw = {}
                for f, i in single:
                    v = row[i]
                    if v:
                        v = v.strip()
                        if v:
                            raw[f] = _unquote(v) if v[0] == "'" else v
                for f, idx in multi:
                    for i in idx:
                        v = row[i].strip()
                        if v:
                            raw[f] = _unquote(v) if v[0] == "'" else v
                            break
                for target, parts in combine:
                    if target not in raw:
                        got = [raw.pop(p) for p in parts if p in raw]
                        if got:
                            sep = "" if all(_is_cjk(g) for g in got) else " "
                            raw[target] = sep.join(got)
                    else:
                        for p in parts:
                            raw.pop(p, None)
                if required and not any(r in raw for r in required):
                    reject(line, row, f"no {' or '.join(required)}")
                    continue
                try:
                    rec = adapter.clean(raw)
                except (RowError, ValidationError) as exc:
                    reject(line, row, str(exc))
                    continue
                if custom_items:
                    extra = {}
                    for k, i in custom_items:
                        v = row[i].strip()
                        if v:
                            extra[k] = v
                    if extra:
                        if not has_custom:
                            reject(line, row, f"{entity} has no custom fields")
                            continue
                        rec["custom"] = extra
                rec["external_id"] = raw.get("external_id")
                pending.append((line, row, rec, [rec.get(k) for k in keys]))
                if len(pending) >= opts.chunk_size:
                    flush()
            if pending:
                flush()
            if summary.read == 0:
                raise ValidationError(f"{table.name} has a header but no rows", "nothing was imported")
            if progress:
                sys.stderr.write("\n")
            # history: one 'create' row per new record, in SQL (no ids pulled into Python)
            if summary.created:
                cols = ["entity", "entity_id", "action", "field", "old", "new", "user", "at"]
                sel = select(literal(entity), model_t.c.id, literal("create"), literal(None),
                             literal(None), literal(f"import batch {batch_id}"), literal(user),
                             literal(now, UTCDateTime())).where(model_t.c.import_batch_id == batch_id)
                conn.execute(insert(History.__table__).from_select(cols, sel))
            conn.execute(update(ImportBatch.__table__).where(ImportBatch.__table__.c.id == batch_id).values(
                finished_at=context.now(), read=summary.read, created=summary.created, updated=summary.updated,
                unchanged=summary.unchanged, skipped=summary.skipped, rejected=summary.rejected))
            if opts.dry_run or (summary.rejected and not opts.allow_rejects):
                session.rollback()
                summary.written = False
                summary.batch = None
            else:
                summary.written = True
    finally:
        if rejects_fh:
            rejects_fh.close()
    return summary


def _is_cjk(text: str) -> bool:
    return bool(text) and all("\u2e80" <= ch <= "\u9fff" or "\uf900" <= ch <= "\ufaff" for ch in text)


def _flush(conn, adapter, pending, summary, reject, opts, base_row, has_custom, now, user, History):
    t = adapter.model.__table__
    keys = adapter.keys
    # 1. existing records by external id (trashed ones too: a re-import brings them back)
    ext_ids = _padded({rec["external_id"] for _l, _r, rec, _k in pending if rec["external_id"]})
    by_ext: dict = {}
    if ext_ids:
        for ident, ext, deleted in conn.execute(select(t.c.id, t.c.external_id, t.c.deleted_at)
                                                .where(t.c.external_id.in_(ext_ids))):
            by_ext[ext] = (ident, deleted)
    # 2. existing records by duplicate keys (indexed lookups, one query per key and table)
    found: list[dict] = []
    for pos, key in enumerate(keys):
        values = _padded({kv[pos] for _l, _r, _rec, kv in pending if kv[pos]})
        found.append(adapter.match(conn, key, values) if values else {})
    creates: list[dict] = []
    new_by_key: list[dict] = [dict() for _ in keys]
    new_by_ext: dict = {}
    updates: dict[int, dict] = {}
    restores: list[int] = []
    for line, row, rec, kv in pending:
        ext = rec["external_id"]
        target = None
        if ext:
            if ext in new_by_ext:
                _merge(new_by_ext[ext], rec)
                summary.updated += 1
                continue
            hit = by_ext.get(ext)
            if hit:
                target = hit[0]
                if hit[1] is not None:
                    restores.append(target)
        if target is None:
            dup = None
            for pos, value in enumerate(kv):
                if not value:
                    continue
                if value in new_by_key[pos]:
                    dup = ("new", new_by_key[pos][value], keys[pos])
                    break
                if value in found[pos]:
                    dup = ("db", found[pos][value], keys[pos])
                    break
            if dup is not None:
                where, what, key = dup
                if where == "new":
                    label = f"line {what['__line']} of this file"
                else:
                    label = f"{what[0]} {what[1]} '{what[2]}'"
                if opts.on_duplicate == "error":
                    reject(line, row, f"duplicate: same {adapter.describe(key)} as {label}")
                    continue
                if opts.on_duplicate == "update":
                    if where == "new":
                        _merge(what, rec)
                        summary.updated += 1
                        continue
                    if what[0] == adapter.entity:
                        target = what[1]
                if target is None:
                    summary.skipped += 1
                    continue
        if target is not None:
            if target in updates:  # an earlier row of this chunk goes to the same record
                _merge(updates[target], rec)
                summary.updated += 1
            else:
                updates[target] = rec
            continue
        new = dict(base_row)
        new.update(rec)
        new["__line"] = line
        if has_custom and "custom" not in new:
            new["custom"] = {}
        creates.append(new)
        if ext:
            new_by_ext[ext] = new
        for pos, value in enumerate(kv):
            if value:
                new_by_key[pos].setdefault(value, new)
    if creates:
        for r in creates:
            r.pop("__line", None)
        _fast_insert(conn, t, creates)
        summary.created += len(creates)
    if updates:
        _apply_updates(conn, adapter, t, updates, set(restores), summary, has_custom, now, user, History)


_INSERTS: dict = {}


def _fast_insert(conn, t, rows: list[dict]) -> None:
    """Core executemany without per-row statement machinery: the INSERT is compiled once per column
    set, values go through each column type's bind processor (memoised for repeated values such as
    the batch's timestamps), and the driver gets plain tuples (or dicts for named paramstyles)."""
    dialect = conn.dialect
    names = sorted(set().union(*[r.keys() for r in rows]))
    cache_key = (dialect.name, t.name, tuple(names))
    entry = _INSERTS.get(cache_key)
    if entry is None:
        compiled = insert(t).compile(dialect=dialect, column_keys=names)
        order = list(compiled.positiontup) if compiled.positional else names
        procs = [t.c[n].type.dialect_impl(dialect).bind_processor(dialect) for n in order]
        entry = _INSERTS[cache_key] = (str(compiled), order, procs, compiled.positional)
    sql, order, procs, positional = entry
    memo: list = [(object(), None) for _ in order]
    out = []
    for r in rows:
        vals = []
        for pos, name in enumerate(order):
            v = r.get(name)
            proc = procs[pos]
            if proc is not None and v is not None:
                last_in, last_out = memo[pos]
                if v is last_in:
                    v = last_out
                else:
                    pv = proc(v)
                    memo[pos] = (v, pv)
                    v = pv
            vals.append(v)
        out.append(tuple(vals) if positional else dict(zip(order, vals)))
    conn.exec_driver_sql(sql, out)


def _padded(values: set) -> list:
    """The values, padded (repeating one) to a multiple of 512: few distinct IN (...) statements,
    so the driver's prepared-statement cache stays small whatever the file."""
    out = list(values)
    if out:
        out.extend([out[0]] * (-len(out) % 512))
    return out


def _merge(into: dict, rec: dict) -> None:
    for k, v in rec.items():
        if v in (None, "", {}):
            continue
        if k == "custom" and isinstance(into.get("custom"), dict):
            into["custom"] = {**into["custom"], **v}
        else:
            into[k] = v


def _apply_updates(conn, adapter, t, updates, restores, summary, has_custom, now, user, History):
    ids = list(updates)
    current = {r._mapping["id"]: r._mapping for r in conn.execute(select(t).where(t.c.id.in_(ids)))}
    history = []
    for ident, rec in updates.items():
        cur = current.get(ident)
        if cur is None:
            continue
        changes = {}
        for k, v in rec.items():
            if v in (None, "", {}) or k not in t.c or k in ("id", "import_batch_id"):
                continue
            if k == "custom":
                merged = {**(cur["custom"] or {}), **v}
                if merged != (cur["custom"] or {}):
                    changes[k] = merged
            elif cur[k] != v:
                changes[k] = v
        if ident in restores:
            changes["deleted_at"] = None
        if not changes:
            summary.unchanged += 1
            continue
        shown = sorted(k for k in changes if not k.endswith("_key"))
        changes["updated_at"] = now
        conn.execute(update(t).where(t.c.id == ident).values(**changes))
        summary.updated += 1
        history.append(dict(entity=adapter.entity, entity_id=ident,
                            action="restore" if ident in restores else "update", field=None, old=None,
                            new=f"import batch {summary.batch}: " + ", ".join(shown), user=user, at=now))
    if history:
        conn.execute(insert(History.__table__), history)
