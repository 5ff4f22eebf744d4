"""crm kb: the knowledge base — articles that answer recurring problems, ranked full-text search,
and the tickets an article solved."""

from __future__ import annotations

from typing import Annotated, List, Optional

import typer

from crm_cli.core.options import FormatOpt, JsonOpt, LimitOpt, OffsetOpt, QuietOpt, YesOpt, search_opt, sort_opt

app = typer.Typer(help="Knowledge base: articles (title, Markdown body, tags, product), ranked search in any "
                  "language, links to the tickets they solved.", no_args_is_help=True)

Ref = Annotated[str, typer.Argument(help="Article id or title.", show_default=False)]
BodyOpt = Annotated[Optional[str], typer.Option("--body", "-b", help="The text (Markdown).")]
BodyFileOpt = Annotated[Optional[str], typer.Option("--body-file", help="Read the body from a file ('-': stdin).")]
TagOpt = Annotated[Optional[List[str]], typer.Option("--tag", help="A tag (repeatable, or comma-separated).")]
ProductOpt = Annotated[Optional[str], typer.Option("--product", help="The product it is about.")]


def _body(body: str | None, body_file: str | None) -> str | None:
    from crm_cli.core.errors import CrmError, UsageError

    if body is not None and body_file is not None:
        raise UsageError("give --body or --body-file, not both")
    if body_file is None:
        return body
    import sys

    try:
        if body_file == "-":
            return sys.stdin.read()
        with open(body_file, encoding="utf-8") as fh:
            return fh.read()
    except OSError as exc:
        raise CrmError(f"--body-file: cannot read {body_file}: {exc.strerror}") from None
    except UnicodeDecodeError:
        raise CrmError(f"--body-file: {body_file} is not UTF-8 text", "save it as UTF-8") from None


@app.command("add")
def add(title: Annotated[Optional[str], typer.Argument(help="The problem it answers (one line).",
                                                       show_default=False)] = None,
        body: BodyOpt = None, body_file: BodyFileOpt = None, tag: TagOpt = None, product: ProductOpt = None,
        quiet: QuietOpt = False) -> None:
    """Add an article."""
    from crm_cli.core import db, prompts
    from crm_cli.core.output import created
    from crm_cli.services import kb

    title = prompts.require(title, "TITLE", "Title")
    text = _body(body, body_file)
    with db.session_scope() as s:
        a = kb.add(s, title, text, tag, product)
        created("article", a.id, a.title, quiet)


@app.command("list")
def list_(product: ProductOpt = None,
          search: search_opt("Text in the title, body, tags or product.") = None,
          sort: sort_opt("title|id|created|updated|product") = "title",
          limit: LimitOpt = None, offset: OffsetOpt = 0, fmt: FormatOpt = None, as_json: JsonOpt = False) -> None:
    """List articles."""
    from crm_cli.core import db
    from crm_cli.core.output import emit
    from crm_cli.services import kb

    with db.session_scope() as s:
        rows = kb.list_articles(s, product=product, search_text=search, sort=sort, limit=limit, offset=offset)
    emit(rows, kb.COLUMNS, fmt, as_json)


@app.command("show")
def show(ref: Ref, fmt: FormatOpt = None, as_json: JsonOpt = False) -> None:
    """An article, with the tickets it solved."""
    from crm_cli.core import db
    from crm_cli.core.output import emit_record
    from crm_cli.models.kb import KbArticle
    from crm_cli.services import kb, resolve

    with db.session_scope() as s:
        a = resolve.get(s, KbArticle, ref)
        rec = kb.record(a)
        tickets = kb.tickets_for_article(s, a.id)
    emit_record(rec, fmt, as_json, sections=[("tickets", tickets, kb.TICKET_COLUMNS)])


@app.command("edit")
def edit(ref: Ref, title: Annotated[Optional[str], typer.Option("--title")] = None,
         body: BodyOpt = None, body_file: BodyFileOpt = None,
         tag: Annotated[Optional[List[str]], typer.Option("--tag", help="Replace the tags (repeatable).")] = None,
         add_tag: Annotated[Optional[List[str]], typer.Option("--add-tag")] = None,
         remove_tag: Annotated[Optional[List[str]], typer.Option("--remove-tag")] = None,
         product: Annotated[Optional[str], typer.Option("--product", help="'' to clear.")] = None) -> None:
    """Change an article (every change is in `crm history kb ID`)."""
    from crm_cli.core import db
    from crm_cli.core.output import info
    from crm_cli.models.kb import KbArticle
    from crm_cli.services import kb, resolve

    text = _body(body, body_file)
    with db.session_scope() as s:
        a = resolve.get(s, KbArticle, ref)
        kb.edit(s, a, title=title, body=text, tags=tag, add_tags=add_tag, remove_tags=remove_tag, product=product)
        info(f"updated article {a.id}: {a.title}")


@app.command("delete")
def delete(ref: Ref, yes: YesOpt = False) -> None:
    """Move an article to the trash (crm trash restore kb ID brings it back)."""
    from crm_cli.core import context, db, prompts
    from crm_cli.core.output import info
    from crm_cli.models.kb import KbArticle
    from crm_cli.services import kb, resolve

    with db.session_scope() as s:
        a = resolve.get(s, KbArticle, ref)
        prompts.confirm(f"Delete article {a.id} '{a.title}'?", yes)
        kb.soft_delete(s, a, context.now())
        info(f"article {a.id} moved to the trash")


@app.command("search")
def search(text: Annotated[str, typer.Argument(help="Words or fragments (any 2+ characters of Chinese).")],
           limit: LimitOpt = 10,
           fmt: FormatOpt = None, as_json: JsonOpt = False) -> None:
    """Articles containing every word of TEXT, best match first (a word in the title counts most)."""
    from crm_cli.core import db
    from crm_cli.core.output import emit
    from crm_cli.services import kb

    with db.session_scope() as s:
        rows = kb.search_articles(s, text, limit=limit)
    emit(rows, kb.SEARCH_COLUMNS, fmt, as_json)


@app.command("link")
def link(ref: Ref, ticket: Annotated[str, typer.Argument(help="Ticket number (T-2026-0001) or id.")],
         remove: Annotated[bool, typer.Option("--remove", help="Remove the link.")] = False) -> None:
    """Record that an article solved a ticket (`ticket show` lists it)."""
    from crm_cli.core import context, db
    from crm_cli.core.output import info
    from crm_cli.models.kb import KbArticle
    from crm_cli.services import kb, resolve, tickets

    with db.session_scope() as s:
        a = resolve.get(s, KbArticle, ref)
        t = tickets.find(s, ticket)
        if remove:
            done = kb.unlink(s, a, t)
            info(f"article {a.id} unlinked from {t.number}" if done else f"article {a.id} was not linked to {t.number}")
        else:
            done = kb.link(s, a, t, context.now(), context.current_handle())
            info(f"article {a.id} linked to {t.number}" if done else f"article {a.id} was linked to {t.number} already")
