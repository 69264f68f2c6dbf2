"""``millet run_automations``: the minute tick for time-triggered automations (cron, or ``--every 60``)."""

from __future__ import annotations

import time

from django.core.management.base import BaseCommand

from millet.devices.services import run_time_automations


class Command(BaseCommand):
    help = "Fire time-triggered automations that are due (once, or every N seconds with --every)."

    def add_arguments(self, parser) -> None:
        parser.add_argument("--every", type=float, default=0, help="Repeat every N seconds until stopped.")

    def handle(self, *args, every: float, **options) -> None:
        while True:
            self.stdout.write(f"fired {run_time_automations()} automations")
            if every <= 0:
                return
            time.sleep(every)
