"""``millet demo``: build the demo company (seeded, repeatable) with a progress bar."""

from __future__ import annotations

import time

from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from millet.demo.build import build_demo
from millet.demo.status import has_data


class Command(BaseCommand):
    help = "Build the demo company: 54 stores, a 34-SKU catalog, stock, customers and past orders."

    def add_arguments(self, parser) -> None:
        parser.add_argument("--seed", type=int, default=2017)
        parser.add_argument("--customers", type=int, default=500)
        parser.add_argument("--orders", type=int, default=2000)
        parser.add_argument("--flush", action="store_true", help="Delete all data first.")
        parser.add_argument(
            "--letter",
            action="store_true",
            help="Open the stores in the letter's timeline and replay 2016 at its scale as daily "
            "sales summaries per store and channel (see millet/demo/letter.py).",
        )
        parser.add_argument(
            "--if-empty", action="store_true", help="Do nothing when data exists (quick start)."
        )

    def handle(
        self,
        *args,
        seed: int,
        customers: int,
        orders: int,
        flush: bool,
        if_empty: bool,
        letter: bool,
        **options,
    ) -> None:
        console = Console()
        if flush:
            call_command("flush", interactive=False, verbosity=0)
        elif has_data():
            if if_empty:
                console.print("[green]Demo data already loaded.[/green]")
                return
            raise CommandError("the database already has data; use --flush to rebuild the demo")
        started = time.monotonic()
        columns = (
            TextColumn("{task.description:<8}"),
            BarColumn(),
            MofNCompleteColumn(),
            TimeElapsedColumn(),
        )
        with Progress(*columns, console=console) as progress:
            tasks: dict[str, int] = {}
            setup = progress.add_task("company", total=1)

            def stage(name: str, total: int) -> None:
                progress.update(setup, completed=1)
                tasks[name] = progress.add_task(name, total=total)

            company = build_demo(
                seed=seed,
                customers=customers,
                orders=orders,
                stage=stage,
                progress=lambda name, n: progress.advance(tasks[name], n),
                letter=letter,
            )
        console.print(
            f"Built {len(company.skus)} SKUs, {len(company.store_codes['CN'])} stores, "
            f"{len(company.customers)} "
            f"customers, {company.orders} orders and {sum(company.credit.values())} credit applications"
            + (f", and 2016 in {company.letter_transfers} ledger transfers" if letter else "")
            + f" in {time.monotonic() - started:.1f}s (seed {seed})."
        )
