"""``millet export_ledger``: CSV for accountants, the trial balance at a moment or the journal of a period.

    millet export_ledger trial-balance [--at 2026-10-31T23:59:59+08:00] [--currency CNY] [--out FILE]
    millet export_ledger journal --start 2026-10-01T00:00:00Z --end 2026-11-01T00:00:00Z [--out FILE]

Writes to stdout without ``--out``; with it, a progress counter shows how many lines were written.
"""

from __future__ import annotations

import sys
from datetime import datetime
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from rich.console import Console

from millet.core.errors import DomainError
from millet.finance import services as finance


def _moment(value: str) -> datetime:
    try:
        return datetime.fromisoformat(value)
    except ValueError as exc:
        raise CommandError(f"{value!r} is not an ISO 8601 date-time") from exc


class Command(BaseCommand):
    help = "Export the trial balance at a moment, or the journal of a period, as CSV."

    def add_arguments(self, parser) -> None:
        parser.add_argument("report", choices=("trial-balance", "journal"))
        parser.add_argument("--at", type=_moment, help="trial balance: the moment (default now)")
        parser.add_argument("--currency", default="")
        parser.add_argument("--start", type=_moment, help="journal: first moment of the period")
        parser.add_argument("--end", type=_moment, help="journal: first moment after the period")
        parser.add_argument("--account", default="", help="journal: only transfers touching this account")
        parser.add_argument("--include-pending", action="store_true")
        parser.add_argument("--out", type=Path)

    def handle(self, *args, report: str, out: Path | None, **options) -> None:
        try:
            if report == "trial-balance":
                lines = finance.trial_balance_csv(
                    finance.trial_balance(options["at"], currency=options["currency"])
                )
            else:
                if options["start"] is None or options["end"] is None:
                    raise CommandError("a journal needs --start and --end")
                lines = finance.journal_csv(
                    finance.journal(
                        options["start"],
                        options["end"],
                        account=options["account"],
                        include_pending=options["include_pending"],
                    )
                )
            if out is None:
                sys.stdout.writelines(lines)
                return
            console = Console(stderr=True)
            written = 0
            with out.open("w", newline="") as handle, console.status("exporting") as status:
                for line in lines:
                    handle.write(line)
                    written += 1
                    if written % 10_000 == 0:
                        status.update(f"exporting: {written:,} lines")
            console.print(f"{written:,} lines written to {out}")
        except DomainError as exc:
            raise CommandError(exc.detail) from exc
