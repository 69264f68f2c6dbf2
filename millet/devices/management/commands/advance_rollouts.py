"""``millet advance_rollouts``: the OTA tick (rate limit, next step, abort on failures); run it often."""

from __future__ import annotations

import time

from django.core.management.base import BaseCommand

from millet.devices.services import advance_rollouts


class Command(BaseCommand):
    help = "Advance running OTA rollouts (once, or every N seconds with --every)."

    def add_arguments(self, parser) -> None:
        parser.add_argument("--every", type=float, default=0, help="Repeat every N seconds until stopped.")

    def handle(self, *args, every: float, **options) -> None:
        while True:
            self.stdout.write(f"advanced {advance_rollouts()} rollouts")
            if every <= 0:
                return
            time.sleep(every)
