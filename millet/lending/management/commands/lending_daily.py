"""``millet lending_daily [--date YYYY-MM-DD]``: age every active loan once a day.

Days past due and delinquency bucket (1-30, 31-60, 61-90, 90+), late fees after the grace days,
charge-off past the limit, each on the loan's own terms (fixed when it was made). Idempotent: run
it again, or on two workers, and nothing is booked twice.
"""

from __future__ import annotations

from datetime import date

from django.core.management.base import BaseCommand, CommandError
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from millet.lending import services as lending


class Command(BaseCommand):
    help = "Delinquency buckets, late fees and charge-offs for every active loan."

    def add_arguments(self, parser) -> None:
        parser.add_argument("--date", dest="day", default="", help="The business day (default: today)")

    def handle(self, *args, day: str, **options) -> None:
        on = _parse(day) if day else lending.business_day()
        console = Console()
        columns = (TextColumn("aging loans"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn())
        with Progress(*columns, console=console) as progress:
            task = progress.add_task("loans", total=None)
            summary = lending.run_daily(
                on, progress=lambda done, total: progress.update(task, completed=done, total=total)
            )
        table = Table(title=f"Loan book on {on}")
        table.add_column("bucket")
        table.add_column("active loans", justify="right")
        for bucket, count in lending.bucket_counts().items():
            table.add_row(bucket, str(count))
        console.print(table)
        self.stdout.write(
            f"aged {summary.loans} loans: {summary.late_fees} late fees, {summary.charged_off} charged off"
        )


def _parse(value: str) -> date:
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise CommandError(f"--date must be YYYY-MM-DD, got {value!r}") from None
