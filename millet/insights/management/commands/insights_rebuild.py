"""``millet insights_rebuild``: roll the whole ledger up again from scratch, with a progress bar.

Empties the revenue and order rollups and applies every revenue posting from transfer id 0 the way
the live catch-ups do (``insights.services.rebuild``), so the result equals the live rollups. Device
snapshots are kept: a past day's count of devices online cannot be taken again.
"""

from __future__ import annotations

from django.core.management.base import BaseCommand
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from millet.insights import services as insights


class Command(BaseCommand):
    help = "Rebuild the insights rollups from the ledger and the store list."

    def handle(self, *args, **options) -> None:
        console = Console()
        columns = (TextColumn("ledger transfers"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn())
        with Progress(*columns, console=console) as progress:
            task = progress.add_task("rebuild", total=None)
            applied = insights.rebuild(
                progress=lambda done, total: progress.update(task, completed=done, total=total)
            )
        self.stdout.write(f"rebuilt the rollups from {applied} revenue postings")
