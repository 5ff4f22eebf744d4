"""Knowledge base: articles (title, Markdown body, tags, product) that answer recurring problems, and
the tickets an article solved (kb_links). Searched through the substring index (core/search.py,
table kb_search)."""

from __future__ import annotations

from datetime import datetime

from sqlmodel import Field, SQLModel

from crm_cli.models.base import Record, UTCDateTime
# the models its foreign keys point at are imported before a flush needs them (crm_cli.models.load_targets)


class KbArticle(Record, table=True):
    __tablename__ = "kb_articles"
    __entity__ = "kb"

    title: str = Field(max_length=300, index=True)
    body: str = Field(default="", max_length=20000)   # Markdown
    tags: str | None = Field(default=None, max_length=500)  # comma-separated, normalised (services/kb.py)
    product: str | None = Field(default=None, max_length=200)


class KbLink(SQLModel, table=True):
    """Article ARTICLE solved ticket TICKET (`crm kb link`)."""

    __tablename__ = "kb_links"

    article_id: int = Field(foreign_key="kb_articles.id", primary_key=True, ondelete="CASCADE")
    ticket_id: int = Field(foreign_key="tickets.id", primary_key=True, index=True, ondelete="CASCADE")
    linked_at: datetime = Field(sa_type=UTCDateTime)
    linked_by: str | None = Field(default=None, max_length=64)
