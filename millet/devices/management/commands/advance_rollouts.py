"""``millet advance_rollouts``: the OTA tick (rate limit, next step, abort on failures); run it often."""

from __future__ import annotations

from django.core.management.base import BaseCommand

from millet.devices.management.clock import tick
from millet.devices.services import advance_rollouts


class Command(BaseCommand):
    help = "Advance running OTA rollouts (once, or every N seconds with --every)."

    def add_arguments(self, parser) -> None:
        parser.add_argument("--every", type=float, default=0, help="Repeat every N seconds until stopped.")

    def handle(self, *args, every: float, **options) -> None:
        tick(self, advance_rollouts, every, "advanced {} rollouts")
