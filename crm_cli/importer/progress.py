"""The import's progress bar: on stderr when it is a terminal, nothing otherwise (pipes, cron, tests).

It advances by the bytes of the file read so far, so it knows its end for files; for stdin it
shows rows read without an end. rich is imported only when a bar is shown; NO_COLOR and
TERM=dumb are honoured (no colour, and no bar for a dumb terminal).
"""

from __future__ import annotations

import os
import sys


class ImportProgress:
    def __init__(self, wanted: bool, name: str, total_bytes: int | None):
        self.bar = None
        if not (wanted and sys.stderr.isatty() and os.environ.get("TERM") != "dumb"):
            return
        from rich.console import Console
        from rich.progress import BarColumn, Progress, TaskProgressColumn, TextColumn, TimeRemainingColumn

        self.bar = Progress(TextColumn("{task.description}"), BarColumn(), TaskProgressColumn(),
                            TextColumn("{task.fields[rows]:,} rows, {task.fields[rejected]:,} rejected"),
                            TimeRemainingColumn(), console=Console(stderr=True), transient=True)
        self.task = self.bar.add_task(f"importing {name}", total=total_bytes, rows=0, rejected=0)
        self.bar.start()

    def update(self, bytes_read: int | None, rows: int, rejected: int) -> None:
        if self.bar is not None:
            self.bar.update(self.task, completed=bytes_read, rows=rows, rejected=rejected)

    def finishing(self, rows: int, rejected: int) -> None:
        """Every row is read; indexes, history and the commit follow."""
        if self.bar is not None:
            total = self.bar.tasks[0].total
            self.bar.update(self.task, description=self.bar.tasks[0].description.replace("importing", "writing"),
                            completed=total, rows=rows, rejected=rejected)

    def close(self) -> None:
        if self.bar is not None:
            self.bar.stop()
            self.bar = None
