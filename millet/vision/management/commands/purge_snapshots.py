"""``millet purge_snapshots``: delete snapshots past their home's retention (cron, or ``--every``)."""

from __future__ import annotations

import time

from django.core.management.base import BaseCommand

from millet.vision.services import purge_expired_snapshots


class Command(BaseCommand):
    help = "Delete camera snapshots older than their home's retention (7 days unless the home set one)."

    def add_arguments(self, parser) -> None:
        parser.add_argument("--every", type=float, default=0, help="Repeat every N seconds until stopped.")

    def handle(self, *args, every: float, **options) -> None:
        while True:
            self.stdout.write(f"purged {purge_expired_snapshots()} snapshots")
            if every <= 0:
                return
            time.sleep(every)
