"""``millet run_automations``: the minute tick for time-triggered automations (cron, or ``--every 60``)."""

from __future__ import annotations

from django.core.management.base import BaseCommand

from millet.devices.management.clock import tick
from millet.devices.services import run_time_automations


class Command(BaseCommand):
    help = "Fire time-triggered automations that are due (once, or every N seconds with --every)."

    def add_arguments(self, parser) -> None:
        parser.add_argument("--every", type=float, default=0, help="Repeat every N seconds until stopped.")

    def handle(self, *args, every: float, **options) -> None:
        tick(self, run_time_automations, every, "fired {} automations")
