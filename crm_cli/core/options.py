"""The option types shared by the commands: one definition of --format, --json, --quiet, --set, --where,
--yes, --limit, --offset, --sort, --owner and --search.

Light on purpose (it is imported on the `crm --help` path): typer and typing only.
"""

from __future__ import annotations

import enum
from typing import Annotated, List, Optional

import typer


class Format(str, enum.Enum):
    table = "table"
    plain = "plain"
    json = "json"
    jsonl = "jsonl"
    csv = "csv"
    markdown = "markdown"


FormatOpt = Annotated[
    Optional[Format],
    typer.Option("--format", "-f", help="table|plain|json|jsonl|csv|markdown (default: table on a TTY, "
                 "plain when piped)", case_sensitive=False, show_default=False),
]
JsonOpt = Annotated[bool, typer.Option("--json", help="Shorthand for --format json.")]
QuietOpt = Annotated[bool, typer.Option("--quiet", "-q", help="Print only the new id.")]

SetOpt = Annotated[Optional[List[str]], typer.Option("--set", help="Custom field key=value (repeatable).")]
WhereOpt = Annotated[Optional[List[str]], typer.Option("--where", help="Filter key=value (also != > < ~).")]
YesOpt = Annotated[bool, typer.Option("--yes", "-y", help="Do not ask.")]
OwnerOpt = Annotated[Optional[str], typer.Option("--owner", help="me|HANDLE|all")]

LimitOpt = Annotated[Optional[int], typer.Option("--limit", min=0, help="Show at most N rows.")]
OffsetOpt = Annotated[int, typer.Option("--offset", min=0, help="Skip the first N rows.")]


def sort_opt(keys: str):
    """--sort with the command's own sort keys, e.g. sort_opt("id|name|created")."""
    return Annotated[str, typer.Option("--sort", help=f"{keys} (prefix - to reverse)")]


def search_opt(fields: str | None = None):
    """--search/-s; `fields` says what is searched, e.g. "Name, phone or email."."""
    return Annotated[Optional[str], typer.Option("--search", "-s", help=fields or "Text to look for.")]


SearchOpt = search_opt()
